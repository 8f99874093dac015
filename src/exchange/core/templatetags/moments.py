"""`{% load moments %}` then `{{ auction.ends_at|moment }}`: see exchange.core.moments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from exchange.core.moments import format_moment

register = template.Library()


@register.filter
def moment(value: Any) -> str:
    """18:42:01 today, 12-03 18:42:01 another day of this year, with the year otherwise.

    Takes an aware datetime or the ISO text the API sends ("2026-12-03T18:42:01+08:00");
    "" for anything else (a naive time included: which zone it meant is unknown)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return ""
    return format_moment(value)
