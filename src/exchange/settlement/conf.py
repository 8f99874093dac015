"""Business numbers of settlement, each a Django setting with the exchange's rule as default.

Read through these functions (never at import time) so that tests can override them
with pytest-django's `settings` fixture.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def deposit_due_workdays() -> int:
    """Deposit due N working days after qualification (default 3 working days)."""
    return int(_get("SETTLEMENT_DEPOSIT_DUE_WORKDAYS", 3))


def deposit_cutoff() -> dt.time:
    """Bank-arrival cut-off on the due day (default: before 17:00)."""
    value = _get("SETTLEMENT_DEPOSIT_CUTOFF", "17:00")
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def refund_workdays() -> int:
    """Losers are refunded N working days after the result (default 3 working days)."""
    return int(_get("SETTLEMENT_REFUND_WORKDAYS", 3))


def payment_workdays() -> int:
    """Lump-sum price (and the first instalment) due N WD after the contract takes effect."""
    return int(_get("SETTLEMENT_PAYMENT_WORKDAYS", 5))


def instalment_first_min_ratio() -> Decimal:
    """The first instalment is at least this share of the price (default 30%)."""
    return Decimal(str(_get("SETTLEMENT_INSTALMENT_FIRST_MIN_RATIO", "0.30")))


def instalment_max_days() -> int:
    """The last instalment falls at most this many days after the contract (≤1 year)."""
    return int(_get("SETTLEMENT_INSTALMENT_MAX_DAYS", 365))


def release_workdays() -> int:
    """Release to the seller N WD after the certificate (default 3 working days)."""
    return int(_get("SETTLEMENT_RELEASE_WORKDAYS", 3))


def virtual_account_prefix() -> str:
    """Leading digits of the virtual sub-account numbers the bank assigned to the exchange."""
    return str(_get("SETTLEMENT_VIRTUAL_ACCOUNT_PREFIX", "6216"))


def settlement_bank() -> dict[str, str]:
    """The exchange's settlement bank account as printed on payment instructions."""
    default = {
        "name": "山西产权交易中心结算专户",
        "bank": "中国工商银行太原并州支行",
        "account_no": "0502123409024567890",
    }
    return {**default, **_get("SETTLEMENT_BANK_ACCOUNT", {})}
