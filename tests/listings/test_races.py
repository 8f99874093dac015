"""Two-connection races on PostgreSQL: the row locks serialise what must not interleave."""

from __future__ import annotations

from exchange.listings import services
from exchange.listings.models import Project, ProjectReview, Status
from tests.factories import UserFactory
from tests.listings import factories as f
from tests.races import postgres_only, race

pytestmark = postgres_only


def test_simultaneous_submissions_get_distinct_codes():
    drafts = [f.draft("forest") for _ in range(4)]
    outcomes = race(*[lambda p=p: services.project_submit(project_id=p.pk, actor=p.seller) for p in drafts])
    assert outcomes == ["ok"] * 4
    codes = sorted(Project.objects.values_list("code", flat=True))
    assert codes == [f"LQ{codes[0][2:6]}-{n:04d}" for n in range(1, 5)]


def test_return_and_approve_at_once_cannot_both_win():
    project = f.submitted()
    first, second = UserFactory(role="reviewer"), UserFactory(role="reviewer")
    outcomes = race(
        lambda: services.project_review(project_id=project.pk, actor=first, decision="approve"),
        lambda: services.project_review(project_id=project.pk, actor=second, decision="return", comment="补材料"),
    )
    project.refresh_from_db()
    assert outcomes == ["illegal_transition", "ok"] or outcomes == ["ok", "permission_denied"]
    assert ProjectReview.objects.filter(project=project).count() == 1
    assert project.status in (Status.UNDER_REVIEW, Status.RETURNED)
