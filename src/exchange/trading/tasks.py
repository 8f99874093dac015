"""Background jobs of the trading app, enqueued by the clock (see apps.py)."""

from __future__ import annotations

from django_tasks import task

from exchange.trading import services


@task()
def outcomes_run() -> dict[str, int]:
    """Lapse late deposits, decide ended disclosures, apply missed auction results, close
    applications of terminated projects."""
    return services.outcomes_run()
