"""The contract: signatures and the exchange's review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.brokers.selectors import may_act
from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, InvalidInput
from exchange.core.permissions import require_staff
from exchange.deals.models import Deal
from exchange.deals.services.common import (
    AlreadySigned,
    DeadlinePassed,
    NotYourSide,
    S,
    _lock,
    _notify_parties,
    _notify_staff,
    _reason,
    _transition,
    sign_deadline_for,
)
from exchange.settlement import selectors as settlement_selectors
from exchange.settlement import services as settlement
from exchange.settlement.selectors import DepositStatus, PlanMode

# --------------------------------------------------------------------------- contract


def contract_sign(*, deal_id: int, actor: Any, side: str) -> Deal:
    """A party confirms (signs) the contract online, within the signing deadline.

    Only the buyer signs as buyer; only the seller — or the project's broker under the
    seller's mandate in force whose scope includes signing (`brokers.selectors.may_act`) —
    signs as seller (NotYourSide otherwise). Signing twice raises AlreadySigned, after the deadline
    DeadlinePassed, outside OPEN IllegalTransition; nothing changes on any of them. When
    both have signed the deal becomes CONTRACT_SIGNED and the exchange is asked to review.
    """
    if side not in ("buyer", "seller"):
        raise InvalidInput(_("签署方只能是受让方或转让方。"), field="side")
    with transaction.atomic(), audit.action(actor, "contract.sign", deal_id=deal_id, side=side):
        deal = _lock(deal_id)
        user_id = getattr(actor, "pk", None)
        if side == "buyer" and user_id != deal.buyer_id:
            raise NotYourSide()
        if side == "seller" and user_id != deal.seller_id and not may_act(actor, deal.project, sign=True):
            raise NotYourSide()
        signed_at = deal.buyer_signed_at if side == "buyer" else deal.seller_signed_at
        if signed_at is not None:
            raise AlreadySigned()
        if deal.status != S.OPEN:
            raise IllegalTransition(_("合同当前不在签署阶段。"), status=deal.status)
        now = clock.now()
        if timezone.localdate(now) > deal.sign_deadline:
            raise DeadlinePassed(_("签约截止日 %(d)s 已过，不能再签署。") % {"d": deal.sign_deadline.isoformat()})
        if side == "buyer":
            deal.buyer_signed_at = now
            fields: tuple[str, ...] = ("buyer_signed_at",)
        else:
            deal.seller_signed_at, deal.seller_signed_by = now, actor
            fields = ("seller_signed_at", "seller_signed_by")
        if deal.buyer_signed_at and deal.seller_signed_at:
            _transition(deal, S.CONTRACT_SIGNED, fields=fields)
            _notify_parties(
                deal,
                kind="deal.contract_signed",
                subject=_("“%(t)s”合同双方已签署，等待交易中心审核") % {"t": deal.project_title},
            )
            _notify_staff(
                "deals.review_contract",
                kind="deal.contract_review",
                subject=_("合同待审核：%(t)s") % {"t": deal.project_title},
                url=reverse("deals:staff_deal", args=[deal.pk]),
                dedupe_key=f"deal.review:{deal.pk}:{now:%Y%m%d%H%M%S}",
            )
        else:
            deal.updated_at = now
            deal.save(update_fields=[*fields, "updated_at"])
    return deal


def _winner_deposit(deal: Deal) -> settlement_selectors.DepositRef | None:
    return settlement_selectors.deposit_for(deal.project_id, deal.buyer_id)


def contract_review(
    *,
    deal_id: int,
    actor: Any,
    decision: str,
    reason: str = "",
    instalments: list[tuple[dt.date, Decimal]] | None = None,
    guarantee: str = "",
    annual_interest_rate: Decimal = Decimal("0"),
) -> Deal:
    """The exchange reviews the signed contract (staff with deals.review_contract).

    approve: the contract takes effect today, the winner's confirmed deposit converts into
    part of the price (settlement.deposit_convert) and the price plan opens
    (settlement.price_plan_create: lump sum within N WD, or instalments validated there:
    first ≥30% within N WD, a guarantee, ≤1 year). return: a reason is required; both
    signatures are cleared and the parties sign again within a new N-WD deadline.
    """

    require_staff(actor, "deals.review_contract")
    if decision not in ("approve", "return"):
        raise InvalidInput(_("审核意见只能是通过或退回。"), field="decision")
    if decision == "return":
        reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, f"contract.{decision}", deal_id=deal_id, reason=reason):
        deal = _lock(deal_id)
        if deal.status != S.CONTRACT_SIGNED:
            raise IllegalTransition(_("只有双方均已签署的合同可以审核。"), status=deal.status)
        now = clock.now()
        today = timezone.localdate(now)
        deal.reviewed_by, deal.reviewed_at = actor, now
        if decision == "return":
            deadline = sign_deadline_for(today)
            deal.return_reason = reason
            deal.buyer_signed_at = deal.seller_signed_at = None
            deal.seller_signed_by = None
            deal.sign_deadline, deal.sign_deadline_provisional = deadline.date, deadline.provisional
            _transition(
                deal,
                S.OPEN,
                fields=("reviewed_by", "reviewed_at", "return_reason", "buyer_signed_at", "seller_signed_at",
                        "seller_signed_by", "sign_deadline", "sign_deadline_provisional"),
            )  # fmt: skip
            _notify_parties(
                deal,
                kind="deal.contract_returned",
                subject=_("“%(t)s”合同被退回，请于 %(d)s 前重新签署")
                % {"t": deal.project_title, "d": deal.sign_deadline},
                body=reason,
            )
            return deal
        deposit = _winner_deposit(deal)
        if deposit is not None and deposit.status == DepositStatus.CONFIRMED:
            settlement.deposit_convert(instruction_id=deposit.id)
        plan = settlement.price_plan_create(
            project_id=deal.project_id,
            project_code=deal.project_code,
            project_title=deal.project_title,
            buyer=deal.buyer,
            seller=deal.seller,
            price=deal.price,
            contract_effective_on=today,
            mode=PlanMode.INSTALMENTS if instalments else PlanMode.LUMP_SUM,
            instalments=instalments,
            guarantee=guarantee,
            annual_interest_rate=annual_interest_rate,
            buyer_fee=deal.buyer_fee,
            seller_fee=deal.seller_fee,
        )
        first = plan.instalments.order_by("seq").first()
        deal.effective_on = today
        deal.price_plan_id = plan.pk
        deal.payment_due_on = first.due_on if first else workdays.add_workdays(today, 5)
        deal.return_reason = ""
        _transition(
            deal,
            S.EFFECTIVE,
            fields=("reviewed_by", "reviewed_at", "effective_on", "price_plan_id", "payment_due_on", "return_reason"),
        )
        _notify_parties(
            deal,
            kind="deal.contract_effective",
            subject=_("“%(t)s”合同已生效，请于 %(d)s 前付清价款及服务费")
            % {"t": deal.project_title, "d": deal.payment_due_on},
        )
    return deal
