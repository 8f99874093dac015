"""Two-connection races on PostgreSQL: the project row lock serialises applications and reviews."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from exchange.core.errors import DomainError
from exchange.settlement.models import DepositInstruction
from exchange.trading import services
from exchange.trading.models import Application, Status
from tests.trading import factories as f

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


def test_the_same_member_applying_twice_at_once_gets_one_application():
    project = f.project()
    user = f.buyer()
    files = [f.materials(project, user) for _ in range(3)]
    outcomes = _race(*[lambda m=m: f.apply(project, user, materials=m) for m in files])
    assert outcomes == ["already_applied", "already_applied", "ok"]
    assert Application.objects.filter(applicant=user).count() == 1


def test_two_reviewers_qualifying_at_once_issue_one_deposit_instruction():
    project = f.project()
    app = f.apply(project)
    a, b = f.reviewer(), f.reviewer()
    outcomes = _race(
        lambda: services.application_review(application_id=app.pk, actor=a, decision="qualify"),
        lambda: services.application_review(application_id=app.pk, actor=b, decision="qualify"),
    )
    assert outcomes == ["illegal_transition", "ok"]
    assert Application.objects.get(pk=app.pk).status == Status.QUALIFIED
    assert DepositInstruction.objects.filter(member=app.applicant).count() == 1
