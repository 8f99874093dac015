"""Background jobs of settlement, enqueued hourly by the clock (see apps.py)."""

from __future__ import annotations

from django_tasks import task

from exchange.settlement import services


@task()
def refunds_due() -> int:
    """Refund losers' deposits whose refund date (N WD after the result) has come."""
    return services.refunds_due_run()


@task()
def deposits_expire() -> int:
    """Deposits not paid by the cut-off of their due day become expired."""
    return services.deposits_expire()


@task()
def price_overdue_check() -> int:
    """Flag overdue price instalments (credit event + signal)."""
    return services.price_overdue_run()


@task()
def releases_due() -> int:
    """Release paid prices to sellers N WD after the certificate."""
    return services.releases_due_run()


@task()
def statement_uploads_expire() -> int:
    """Statement files uploaded but not confirmed within a day expire; their files are deleted."""
    return services.statement_uploads_expire()
