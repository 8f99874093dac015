"""Money filters: `{% load money %}` then `{{ x|yuan }}`, `{{ x|wan }}`, `{{ x|daxie }}`.

Like Django's own number filters they fail quietly: None, "" or a value that is not an
amount (a float included: money is never float) renders as "" instead of breaking the page.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import template

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
    """1,234.57万元; `{{ x|wan:4 }}` for 4 decimals of 万."""
    return _quiet(lambda v: money.format_wan(v, int(places)), value)


@register.filter(is_safe=True)
def daxie(value: Any) -> str:
    """大写金额: 壹仟贰佰叁拾肆元伍角陆分."""
    return _quiet(money.to_chinese_upper, value)
