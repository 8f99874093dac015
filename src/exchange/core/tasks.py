"""Housekeeping jobs of the platform itself."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django_tasks import task

from exchange.core import clock
from exchange.core.models import Heartbeat


def heartbeat_record(*, process: str, detail: str = "") -> None:
    with transaction.atomic():
        Heartbeat.objects.update_or_create(process=process, defaults={"beat_at": clock.now(), "detail": detail})


@task()
def worker_heartbeat() -> None:
    """Enqueued by the clock; when the worker runs it, /healthz shows the worker is alive."""
    heartbeat_record(process="worker", detail="db_worker")


@task()
def prune_finished_tasks() -> None:
    """Keep the task table small: drop results of tasks finished more than 7 days ago."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(finished_at__lt=clock.now() - timedelta(days=7)).delete()
