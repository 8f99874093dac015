"""Business numbers of the deals app, each a Django setting with the DOMAIN.md default.

Read through these functions (never at import time) so that tests can override them
with pytest-django's `settings` fixture.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def sign_workdays() -> int:
    """Both parties sign the contract within N working days after the deal (default 5 WD)."""
    return int(_get("DEALS_SIGN_WORKDAYS", 5))


def result_publicity_workdays() -> int:
    """The 成交公告 stays published for at least N working days (DOMAIN §2: ≥5 WD)."""
    return int(_get("DEALS_RESULT_PUBLICITY_WORKDAYS", 5))


def certificate_workdays() -> int:
    """The 交易凭证 is due within N working days after price and fees are paid (DOMAIN §2: 3 WD)."""
    return int(_get("DEALS_CERTIFICATE_WORKDAYS", 3))


def certificate_auto_issue() -> bool:
    """Issue the certificate automatically as soon as everything is paid (else staff issue it)."""
    return bool(_get("DEALS_CERTIFICATE_AUTO_ISSUE", True))


def certificate_prefix() -> str:
    """Leading letters of certificate numbers: JYPZ + year + 6 digits."""
    return str(_get("DEALS_CERTIFICATE_PREFIX", "JYPZ"))


def contract_prefix() -> str:
    """Leading letters of contract numbers: HT + year + 6 digits."""
    return str(_get("DEALS_CONTRACT_PREFIX", "HT"))


def exchange_name() -> str:
    """The exchange's name as printed on contracts and certificates."""
    return str(_get("DEALS_EXCHANGE_NAME", "山西产权交易中心"))
