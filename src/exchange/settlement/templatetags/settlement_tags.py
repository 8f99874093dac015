"""Amount formatting for finance tables and PDFs: 1,234,567.89 without the ¥ sign."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from exchange.core.money import quantize_money

register = template.Library()


@register.filter
def amount(value: Any) -> str:
    """Signed amount with thousands separators ("-1,234.50")."""
    if value in (None, ""):
        return ""
    return f"{quantize_money(Decimal(value)):,.2f}"


@register.filter
def amount_abs(value: Any) -> str:
    """Absolute amount with thousands separators (debit / credit columns)."""
    if value in (None, ""):
        return ""
    return f"{abs(quantize_money(Decimal(value))):,.2f}"


@register.filter
def is_money(value: Any) -> bool:
    """Whether a report cell is an amount (right-aligned, formatted)."""
    return isinstance(value, Decimal)
