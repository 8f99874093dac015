"""Background jobs of the listings app (run by the worker, enqueued by the clock)."""

from __future__ import annotations

from django_tasks import task

from exchange.listings import services


@task()
def listings_tick() -> dict[str, int]:
    """Publish notices whose time has come and move projects whose disclosure starts/ends."""
    return services.listings_tick()
