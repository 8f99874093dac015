"""Staff work queues shown on the back-office dashboard ("待我处理").

Apps register their queues in `AppConfig.ready()`; the dashboard shows each queue to the
staff whose permissions allow acting on it, with the count and the age of the oldest item,
linking to the filtered admin list. Later apps add theirs (listing reviews, refunds due…).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from exchange.core import clock


@dataclass(frozen=True)
class WorkQueue:
    key: str
    label: Any  # lazy translatable text
    permission: str  # who works this queue
    items: Callable[[], Any]  # a QuerySet of the waiting items
    age_field: str  # datetime field: how long the oldest item has waited
    url_name: str
    url_query: str = ""


@dataclass(frozen=True)
class QueueView:
    label: str
    count: int
    oldest_hours: int | None
    url: str


_queues: dict[str, WorkQueue] = {}


def register(queue: WorkQueue) -> None:
    _queues[queue.key] = queue


def queues_for(user: Any) -> list[QueueView]:
    """The queues this staff member works, each with its count and oldest waiting time."""
    views = []
    now = clock.now()
    for queue in sorted(_queues.values(), key=lambda q: q.key):
        if not user.has_perm(queue.permission):
            continue
        items = queue.items()
        count = items.count()
        oldest = items.order_by(queue.age_field).values_list(queue.age_field, flat=True).first() if count else None
        hours = int((now - oldest) / dt.timedelta(hours=1)) if oldest else None
        url = reverse(queue.url_name) + (f"?{queue.url_query}" if queue.url_query else "")
        views.append(QueueView(label=str(queue.label), count=count, oldest_hours=hours, url=url))
    return views


def dashboard_callback(request: Any, context: dict[str, Any]) -> dict[str, Any]:
    """unfold DASHBOARD_CALLBACK: adds the caller's work queues to the admin index."""
    context["work_queues"] = queues_for(request.user)
    return context
