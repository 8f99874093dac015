"""JSON API of the members app, mounted by exchange.api at /api/v1/messages.

The caller's own messages only: someone else's message is 404 (never 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from exchange.api_support import errors
from exchange.core.errors import NotFound
from exchange.members import selectors, services
from exchange.members.kinds import category_label
from exchange.members.models import Message

router = Router(tags=["messages"])


class MessageOut(Schema):
    id: int
    kind: str
    category: str
    category_label: str
    subject: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class MessagePage(Schema):
    count: int
    unread: int
    page: int
    pages: int
    results: list[MessageOut]


class MessageQuery(Schema):
    unread: bool = Field(False, description="1 = only unread messages")
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(20, ge=1, le=100)


def _out(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "category": m.category,
        "category_label": category_label(m.category),
        "subject": m.subject,
        "body": m.body,
        "url": m.url,
        "created_at": m.created_at,
        "read_at": m.read_at,
        "is_read": m.read_at is not None,
    }


@router.get("", response={200: MessagePage, **errors(401, 422)}, url_name="members_message_list")
def message_list(request: HttpRequest, query: Query[MessageQuery]) -> dict[str, Any]:
    """The caller's messages, unread first then newest (`?unread=1`: only the unread ones)."""
    user = request.auth  # type: ignore[attr-defined]
    paginator = Paginator(selectors.messages_for(user, unread=query.unread), query.page_size)
    page = paginator.get_page(query.page)
    return {
        "count": paginator.count,
        "unread": selectors.unread_count(user),
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_out(m) for m in page.object_list],
    }


@router.post("/read-all", response={200: dict[str, int], **errors(401, 403)}, url_name="members_message_read_all")
def message_read_all(request: HttpRequest) -> dict[str, int]:
    """Mark all the caller's messages read; returns how many were unread."""
    return {"marked": services.messages_read_all(user=request.auth)}  # type: ignore[attr-defined]


@router.get("/{message_id}", response={200: MessageOut, **errors(401, 404)}, url_name="members_message")
def message_get(request: HttpRequest, message_id: int) -> dict[str, Any]:
    """One of the caller's messages (reading it here does not mark it read)."""
    message = selectors.message_of(request.auth, message_id)  # type: ignore[attr-defined]
    if message is None:
        raise NotFound()
    return _out(message)


@router.post("/{message_id}/read", response={200: MessageOut, **errors(401, 403, 404)}, url_name="members_message_read")
def message_read(request: HttpRequest, message_id: int) -> dict[str, Any]:
    """Mark one of the caller's messages read (idempotent); someone else's is 404."""
    return _out(services.message_read(user=request.auth, message_id=message_id))  # type: ignore[attr-defined]
