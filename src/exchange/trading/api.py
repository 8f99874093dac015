"""JSON API of the trading app, mounted by exchange.api at /api/v1/trading.

Members see and withdraw their own applications (filing one needs the materials: the
site's form, multipart); the auction link and bidder number appear once admitted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from exchange.api_support import BodyIn, Text, errors
from exchange.bidding.services import auction_url
from exchange.core.errors import NotFound
from exchange.trading import selectors, services
from exchange.trading.models import Application

router = Router(tags=["trading"])


class ApplicationOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_title: str
    round: int
    status: str
    status_label: str
    bid_floor: Decimal | None
    submitted_at: dt.datetime
    reject_reasons: list[str]
    deposit_instruction_id: int | None
    deposit_due_at: dt.datetime | None
    bidder_no: str
    auction_id: int | None
    auction_url: str


class WithdrawIn(BodyIn):
    reason: Text = ""


def _out(app: Application) -> dict[str, Any]:
    url = ""
    if app.auction_id:
        url = auction_url(app.auction_id)
    return {
        "id": app.pk,
        "project_id": app.project_id,
        "project_code": app.project.code or "",
        "project_title": app.project.title,
        "round": app.round,
        "status": app.status,
        "status_label": app.get_status_display(),
        "bid_floor": app.bid_floor,
        "submitted_at": app.submitted_at,
        "reject_reasons": list(app.reject_reasons or []),
        "deposit_instruction_id": app.deposit_instruction_id,
        "deposit_due_at": app.deposit_due_at,
        "bidder_no": app.bidder_no,
        "auction_id": app.auction_id,
        "auction_url": url,
    }


def _mine(request: HttpRequest, application_id: int) -> Application:
    app = selectors.my_applications(request.auth).filter(pk=application_id).first()  # type: ignore[attr-defined]
    if app is None:
        raise NotFound(_not_found())
    return app


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("受让申请不存在。")


@router.get("/applications", response={200: list[ApplicationOut], **errors(401)})
def trading_applications(request: HttpRequest) -> Any:
    """The caller's buyer applications (受让申请), newest first."""
    return [_out(a) for a in selectors.my_applications(request.auth)[:200]]  # type: ignore[attr-defined]


@router.get("/applications/{application_id}", response={200: ApplicationOut, **errors(401, 404)})
def trading_application(request: HttpRequest, application_id: int) -> Any:
    return _out(_mine(request, application_id))


@router.post(
    "/applications/{application_id}/withdraw", response={200: ApplicationOut, **errors(400, 401, 403, 404, 409, 422)}
)
def trading_application_withdraw(request: HttpRequest, application_id: int, payload: WithdrawIn) -> Any:
    """Withdraw: free before the deposit, the deposit is forfeited after it (docs/design/domain-rules.md §R21)."""
    _mine(request, application_id)
    app = services.application_withdraw(
        application_id=application_id,
        actor=request.auth,  # type: ignore[attr-defined]
        reason=payload.reason,
    )
    return _out(Application.objects.select_related("project").get(pk=app.pk))
