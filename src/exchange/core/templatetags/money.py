"""Money filters: `{% load money %}` then `{{ x|yuan }}`, `{{ x|wan }}`, `{{ x|daxie }}`.

Like Django's own number filters they fail quietly: None, "" or a value that is not an
amount (a float included: money is never float) renders as "" instead of breaking the page.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from exchange.core import money

register = template.Library()


def _quiet(fn: Callable[[Decimal], str], value: Any) -> str:
    if value is None or value == "" or not isinstance(value, Decimal | int | str):
        return ""
    try:
        return fn(money.quantize_money(value))
    except (TypeError, ValueError):
        return ""


@register.filter(is_safe=True)
def yuan(value: Any) -> str:
    """¥1,234,567.00"""
    return _quiet(money.format_yuan, value)


@register.filter(is_safe=True)
def wan(value: Any, places: int = 2) -> str:
    """1,234.57万元; `{{ x|wan:4 }}` for 4 decimals of 万. Outside Chinese the unit 万 means
    nothing to the reader, so the page shows the whole amount in yuan (¥12,345,678.00)."""
    if not (get_language() or "zh").startswith("zh"):
        return _quiet(money.format_yuan, value)
    return _quiet(lambda v: money.format_wan(v, int(places)), value)


@register.filter(is_safe=True)
def daxie(value: Any) -> str:
    """大写金额: 壹仟贰佰叁拾肆元伍角陆分."""
    return _quiet(money.to_chinese_upper, value)
