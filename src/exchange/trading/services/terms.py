"""Trading terms (交易条件) of a project."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from exchange.core import audit
from exchange.core.errors import InvalidInput, NotFound
from exchange.core.money import quantize_money
from exchange.core.permissions import require_staff
from exchange.listings import selectors as listings_selectors
from exchange.trading import conf
from exchange.trading.models import (
    NoBuyer,
    PriorityHolder,
    TradingTerms,
)

if TYPE_CHECKING:
    from exchange.listings.models import Project

# --------------------------------------------------------------------------- terms


def terms_defaults(project: Project) -> dict[str, Any]:
    """The terms a project gets when nobody set them (from `trading.conf`)."""
    ratio = Decimal(str(conf.get("TRADING_INCREMENT_RATIO")))
    step = (project.floor_price * ratio / 100).quantize(Decimal("1")) * 100 if project.floor_price else Decimal(100)
    return {
        "allow_consortium": conf.get("TRADING_ALLOW_CONSORTIUM"),
        "require_bid_floor": conf.get("TRADING_REQUIRE_BID_FLOOR"),
        "seller_opinion_required": conf.get("TRADING_SELLER_OPINION_REQUIRED"),
        "joint_review": conf.get("TRADING_JOINT_REVIEW"),
        "on_no_buyer": conf.get("TRADING_ON_NO_BUYER"),
        "increment": max(step, Decimal("100")),
        "countdown_seconds": conf.get("TRADING_COUNTDOWN_SECONDS"),
        "free_period_seconds": conf.get("TRADING_FREE_PERIOD_SECONDS"),
        "window_seconds": conf.get("TRADING_WINDOW_SECONDS"),
        "extension_seconds": conf.get("TRADING_EXTENSION_SECONDS"),
        "materials": conf.materials_for(project.category),
    }


def terms_ensure(*, project_id: int) -> TradingTerms:
    """The project's terms, created with the defaults on first use (idempotent)."""
    terms = TradingTerms.objects.filter(project_id=project_id).first()
    if terms is not None:
        return terms
    project = listings_selectors.project_get(project_id)
    if project is None:
        raise NotFound(_("项目不存在。"))
    try:
        with transaction.atomic(), audit.action(None, "trading_terms.create"):
            return TradingTerms.objects.create(project=project, **terms_defaults(project))
    except IntegrityError:
        return TradingTerms.objects.get(project_id=project_id)


_TERM_FIELDS = ("allow_consortium", "require_bid_floor", "seller_opinion_required", "joint_review", "on_no_buyer",
                "increment", "countdown_seconds", "free_period_seconds", "window_seconds", "extension_seconds",
                "materials")  # fmt: skip


def terms_update(
    *, project_id: int, actor: Any, holders: Sequence[tuple[int, int]] | None = None, **data: Any
) -> TradingTerms:
    """Staff change a project's terms (and, if given, its pre-emption holders as (member id, rank))."""
    require_staff(actor, "trading.change_tradingterms")
    unknown = set(data) - set(_TERM_FIELDS)
    if unknown:
        raise InvalidInput(_("未知的字段：%(f)s。") % {"f": "、".join(sorted(unknown))})
    if "on_no_buyer" in data and data["on_no_buyer"] not in NoBuyer.values:
        raise InvalidInput(_("请选择未征集到竞买人时的处理方式。"), field="on_no_buyer")
    if "increment" in data:
        data["increment"] = quantize_money(Decimal(data["increment"]))
        if data["increment"] <= 0:
            raise InvalidInput(_("加价幅度须大于零。"), field="increment")
    if "materials" in data:
        bad = [m for m in data["materials"] if m not in conf.MATERIAL_LABELS]
        if bad:
            raise InvalidInput(_("未知的材料类型：%(m)s。") % {"m": "、".join(bad)}, field="materials")
    for name in ("countdown_seconds", "free_period_seconds", "window_seconds", "extension_seconds"):
        if name in data and int(data[name]) <= 0:
            raise InvalidInput(_("时长须大于零。"), field=name)
    terms = terms_ensure(project_id=project_id)
    with transaction.atomic(), audit.action(actor, "trading_terms.update"):
        terms = TradingTerms.objects.select_for_update().get(pk=terms.pk)
        for name, value in data.items():
            setattr(terms, name, value)
        terms.save()
        if holders is not None:
            ranks = {}
            for member_id, rank in holders:
                if int(rank) <= 0:
                    raise InvalidInput(_("优先购买权顺位须为正整数。"), field="holders")
                ranks[int(member_id)] = int(rank)
            terms.holders.exclude(member_id__in=list(ranks)).delete()
            for member_id, rank in ranks.items():
                PriorityHolder.objects.update_or_create(terms=terms, member_id=member_id, defaults={"rank": rank})
    return terms


def holder_rank(project_id: int, member_id: int) -> int:
    return (
        PriorityHolder.objects.filter(terms__project_id=project_id, member_id=member_id)
        .values_list("rank", flat=True)
        .first()
        or 0
    )
