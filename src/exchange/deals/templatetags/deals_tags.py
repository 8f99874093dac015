"""Filters for the fee working stored as JSON strings: `{% load deals_tags %}`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def percent(value: Any) -> str:
    """A rate as a percentage without trailing zeros: 0.0015 → 0.15%."""
    number = _decimal(value)
    if number is None:
        return ""
    text = f"{number * 100:f}".rstrip("0").rstrip(".")
    return f"{text}%"
