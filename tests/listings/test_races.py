"""Two-connection races on PostgreSQL: the row locks serialise what must not interleave."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from exchange.core.errors import DomainError
from exchange.listings import services
from exchange.listings.models import Project, ProjectReview, Status
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="two-connection race test: PostgreSQL pass only (the SQLite test database is a shared in-memory one)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*actions: Callable[[], object]) -> list[str]:
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_simultaneous_submissions_get_distinct_codes():
    drafts = [f.draft("forest") for _ in range(4)]
    outcomes = _race(*[lambda p=p: services.project_submit(project_id=p.pk, actor=p.seller) for p in drafts])
    assert outcomes == ["ok"] * 4
    codes = sorted(Project.objects.values_list("code", flat=True))
    assert codes == [f"LQ{codes[0][2:6]}-{n:04d}" for n in range(1, 5)]


def test_return_and_approve_at_once_cannot_both_win():
    project = f.submitted()
    first, second = UserFactory(role="reviewer"), UserFactory(role="reviewer")
    outcomes = _race(
        lambda: services.project_review(project_id=project.pk, actor=first, decision="approve"),
        lambda: services.project_review(project_id=project.pk, actor=second, decision="return", comment="补材料"),
    )
    project.refresh_from_db()
    assert outcomes == ["illegal_transition", "ok"] or outcomes == ["ok", "permission_denied"]
    assert ProjectReview.objects.filter(project=project).count() == 1
    assert project.status in (Status.UNDER_REVIEW, Status.RETURNED)
