"""JSON API of the settlement app, mounted by exchange.api at /api/v1/settlement.

Members see only their own deposit instructions and statement; fee quotes show the
band-by-band working of the schedule in force.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema

from exchange.api_support import AMOUNT, Text, TextRule, errors
from exchange.core.errors import NotFound
from exchange.settlement import conf, fees, selectors
from exchange.settlement.models import Account, DepositInstruction, TradingMethod

router = Router(tags=["settlement"])


class DepositOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_title: str
    amount: Decimal
    virtual_account: str
    bank_name: str
    bank: str
    due_at: dt.datetime
    due_provisional: bool
    status: str
    status_label: str
    confirmed_at: dt.datetime | None


def _deposit(d: DepositInstruction) -> dict[str, Any]:
    bank = conf.settlement_bank()
    return {
        "id": d.pk,
        "project_id": d.project_id,
        "project_code": d.project_code,
        "project_title": d.project_title,
        "amount": d.amount,
        "virtual_account": d.virtual_account,
        "bank_name": bank["name"],
        "bank": bank["bank"],
        "due_at": d.due_at,
        "due_provisional": d.due_provisional,
        "status": d.status,
        "status_label": d.get_status_display(),
        "confirmed_at": d.confirmed_at,
    }


@router.get("/deposits", response={200: list[DepositOut], **errors(401)})
def my_deposits(request: HttpRequest) -> Any:
    """The caller's deposit instructions (where and by when to pay, and their state)."""
    return [_deposit(d) for d in selectors.member_deposits(request.auth)]  # type: ignore[attr-defined]


@router.get("/deposits/{deposit_id}", response={200: DepositOut, **errors(401, 404)})
def my_deposit(request: HttpRequest, deposit_id: int) -> Any:
    """One of the caller's deposit instructions (someone else's is 404)."""
    deposit = selectors.member_deposits(request.auth).filter(pk=deposit_id).first()  # type: ignore[attr-defined]
    if deposit is None:
        raise NotFound()
    return _deposit(deposit)


class AccountOut(Schema):
    id: int
    kind: str
    name: str
    project_code: str
    balance: Decimal
    frozen: Decimal


class EntryOut(Schema):
    at: dt.datetime
    account_id: int
    memo: str
    amount: Decimal  # from the member's point of view: + money in, − money out


class StatementOut(Schema):
    accounts: list[AccountOut]
    entries: list[EntryOut]


@router.get("/statement", response={200: StatementOut, **errors(401)})
def my_statement(request: HttpRequest) -> Any:
    """The caller's statement (对账单): balances of their accounts and the latest 500 movements."""
    user = request.auth  # type: ignore[attr-defined]
    accounts = Account.objects.filter(owner=user).order_by("pk")
    entries = list(selectors.member_entries(user))[-500:]
    return {
        "accounts": [
            {
                "id": a.pk,
                "kind": a.kind,
                "name": a.name,
                "project_code": a.project_code,
                "balance": a.balance,
                "frozen": a.frozen,
            }
            for a in accounts
        ],
        "entries": [
            {"at": e.posting.created_at, "account_id": e.account_id, "memo": e.posting.memo, "amount": -e.amount}
            for e in entries
        ],
    }


class FeeQuery(Schema):
    # text, checked and documented by one pattern: `amount=` (empty), `1e3`, `-5` → 422 `invalid`
    amount: Annotated[str, TextRule(AMOUNT, gettext_noop("金额须为 0 或正数（元），最多两位小数，如 50000.00。"))] = (
        Field(description="deal amount in yuan, e.g. 50000.00 (at most 16 digits and 2 decimals)")
    )
    method: TradingMethod = TradingMethod.BIDDING
    side: Literal["buyer", "seller"] = "buyer"
    category: Annotated[Text, Field(max_length=40)] = ""


class BandOut(Schema):
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    fee: Decimal


class FeeOut(Schema):
    amount: Decimal
    schedule: str
    bands: list[BandOut]
    rate: Decimal
    quick_deduction: Decimal
    minimum_applied: bool
    service_fee: Decimal
    total: Decimal


@router.get("/fees/quote", response={200: FeeOut, **errors(401, 404, 422)})
def fee_quote(request: HttpRequest, query: Query[FeeQuery]) -> Any:
    """Service fee of a deal amount with its band-by-band working (差额定率累进)."""
    result = fees.fee_compute(
        amount=Decimal(query.amount), method=query.method, side=query.side, category=query.category
    )
    return {
        "amount": result.amount,
        "schedule": result.schedule_name,
        "bands": [w.__dict__ for w in result.bands],
        "rate": result.rate,
        "quick_deduction": result.quick_deduction,
        "minimum_applied": result.minimum_applied,
        "service_fee": result.service_fee,
        "total": result.total,
    }
