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
