"""A bid amount as clients send it (the API, the drill's prices): parsed to a Decimal of cents.

The bid path parses one amount per request, so it keeps its own strict check — one regex for
the only form a client sends ("101000.00", or an integer) — with core.money's limits (fen,
`MAX_INTEGER_DIGITS`) and rounding constant (`CENT`). Text a person typed (¥, commas,
full-width digits) goes through `core.money.parse_money` instead.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from exchange.bidding.errors import InvalidAmount
from exchange.core.money import CENT, MAX_INTEGER_DIGITS

_AMOUNT = re.compile(rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,2}})?")
_TOO_PRECISE = re.compile(r"[0-9]+\.[0-9]{3,}")


def parse_amount(value: Any) -> Decimal:
    """A bid amount from JSON: a string like "101000.00" (or an integer). Refuses
    non-numeric text, negatives, more than 2 decimals, floats' binary noise."""
    if isinstance(value, bool) or value is None:
        raise InvalidAmount(_("请输入出价金额。"), field="amount")
    text = str(value).strip() if isinstance(value, str | int) else repr(value)
    if text.startswith("-"):
        raise InvalidAmount(_("出价金额不能为负数。"), field="amount")
    if not _AMOUNT.fullmatch(text):
        if _TOO_PRECISE.fullmatch(text):
            raise InvalidAmount(_("出价金额最多两位小数（精确到分）。"), field="amount")
        raise InvalidAmount(_("出价金额须为数字，如 101000.00。"), field="amount")
    amount = Decimal(text)
    if amount <= 0:
        raise InvalidAmount(_("出价金额须大于零。"), field="amount")
    return amount.quantize(CENT)
