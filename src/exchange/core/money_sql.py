"""Exact sums of money columns in SQL, on SQLite as on PostgreSQL.

SQLite stores a DecimalField as REAL and its SUM adds floats (0.47 + 0.06 gave
0.0600000000000001 in the ledger's state-machine test), so a sum of amounts is taken over the amounts rounded to integer fen
and turned back into Decimal yuan in Python.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, F, Q, Sum
from django.db.models.functions import Cast, Round

from exchange.core.money import CENT


def fen_sum(field: str, *, filter: Q | None = None) -> Sum:
    """Σ `field` in integer fen (use with `.aggregate()`, read back with `yuan_from_fen`)."""
    return Sum(Cast(Round(F(field) * 100), BigIntegerField()), filter=filter)


def yuan_from_fen(fen: Any) -> Decimal:
    """An aggregate of `fen_sum` (None when no rows) as Decimal yuan with 2 places."""
    return (Decimal(int(fen or 0)) / 100).quantize(CENT)
