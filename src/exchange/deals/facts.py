"""What the result notice (成交公告) and the certificate (交易凭证) say: their facts and wording
(formatting only, no writes; services and pages use it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exchange.core.money import format_yuan, to_chinese_upper
from exchange.deals import conf
from exchange.deals.models import Deal, method_label


def result_rule(project: Any) -> conf.ResultNoticeRule:
    """The publication rule of a project's 成交公告 (by category, state-owned flag, judicial sale)."""
    return conf.result_notice_rule(
        project.category,
        state_owned=bool(project.state_owned),
        judicial_sale=bool((project.attributes or {}).get("judicial_sale")),
    )


def result_notice_facts(deal: Deal, rule: conf.ResultNoticeRule) -> dict[str, Any]:
    """The snapshot of what the 成交公告 publishes, taken when it is published: the fields the
    rule names and their values (money as Decimal strings, dates ISO). The notice's text and the
    public 成交公告 list are both rendered from it, so they always say the same. Never the
    bidder number (竞买号): it belongs to the bidding hall."""
    project = deal.project
    values: dict[str, str] = {
        "target": deal.project_title,
        "valuation": str(project.valuation),
        "floor_price": str(project.floor_price),
        "price": str(deal.price),
        "kind": deal.kind,
        "deal_date": timezone.localdate(deal.opened_at).isoformat(),
        "buyer": deal.buyer.real_name or deal.buyer.name,
    }
    return {
        "fields": list(rule.fields),
        "values": {key: values[key] for key in rule.fields},
        "state_owned": rule.state_owned,
        "publicity_workdays": rule.publicity_workdays,
    }


def result_fact_text(key: str, value: str) -> str:
    """One published fact as the notice prints it (¥ amounts with 大写 for the price)."""

    if key in ("valuation", "floor_price"):
        return format_yuan(Decimal(value))
    if key == "price":
        return f"{format_yuan(Decimal(value))}（{to_chinese_upper(Decimal(value))}）"
    if key == "kind":
        return method_label(value)
    return value


def result_notice_extra(deal: Deal, *, period_start: dt.date, period_end: dt.date) -> dict[str, Any]:
    """What the 成交公告 template shows: the snapshot's facts in order, and the publicity window."""
    snapshot = deal.result_notice_facts
    return {
        "facts": [
            (str(conf.RESULT_FIELD_LABELS[key]), result_fact_text(key, snapshot["values"][key]))
            for key in snapshot["fields"]
        ],
        "state_owned": snapshot["state_owned"],
        "publicity_workdays": snapshot["publicity_workdays"],
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
    }


def certificate_facts(deal: Deal) -> dict[str, Any]:
    project = deal.project
    return {
        "project_code": deal.project_code,
        "project_title": deal.project_title,
        "category": str(project.get_category_display()),
        "seller": deal.seller.name,
        "buyer": deal.buyer.name,
        "kind": str(Deal.Kind(deal.kind).label),
        "price": str(deal.price),
        "price_text": format_yuan(deal.price),
        "price_upper": to_chinese_upper(deal.price),
        "deal_date": timezone.localdate(deal.opened_at).isoformat(),
        "contract_number": getattr(getattr(deal, "contract", None), "number", "") or "",
        "effective_on": deal.effective_on.isoformat() if deal.effective_on else "",
        "paid_on": timezone.localdate(deal.paid_at).isoformat() if deal.paid_at else "",
        "exchange": conf.exchange_name(),
    }
