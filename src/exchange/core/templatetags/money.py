"""Money filters: `{% load money %}` then `{{ x|yuan }}`, `{{ x|wan }}`, `{{ x|daxie }}`,
`{{ x|per_unit:"元/㎡" }}`. The one way pages print money (docs/development.md, "Money and
moments on pages"); static/js/format.js prints the same in the browser.

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
def wan(value: Any) -> str:
    """¥1,234.57万, the compact form, only where a line has no room for the full amount. Outside
    Chinese the unit 万 means nothing to the reader: there it is ¥12.35M (format_millions)."""
    if not (get_language() or "zh").startswith("zh"):
        return _quiet(money.format_millions, value)
    return _quiet(money.format_wan, value)


@register.filter(is_safe=True)
def daxie(value: Any) -> str:
    """大写金额: 壹仟贰佰叁拾肆元伍角陆分."""
    return _quiet(money.to_chinese_upper, value)


@register.filter
def per_unit(value: Any, unit: Any) -> str:
    """A unit price: ¥12,051.57/㎡ (the unit may come from what a seller typed: escaped)."""
    return _quiet(lambda v: money.format_per_unit(v, str(unit or "")), value)
