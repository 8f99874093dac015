"""{% unread_messages %}: the logged-in user's unread count (one COUNT query, 0 for guests)."""

from __future__ import annotations

from typing import Any

from django import template

from exchange.members import selectors
from exchange.members.kinds import category_label

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cache = getattr(request, "_members_unread", None)
    if cache is None:
        cache = selectors.unread_count(user)
        request._members_unread = cache
    return int(cache)


@register.filter
def kind_label(kind: str) -> str:
    return category_label(str(kind).split(".", 1)[0])


@register.simple_tag(takes_context=True)
def my_blacklist_entry(context: Any) -> Any:
    """The logged-in member's active 失信名单 entry (or None)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return None
    return selectors.active_blacklist_entry(user)
