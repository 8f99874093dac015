"""Opening a deal (成交) once the buyer is known."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock
from exchange.core.errors import InvalidInput, NotFound
from exchange.core.money import format_yuan, quantize_money
from exchange.core.permissions import require_system
from exchange.deals import conf, selectors
from exchange.deals.facts import result_rule
from exchange.deals.models import Contract, Deal
from exchange.deals.services.common import (
    FEE_METHOD,
    BuyerBarred,
    DealExists,
    _notify_parties,
    _number,
    contract_template_for,
    deal_fees,
    sign_deadline_for,
)
from exchange.listings import services as listings
from exchange.listings.selectors import ProjectStatus
from exchange.settlement import services as settlement

# --------------------------------------------------------------------------- deal_open


def deal_open(
    *,
    project_id: int,
    buyer_id: int,
    price: Decimal,
    kind: str,
    auction_id: int | None = None,
    bidder_no: str = "",
    actor: Any = None,
) -> Deal:
    """Open the deal of the project's current round (auction won or agreement).

    Idempotent per (project, round): the same buyer and price return the existing deal; a
    different one raises DealExists. In one transaction: the project → DEAL (from BIDDING
    or DISCLOSURE_ENDED; already DEAL is accepted), the deal with both sides' fees (with
    their working), the contract draft and the signing deadline (N WD), the refund of
    every other deposit scheduled (settlement.deposit_refund_schedule, the buyer kept),
    buyer and seller (and broker) notified. Raises InvalidInput for a bad kind or price,
    IllegalTransition when the project cannot become a deal.
    """
    require_system(actor)

    if kind not in Deal.Kind.values:
        raise InvalidInput(_("成交方式只能是网络竞价或协议成交。"), field="kind")
    if not isinstance(price, Decimal):
        raise InvalidInput(_("成交价须为金额。"), field="price")
    price = quantize_money(price)
    if price <= 0:
        raise InvalidInput(_("成交价必须大于零。"), field="price")
    with transaction.atomic(), audit.action(actor, "deal.open", project_id=project_id, buyer_id=buyer_id, price=price):
        project = listings.project_for_update(project_id)
        existing = Deal.objects.filter(project=project, round=project.round).first()
        if existing is not None:
            if existing.buyer_id == buyer_id and existing.price == price:
                return existing
            raise DealExists(deal_id=existing.pk)
        buyer = User.objects.filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(_("受让方不存在。"), field="buyer_id")
        if buyer.pk == project.seller_id:
            raise InvalidInput(_("受让方不能是转让方本人。"), field="buyer_id")
        if price < project.floor_price:
            raise InvalidInput(_("成交价不得低于转让底价。"), field="price")
        if buyer.pk in _barred(project.pk):
            raise BuyerBarred(field="buyer_id")
        if project.status != ProjectStatus.DEAL:
            listings.project_trade_move(project_id=project.pk, to=ProjectStatus.DEAL, actor=actor, reason="deal")
        now = clock.now()
        today = timezone.localdate(now)
        method = FEE_METHOD[kind]
        fees = deal_fees(price=price, method=method, category=project.category, on=today)
        deadline = sign_deadline_for(today)
        deal = Deal.objects.create(
            project=project,
            round=project.round,
            project_code=project.code or "",
            project_title=project.title,
            buyer=buyer,
            seller_id=project.seller_id,
            kind=kind,
            auction_id=auction_id,
            bidder_no=bidder_no[:20],
            price=price,
            fee_method=method,
            buyer_fee=fees["buyer"][0],
            buyer_fee_working=fees["buyer"][1],
            seller_fee=fees["seller"][0],
            seller_fee_working=fees["seller"][1],
            publish_buyer_name=result_rule(project).publishes("buyer"),
            opened_at=now,
            sign_deadline=deadline.date,
            sign_deadline_provisional=deadline.provisional,
            updated_at=now,
        )
        contract = Contract.objects.create(deal=deal, template=contract_template_for(project.category), created_at=now)
        contract.number = _number(conf.contract_prefix(), today.year, contract.pk)
        contract.save(update_fields=["number"])
        settlement.deposit_refund_schedule(project_id=project.pk, result_on=today, keep_member_ids=[buyer.pk])
        _notify_parties(
            deal,
            kind="deal.opened",
            subject=_("项目“%(t)s”已成交，请于 %(d)s 前签署产权交易合同")
            % {"t": project.title, "d": deal.sign_deadline.isoformat()},
            body=_("成交价 %(p)s。") % {"p": format_yuan(price)},
        )
    return deal


def _barred(project_id: int) -> set[int]:
    return selectors.barred_member_ids(project_id)
