"""Two-connection races on PostgreSQL: the project row lock serialises applications and reviews."""

from __future__ import annotations

from exchange.settlement.models import DepositInstruction
from exchange.trading import services
from exchange.trading.models import Application, Status
from tests.races import postgres_only, race
from tests.trading import factories as f

pytestmark = postgres_only


def test_the_same_member_applying_twice_at_once_gets_one_application():
    project = f.project()
    user = f.buyer()
    files = [f.materials(project, user) for _ in range(3)]
    outcomes = race(*[lambda m=m: f.apply(project, user, materials=m) for m in files])
    assert outcomes == ["already_applied", "already_applied", "ok"]
    assert Application.objects.filter(applicant=user).count() == 1


def test_two_reviewers_qualifying_at_once_issue_one_deposit_instruction():
    project = f.project()
    app = f.apply(project)
    a, b = f.reviewer(), f.reviewer()
    outcomes = race(
        lambda: services.application_review(application_id=app.pk, actor=a, decision="qualify"),
        lambda: services.application_review(application_id=app.pk, actor=b, decision="qualify"),
    )
    assert outcomes == ["illegal_transition", "ok"]
    assert Application.objects.get(pk=app.pk).status == Status.QUALIFIED
    assert DepositInstruction.objects.filter(member=app.applicant).count() == 1


def test_uploads_at_once_stay_within_the_member_draft_bound(settings):
    from exchange.trading.models import MaterialDraft

    settings.TRADING_DRAFT_MAX_FILES = 2
    project = f.project()
    user = f.buyer()
    outcomes = race(
        *[
            lambda: services.draft_upload(project_id=project.pk, member=user, kind="id_proof", upload=f.pdf())
            for _ in range(4)
        ]
    )
    assert sorted(outcomes) == ["draft_limit", "draft_limit", "ok", "ok"]
    assert MaterialDraft.objects.filter(member=user).count() == 2


def test_filing_a_draft_and_removing_it_at_once_do_not_both_succeed():
    from exchange.trading.models import Material, MaterialDraft

    project = f.project()
    user = f.buyer()
    drafts = {k: services.draft_upload(project_id=project.pk, member=user, kind=k, upload=f.pdf()).pk
              for k in ("id_proof", "credit_proof")}  # fmt: skip
    outcomes = race(
        lambda: f.apply(project, user, materials={}, drafts=drafts),
        lambda: services.draft_remove(draft_id=drafts["id_proof"], member=user),
    )
    assert outcomes == ["not_found", "ok"]  # one wins: filed with the file, or removed before
    filed = Application.objects.filter(applicant=user).exists()
    assert filed == (Material.objects.filter(kind="id_proof").count() == 1)
    assert MaterialDraft.objects.filter(pk=drafts["id_proof"]).count() == 0
