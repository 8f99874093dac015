"""Two-connection races for the PostgreSQL pass: run actions at once, collect their outcomes."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from exchange.core.errors import DomainError

# The SQLite test database is a shared in-memory one: its connections cannot race as
# separate clients do, so these tests run in the PostgreSQL pass only.
postgres_only = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="two-connection race test: PostgreSQL pass only (the SQLite test database is a shared in-memory one)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*actions: Callable[[], object]) -> list[str]:
    """Start every action in its own thread at the same instant; their outcomes, sorted:
    "ok" or the DomainError code."""
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
