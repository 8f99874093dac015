"""Business numbers of the deals app, each a Django setting with the exchange's default.

Read through these functions (never at import time) so that tests can override them
with pytest-django's `settings` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from exchange.listings import conf as listings_conf


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def sign_workdays() -> int:
    """Both parties sign the contract within N working days after the deal (default 5 WD)."""
    return int(_get("DEALS_SIGN_WORKDAYS", 5))


def result_publicity_workdays() -> int:
    """The 成交公告 stays published for at least N working days (the rule: at least 5 WD)."""
    return int(_get("DEALS_RESULT_PUBLICITY_WORKDAYS", 5))


def certificate_workdays() -> int:
    """The 交易凭证 is due within N working days after price and fees are paid (the rule: 3 WD)."""
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


def statistics_cache_seconds() -> int:
    """The home page's 交易统计 are cached this long (one aggregate query over all deals)."""
    return int(_get("DEALS_STATISTICS_CACHE_SECONDS", 300))


def exchange_name() -> str:
    """The exchange's name as printed on contracts and certificates."""
    return str(_get("DEALS_EXCHANGE_NAME", "山西产权交易中心"))


# --------------------------------------------------------------------------- the 成交公告's content

# What a 成交公告 can publish, in the order it prints them.
RESULT_FIELDS: tuple[str, ...] = ("target", "valuation", "floor_price", "price", "kind", "deal_date", "buyer")
RESULT_FIELD_LABELS: dict[str, Any] = {
    "target": _("标的名称"),
    "valuation": _("评估结果"),
    "floor_price": _("转让底价"),
    "price": _("交易价格"),
    "kind": _("成交方式"),
    "deal_date": _("成交日期"),
    "buyer": _("受让方"),
}
# 企业国有资产交易监督管理办法 Art. 29: 交易标的名称、转让标的评估结果、转让底价、交易价格 — a
# state-owned asset's notice always carries them, whatever the setting says; exchanges also
# publish the buyer's name (受让方名称), which the default rules below include.
STATE_OWNED_REQUIRED: tuple[str, ...] = ("target", "valuation", "floor_price", "price")

DEFAULT_RESULT_NOTICE_FIELDS: dict[str, tuple[str, ...]] = {
    "default": RESULT_FIELDS,
    "state_owned": RESULT_FIELDS,
}


@dataclass(frozen=True)
class ResultNoticeRule:
    """What one project's 成交公告 publishes and for how long."""

    fields: tuple[str, ...]
    publicity_workdays: int
    state_owned: bool

    def publishes(self, key: str) -> bool:
        return key in self.fields


def result_notice_rule(category: str, *, state_owned: bool, judicial_sale: bool = False) -> ResultNoticeRule:
    """The publication rule of a 成交公告, from the setting DEALS_RESULT_NOTICE_FIELDS.

    The setting maps a key to the fields published (keys of RESULT_FIELDS). Lookup, first
    found: "<category>:state_owned", "state_owned" for a state-owned asset; "<category>",
    "default" otherwise. A state-owned asset's notice always adds STATE_OWNED_REQUIRED and is
    published at least LISTINGS_STATE_OWNED_RESULT_WORKDAYS working days (Art. 29: 5); a
    judicial sale (司法拍卖) always names the buyer. An unknown field raises
    ImproperlyConfigured, so a typo cannot silently drop a field the rules require.
    """

    table = {**DEFAULT_RESULT_NOTICE_FIELDS, **_get("DEALS_RESULT_NOTICE_FIELDS", {})}
    keys = (f"{category}:state_owned", "state_owned") if state_owned else (category, "default")
    chosen = next((table[k] for k in keys if k in table), RESULT_FIELDS)
    unknown = set(chosen) - set(RESULT_FIELDS)
    if unknown:
        raise ImproperlyConfigured(f"DEALS_RESULT_NOTICE_FIELDS: unknown field(s) {sorted(unknown)}")
    wanted = set(chosen)
    workdays = result_publicity_workdays()
    if state_owned:
        wanted |= set(STATE_OWNED_REQUIRED)
        workdays = max(workdays, int(listings_conf.get("LISTINGS_STATE_OWNED_RESULT_WORKDAYS")))
    if judicial_sale:
        wanted.add("buyer")
    return ResultNoticeRule(
        fields=tuple(f for f in RESULT_FIELDS if f in wanted), publicity_workdays=workdays, state_owned=state_owned
    )
