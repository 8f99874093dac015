"""Background jobs of the deals app, enqueued hourly by the clock (see apps.py)."""

from __future__ import annotations

from django_tasks import task

from exchange.deals import services


@task()
def defaults_check() -> int:
    """Deals past their signing or payment deadline become defaulted (悔拍)."""
    return services.defaults_run()


@task()
def certificates_due() -> int:
    """Paid deals get their 交易凭证 (catch-up of the price_paid handler)."""
    return services.certificates_due_run()


@task()
def deals_close() -> int:
    """Released deals close once the 成交公告's publicity period has ended."""
    return services.deals_close_run()
