"""Release and close, default (悔拍) and relist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import Conflict, IllegalTransition
from exchange.core.permissions import require, require_staff, require_system
from exchange.deals.models import Deal
from exchange.deals.services.common import (
    DEFAULTABLE,
    S,
    _lock,
    _notify_parties,
    _notify_staff,
    _reason,
    _transition,
)
from exchange.deals.services.contract import _winner_deposit
from exchange.listings import services as listings
from exchange.settlement import services as settlement
from exchange.settlement.selectors import DepositStatus, settled_plan_project_ids

# --------------------------------------------------------------------------- release and close


def deal_funds_released(*, project_id: int, plan_id: int | None = None) -> Deal | None:
    """Settlement's `seller_released`: the price went to the seller → FUNDS_RELEASED, then
    CLOSED (project → CLOSED) once the 成交公告's publicity period is over."""
    with transaction.atomic(), audit.action(None, "deal.funds_released", project_id=project_id, plan_id=plan_id):
        deal = Deal.objects.select_for_update().filter(project_id=project_id, status=S.CERTIFICATE_ISSUED).first()
        if deal is None:
            return None
        deal.released_at = clock.now()
        _transition(deal, S.FUNDS_RELEASED, fields=("released_at",))
    deal_close(deal_id=deal.pk)
    deal.refresh_from_db()
    return deal


def deal_close(*, deal_id: int, actor: Any = None) -> Deal:
    """FUNDS_RELEASED → CLOSED once the result notice's publicity period has ended; the
    project → CLOSED. Idempotent; returns the deal unchanged while publicity runs."""

    require_system(actor)
    with transaction.atomic(), audit.action(actor, "deal.close", deal_id=deal_id):
        deal = _lock(deal_id)
        if deal.status != S.FUNDS_RELEASED:
            return deal
        notice = deal.result_notice
        if notice is not None and notice.period_end and notice.period_end > clock.today():
            return deal
        deal.closed_at = clock.now()
        _transition(deal, S.CLOSED, fields=("closed_at",))
        listings.project_trade_move(project_id=deal.project_id, to="closed", actor=actor, reason="deal closed")
        _notify_parties(deal, kind="deal.closed", subject=_("“%(t)s”交易已完成") % {"t": deal.project_title})
    return deal


def deals_close_run() -> int:
    """Close every deal whose funds were released and whose publicity period has ended."""
    count = 0
    for pk in Deal.objects.filter(status=S.FUNDS_RELEASED).values_list("pk", flat=True):
        if deal_close(deal_id=pk).status == S.CLOSED:
            count += 1
    return count


# --------------------------------------------------------------------------- default and relist


def deal_default(*, deal_id: int, reason: str, actor: Any = None) -> Deal:
    """悔拍: the buyer did not sign or pay in time, or breached (staff with
    deals.record_default, or the periodic job). A reason is required. The deal →
    DEFAULTED, the buyer's deposit is forfeited (settlement.deposit_forfeit records the
    credit event; once the contract took effect the deposit is already price, so
    settlement.deposit_forfeit_converted forfeits it, refunds any price paid and
    terminates the price plan), the buyer is barred from the re-sale
    (`barred_member_ids`), the project stays in DEAL for staff to relist; parties and
    staff are notified."""

    require(actor, "deals.record_default")
    reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, "deal.default", deal_id=deal_id, reason=reason):
        deal = _lock(deal_id)
        if deal.status not in DEFAULTABLE:
            raise IllegalTransition(_("当前状态下不能认定违约。"), status=deal.status)
        deposit = _winner_deposit(deal)
        if deposit is not None and deposit.status == DepositStatus.CONFIRMED:
            settlement.deposit_forfeit(instruction_id=deposit.id, reason=_("受让方违约（悔拍）：%(r)s") % {"r": reason})
        elif deposit is not None and deposit.status == DepositStatus.CONVERTED:
            # the contract took effect, the deposit is already price: settlement forfeits it
            # from the price account, refunds any price paid and terminates the plan
            settlement.deposit_forfeit_converted(
                instruction_id=deposit.id, reason=_("受让方违约（悔拍）：%(r)s") % {"r": reason}
            )
        deal.defaulted_at, deal.default_reason = clock.now(), reason
        _transition(deal, S.DEFAULTED, fields=("defaulted_at", "default_reason"))
        _notify_parties(
            deal,
            kind="deal.defaulted",
            subject=_("“%(t)s”受让方违约，保证金不予退还") % {"t": deal.project_title},
            body=reason,
        )
        _notify_staff(
            "listings.manage_disclosure",
            kind="deal.relist_needed",
            subject=_("受让方违约，待重新挂牌：%(t)s") % {"t": deal.project_title},
            url=reverse("deals:staff_deal", args=[deal.pk]),
            dedupe_key=f"deal.relist:{deal.pk}",
        )
    return deal


def defaults_due(today: dt.date | None = None) -> list[int]:
    """Deals whose contract or payment deadline has passed (the default job's worklist)."""

    today = today or clock.today()
    late_sign = Deal.objects.filter(status=S.OPEN, sign_deadline__lt=today)
    late_pay = Deal.objects.filter(status=S.EFFECTIVE, payment_due_on__lt=today).exclude(
        project_id__in=settled_plan_project_ids()
    )
    return sorted({*late_sign.values_list("pk", flat=True), *late_pay.values_list("pk", flat=True)})


def defaults_run() -> int:
    """The periodic job: every deal past its signing or payment deadline is defaulted."""
    count = 0
    today = clock.today()
    for pk in defaults_due(today):
        deal = Deal.objects.get(pk=pk)
        if deal.status == S.OPEN:
            reason = _("未在签约截止日 %(d)s 前签署产权交易合同") % {"d": deal.sign_deadline.isoformat()}
        else:
            reason = _("未在 %(d)s 前付清价款") % {"d": deal.payment_due_on.isoformat() if deal.payment_due_on else ""}
        try:
            deal_default(deal_id=pk, reason=reason)
        except IllegalTransition:
            continue
        count += 1
    return count


def deal_relist(
    *,
    deal_id: int,
    actor: Any,
    floor_price: Decimal,
    consent_attachment_id: int | None = None,
    disclosure_wd: int | None = None,
) -> Deal:
    """Relist the project of a defaulted deal (listings.project_relist checks the staff
    permission, the 90%-of-valuation consent and the 12-month stop). Once only."""

    require_staff(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "deal.relist", deal_id=deal_id, floor_price=floor_price):
        deal = _lock(deal_id)
        if deal.status != S.DEFAULTED:
            raise IllegalTransition(_("只有受让方违约的成交可以重新挂牌。"), status=deal.status)
        if deal.relisted_at is not None:
            raise Conflict(_("该项目已重新挂牌。"))
        listings.project_relist(
            project_id=deal.project_id,
            actor=actor,
            floor_price=floor_price,
            consent_attachment_id=consent_attachment_id,
            disclosure_wd=disclosure_wd,
        )
        deal.relisted_at = clock.now()
        deal.updated_at = deal.relisted_at
        deal.save(update_fields=["relisted_at", "updated_at"])
    return deal
