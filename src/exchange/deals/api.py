"""JSON API of the deals app, mounted by exchange.api at /api/v1/deals.

Members see only their own deals (as buyer, seller or the seller's broker) with both
sides' fees and the working of their own side, and sign the contract for their side.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from exchange.api_support import BodyIn, errors
from exchange.core.errors import NotFound
from exchange.deals import selectors, services
from exchange.deals.models import Deal

router = Router(tags=["deals"])


class DealOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_title: str
    side: str
    kind: str
    price: Decimal
    status: str
    status_label: str
    sign_deadline: dt.date
    buyer_signed: bool
    seller_signed: bool
    effective_on: dt.date | None
    payment_due_on: dt.date | None
    fee: Decimal
    fee_working: dict[str, Any]
    contract_number: str
    certificate_number: str


class SignIn(BodyIn):
    side: Literal["buyer", "seller"] | None = None


def _side(deal: Deal, user: Any) -> str:
    if user.pk == deal.buyer_id:
        return "buyer"
    return "seller"


def _out(deal: Deal, user: Any) -> dict[str, Any]:
    side = _side(deal, user)
    cert = deal.certificates.filter(revoked_at__isnull=True).first()
    return {
        "id": deal.pk,
        "project_id": deal.project_id,
        "project_code": deal.project_code,
        "project_title": deal.project_title,
        "side": side,
        "kind": deal.kind,
        "price": deal.price,
        "status": deal.status,
        "status_label": deal.get_status_display(),
        "sign_deadline": deal.sign_deadline,
        "buyer_signed": deal.buyer_signed_at is not None,
        "seller_signed": deal.seller_signed_at is not None,
        "effective_on": deal.effective_on,
        "payment_due_on": deal.payment_due_on,
        "fee": deal.buyer_fee if side == "buyer" else deal.seller_fee,
        "fee_working": deal.buyer_fee_working if side == "buyer" else deal.seller_fee_working,
        "contract_number": getattr(getattr(deal, "contract", None), "number", "") or "",
        "certificate_number": cert.number if cert and cert.number else "",
    }


def _mine(request: HttpRequest, deal_id: int) -> Deal:
    deal = selectors.member_deals(request.auth).filter(pk=deal_id).first()  # type: ignore[attr-defined]
    if deal is None:
        raise NotFound()
    return deal


@router.get("", response={200: list[DealOut], **errors(401)})
def my_deals(request: HttpRequest) -> Any:
    """The caller's deals (as buyer, seller or the seller's broker), newest first."""
    user = request.auth  # type: ignore[attr-defined]
    return [_out(d, user) for d in selectors.member_deals(user)[:200]]


@router.get("/{deal_id}", response={200: DealOut, **errors(401, 404)})
def my_deal(request: HttpRequest, deal_id: int) -> Any:
    """One of the caller's deals (someone else's is 404)."""
    return _out(_mine(request, deal_id), request.auth)  # type: ignore[attr-defined]


@router.post("/{deal_id}/sign", response={200: DealOut, **errors(400, 401, 403, 404, 409, 422)})
def deal_sign(request: HttpRequest, deal_id: int, payload: SignIn) -> Any:
    """Confirm (sign) the contract for the caller's side, before the signing deadline.
    Errors: not_your_side (403), already_signed / deadline_passed (409)."""
    user = request.auth  # type: ignore[attr-defined]
    deal = _mine(request, deal_id)
    side = payload.side or _side(deal, user)
    return _out(services.contract_sign(deal_id=deal.pk, actor=user, side=side), user)
