"""Reads of the members app: message center, unread counts, the blacklist (no writes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from exchange.core import clock
from exchange.members.models import BlacklistEntry, Delivery, Message, Preference


def _member_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    pk = getattr(user, "pk", user)
    return int(pk) if pk is not None else None


# --- blacklist --------------------------------------------------------------------------------


def active_blacklist_entry(user: Any, on: dt.date | None = None) -> BlacklistEntry | None:
    """The member's entry active on `on` (default today), the one ending last first."""
    member_id = _member_id(user)
    if member_id is None:
        return None
    day = on or clock.today()
    return (
        BlacklistEntry.objects.filter(BlacklistEntry.active_q(day), member_id=member_id)
        .order_by(F("ends_on").desc(nulls_first=True), "-pk")
        .first()
    )


def is_blacklisted(user: Any, on: dt.date | None = None) -> bool:
    """Is the member on the 失信名单 on `on` (default today)? Applications must be refused."""
    return active_blacklist_entry(user, on) is not None


def blacklist_reason(user: Any) -> str:
    """Why the member is blacklisted today ("" when not blacklisted)."""
    entry = active_blacklist_entry(user)
    return entry.reason if entry is not None else ""


def blacklisted_member_ids(on: dt.date | None = None) -> set[int]:
    day = on or clock.today()
    return set(BlacklistEntry.objects.filter(BlacklistEntry.active_q(day)).values_list("member_id", flat=True))


# --- messages ---------------------------------------------------------------------------------


def messages_for(user: Any, *, unread: bool = False) -> QuerySet[Message]:
    """The user's messages, unread first, then newest first."""
    qs = Message.objects.filter(recipient_id=_member_id(user))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-pk")


def unread_count(user: Any) -> int:
    """One COUNT query; 0 for anonymous users."""
    member_id = _member_id(user)
    if member_id is None:
        return 0
    return Message.objects.filter(recipient_id=member_id, read_at__isnull=True).count()


def message_of(user: Any, message_id: int) -> Message | None:
    """The user's own message, or None (someone else's message does not exist for them)."""
    return Message.objects.filter(pk=message_id, recipient_id=_member_id(user)).first()


def failed_deliveries() -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.FAILED).select_related("message", "message__recipient")


def preferences_of(user: Any) -> dict[tuple[str, str], bool]:
    """{(category, channel): enabled} of the member's explicit choices (absent = on)."""
    return {(p.category, p.channel): p.enabled for p in Preference.objects.filter(member_id=_member_id(user))}
