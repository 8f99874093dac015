"""Listing rules (disclosure periods, readiness) and the cleaning of submitted fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from exchange.core import clock, workdays
from exchange.core.errors import InvalidInput
from exchange.core.models import Region
from exchange.core.money import format_yuan, quantize_money
from exchange.core.text import clean_name
from exchange.listings import categories, conf
from exchange.listings.categories import Category
from exchange.listings.models import (
    Attachment,
    CodeCounter,
    Project,
    TradingMethod,
)
from exchange.listings.services.common import FloorBelowValuation, NotAWorkday, PeriodTooShort

# --------------------------------------------------------------------------- rules


def minimum_periods(category: str, floor_price: Decimal) -> tuple[int, int]:
    """(minimum formal disclosure WD, minimum pre + formal WD) for a project type."""
    rule = categories.PERIOD_RULE.get(category, "asset")
    if rule == "equity":
        return conf.get("LISTINGS_MIN_WD_EQUITY"), 0
    if rule == "capital_increase":
        return conf.get("LISTINGS_MIN_WD_CAPITAL_INCREASE_FORMAL"), conf.get("LISTINGS_MIN_WD_CAPITAL_INCREASE_TOTAL")
    if floor_price > conf.get("LISTINGS_ASSET_LARGE_FLOOR"):
        return conf.get("LISTINGS_MIN_WD_ASSET_LARGE"), 0
    return conf.get("LISTINGS_MIN_WD_ASSET_SMALL"), 0


def check_periods(project: Project) -> None:
    """Refuse periods shorter than the minimum periods of the category and price (`minimum_periods`, docs/listings.md) and a start that is not a working day."""
    min_formal, min_total = minimum_periods(project.category, project.floor_price)
    if project.disclosure_wd < min_formal:
        raise PeriodTooShort(
            _("%(cat)s项目正式披露期不得少于%(n)s个工作日。")
            % {"cat": Category(project.category).label, "n": min_formal},
            field="disclosure_wd",
            minimum=min_formal,
        )
    control_change = bool(project.attributes.get("control_change"))
    if control_change and not project.pre_disclosure:
        raise PeriodTooShort(_("涉及实际控制权转移的项目必须进行预披露。"), field="pre_disclosure")
    pre = project.pre_disclosure_wd if project.pre_disclosure else 0
    min_pre = conf.get("LISTINGS_MIN_WD_PRE_DISCLOSURE")
    if project.pre_disclosure and pre < min_pre:
        raise PeriodTooShort(
            _("预披露期不得少于%(n)s个工作日。") % {"n": min_pre}, field="pre_disclosure_wd", minimum=min_pre
        )
    if min_total and pre + project.disclosure_wd < min_total:
        raise PeriodTooShort(
            _("增资项目预披露与正式披露合计不得少于%(n)s个工作日。") % {"n": min_total},
            field="disclosure_wd",
            minimum=min_total - pre,
        )
    if project.allow_extension and project.extension_wd < conf.get("LISTINGS_EXTENSION_MIN_WD"):
        raise PeriodTooShort(
            _("每个延牌周期不得少于%(n)s个工作日。") % {"n": conf.get("LISTINGS_EXTENSION_MIN_WD")},
            field="extension_wd",
        )
    if project.requested_start is not None:
        if not workdays.is_workday(project.requested_start):
            raise NotAWorkday(
                _("披露起始日 %(d)s 不是工作日（节假日或休息日），请另选。") % {"d": project.requested_start},
                field="requested_start",
            )
        if project.requested_start <= clock.today():
            raise InvalidInput(_("披露起始日须晚于今天。"), field="requested_start")


def check_ready(project: Project) -> None:
    """Everything a project needs before it can be submitted (or resubmitted)."""
    seller = project.seller
    if not seller.is_verified:
        raise InvalidInput(_("转让方须先完成实名认证才能提交挂牌申请。"), code_detail="seller_unverified")
    project.attributes = categories.clean_attributes(project.category, project.attributes, complete=True)
    if project.valuation <= 0:
        raise InvalidInput(_("请填写评估价。"), field="valuation")
    if project.round == 1 and project.floor_price < project.valuation:
        raise FloorBelowValuation(
            _("首次挂牌的转让底价（%(floor)s）不得低于评估价（%(val)s）。")
            % {"floor": format_yuan(project.floor_price), "val": format_yuan(project.valuation)},
            field="floor_price",
        )
    if project.deposit_amount > project.floor_price:
        raise InvalidInput(_("交易保证金不得高于转让底价。"), field="deposit_amount")
    check_periods(project)
    if not project.buyer_conditions.strip():
        raise InvalidInput(_("请填写受让方资格条件。"), field="buyer_conditions")
    if (
        conf.get("LISTINGS_REQUIRE_VALUATION_REPORT")
        and not project.attachments.filter(kind=Attachment.Kind.VALUATION_REPORT).exists()
    ):
        raise InvalidInput(_("请上传评估报告。"), field="attachments")


# --------------------------------------------------------------------------- field cleaning

_TEXT_FIELDS = {"title": 120, "description": 20000, "buyer_conditions": 5000, "payment_terms": 5000}
_MONEY_FIELDS = ("valuation", "floor_price", "deposit_amount")
EDITABLE_FIELDS = (
    "title", "description", "category", "region_id", "valuation", "valuation_date", "floor_price",
    "deposit_amount", "trading_method", "buyer_conditions", "payment_terms", "allow_extension",
    "max_extension_cycles", "extension_wd", "pre_disclosure", "pre_disclosure_wd", "disclosure_wd",
    "requested_start", "attributes", "state_owned",
)  # fmt: skip


def _clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in _TEXT_FIELDS:
            text = str(value or "").strip()
            if name == "title":  # a title others read: NFC, no invisible or control characters
                text = clean_name(text, field="title", label=_("项目名称"))
            if "\x00" in text or len(text) > _TEXT_FIELDS[name]:
                raise InvalidInput(_("内容无效或过长。"), field=name)
            if name == "title" and not text:
                raise InvalidInput(_("请填写项目名称。"), field="title")
            out[name] = text
        elif name in _MONEY_FIELDS:
            try:
                amount = quantize_money(value if isinstance(value, Decimal | int) else str(value))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("请输入正确的金额。"), field=name) from exc
            if amount < 0 or amount >= Decimal("1e16"):
                raise InvalidInput(_("请输入正确的金额。"), field=name)
            out[name] = amount
        elif name == "category":
            if value not in Category.values:
                raise InvalidInput(_("请选择交易品种。"), field="category")
            out[name] = value
        elif name == "trading_method":
            if value not in TradingMethod.values:
                raise InvalidInput(_("请选择交易方式。"), field="trading_method")
            out[name] = value
        elif name == "region_id":
            if value is None or not Region.objects.filter(pk=value).exists():
                raise InvalidInput(_("请选择标的所在地。"), field="region")
            out[name] = int(value)
        elif name in ("allow_extension", "pre_disclosure", "state_owned"):
            out[name] = bool(value)
        elif name in ("max_extension_cycles", "extension_wd", "pre_disclosure_wd", "disclosure_wd"):
            try:
                number = int(value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("请输入整数。"), field=name) from exc
            if not 0 <= number <= 250:
                raise InvalidInput(_("数值超出范围（0–250）。"), field=name)
            out[name] = number
        elif name in ("requested_start", "valuation_date"):
            if value in (None, ""):
                out[name] = None
            elif isinstance(value, dt.date):
                out[name] = value
            else:
                try:
                    out[name] = dt.date.fromisoformat(str(value))
                except ValueError as exc:
                    raise InvalidInput(_("请输入正确的日期。"), field=name) from exc
        elif name == "attributes":
            out[name] = dict(value or {})
    return out


def city_code(region_code: str) -> str:
    """The prefecture-level city of a region code (140121 → 140100), for the hall's filter."""
    return region_code[:4] + "00" if len(region_code) == 6 else ""


def _derive(project: Project) -> None:
    if project.region_id:
        project.region_code = Region.objects.filter(pk=project.region_id).values_list("code", flat=True).first() or ""
        project.city_code = city_code(project.region_code)
    project.attributes = categories.clean_attributes(project.category, project.attributes, complete=False)
    project.unit_price, project.unit_price_unit = categories.unit_price(
        project.category, project.attributes, project.floor_price
    )


def _assign_code(project: Project) -> None:
    if project.code:
        return
    prefix = f"{categories.CODE_PREFIX[project.category]}{clock.today().year}"
    CodeCounter.objects.get_or_create(prefix=prefix)
    counter = CodeCounter.objects.select_for_update().get(prefix=prefix)
    counter.last += 1
    counter.save(update_fields=["last"])
    project.code = f"{prefix}-{counter.last:04d}"
