"""The member center's 挂牌委托 card ({% broker_center as b %})."""

from __future__ import annotations

from typing import Any

from django import template

from exchange.brokers import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def broker_center(context: Any) -> dict[str, Any]:
    user = context.get("user")
    return {"pending": selectors.pending_for_seller(user), "is_broker": selectors.is_broker(user)}
