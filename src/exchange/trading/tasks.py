"""Background jobs of the trading app, enqueued by the clock (see apps.py)."""

from __future__ import annotations

from django_tasks import task

from exchange.trading import services


@task()
def outcomes_run() -> dict[str, int]:
    """Lapse late deposits, decide ended disclosures, apply missed auction results, close
    applications of terminated projects."""
    return services.outcomes_run()


@task()
def drafts_clean() -> int:
    """Remove application drafts (files uploaded on the form) left unused for
    TRADING_DRAFT_MAX_AGE_HOURS."""
    return services.drafts_clean()
