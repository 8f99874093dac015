"""The worker's moves: a project advances when its dates come."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from exchange.core import audit, clock
from exchange.listings import conf
from exchange.listings.models import (
    Notice,
    Project,
    Status,
)
from exchange.listings.services.common import _transition, project_for_update
from exchange.listings.services.notices import _at, notices_publish_due

# --------------------------------------------------------------------------- worker moves


def project_advance(*, project_id: int, now: dt.datetime | None = None) -> Project:
    """Move a project along the calendar if its next date has come (idempotent; the worker).

    SCHEDULED / RELISTED → PRE_DISCLOSURE or DISCLOSURE on the first day at the notice hour
    (publishing the project's notice); PRE_DISCLOSURE → DISCLOSURE on the formal start;
    DISCLOSURE / EXTENDED → DISCLOSURE_ENDED at the closing time.
    """
    now = now or clock.now()
    hour = conf.get("LISTINGS_NOTICE_HOUR")
    with transaction.atomic(), audit.action(None, "project.advance", by="worker"):
        project = project_for_update(project_id)
        status = project.status
        if status in (Status.SCHEDULED, Status.RELISTED) and project.disclosure_start:
            first = project.pre_start or project.disclosure_start
            if now >= _at(first, hour):
                Notice.objects.filter(project=project, published_at__isnull=True, publish_at__lte=now).update(
                    published_at=now
                )
                project.first_disclosed_at = project.first_disclosed_at or now
                fields = ["first_disclosed_at"]
                if project.pre_start and now < _at(project.disclosure_start, hour):
                    _transition(project, Status.PRE_DISCLOSURE, fields=tuple(fields))
                else:
                    project.cycle_started_at = project.cycle_started_at or now
                    _transition(project, Status.DISCLOSURE, fields=(*fields, "cycle_started_at"))
        elif status == Status.PRE_DISCLOSURE and project.disclosure_start:
            if now >= _at(project.disclosure_start, hour):
                project.cycle_started_at = project.cycle_started_at or now
                _transition(project, Status.DISCLOSURE, fields=("cycle_started_at",))
        elif status in (Status.DISCLOSURE, Status.EXTENDED) and project.ends_at and now >= project.ends_at:
            _transition(project, Status.DISCLOSURE_ENDED)
    return project


def listings_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the worker: publish due notices, move due projects. Returns counts."""
    now = now or clock.now()
    today = timezone.localdate(now)
    published = notices_publish_due(now=now)
    due = set(
        Project.objects.filter(status__in=[Status.SCHEDULED, Status.RELISTED], disclosure_start__lte=today).values_list(
            "pk", flat=True
        )
    )
    due |= set(
        Project.objects.filter(status__in=[Status.SCHEDULED, Status.RELISTED], pre_start__lte=today).values_list(
            "pk", flat=True
        )
    )
    due |= set(
        Project.objects.filter(status=Status.PRE_DISCLOSURE, disclosure_start__lte=today).values_list("pk", flat=True)
    )
    due |= set(
        Project.objects.filter(status__in=[Status.DISCLOSURE, Status.EXTENDED], ends_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for pk in sorted(due):
        before = Project.objects.filter(pk=pk).values_list("status", flat=True).first()
        after = project_advance(project_id=pk, now=now).status
        moved += before != after
    return {"notices": published, "projects": moved}
