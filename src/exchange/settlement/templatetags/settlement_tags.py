"""Finance tables and PDFs: amounts print as everywhere else (`{{ x|yuan }}`, core.money); this
adds the unsigned form of the debit / credit columns and the test for report cells."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from exchange.core.templatetags.money import yuan

register = template.Library()


@register.filter(is_safe=True)
def amount_abs(value: Any) -> str:
    """The amount without its sign, in the one money format (收入 / 支出 columns): ¥1,234.50."""
    if isinstance(value, Decimal | int):
        value = abs(value)
    return yuan(value)


@register.filter
def is_money(value: Any) -> bool:
    """Whether a report cell is an amount (right-aligned, formatted)."""
    return isinstance(value, Decimal)
