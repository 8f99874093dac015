"""Background jobs of the members app (run by the worker: `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from exchange.members import services


@task()
def deliver(*, delivery_id: int) -> str:
    """Send one notification delivery (e-mail / SMS / WeChat); retries itself on failure."""

    return services.delivery_attempt(delivery_id=delivery_id)


@task()
def deliveries_requeue() -> int:
    """Re-enqueue deliveries stuck in the queue (enqueue failed, worker died)."""

    return services.deliveries_requeue()
