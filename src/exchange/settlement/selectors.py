"""Reads for the finance pages, the member statement and the API (no writes here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from exchange.core import clock
from exchange.core.money_sql import fen_sum, yuan_from_fen
from exchange.settlement.models import (
    ZERO,
    Account,
    AccountKind,
    BankProfile,
    DepositInstruction,
    Entry,
    PaymentItem,
    PricePlan,
    StatementImport,
    StatementLine,
    StatementUpload,
    TradingMethod,
)
from exchange.settlement.statements import fingerprints, read_statement

Status = DepositInstruction.Status


def deposits_held_by_project() -> list[dict[str, Any]]:
    """Per project: confirmed (frozen) deposits and their total, plus the ones still awaited."""
    rows = (
        DepositInstruction.objects.values("project_id", "project_code", "project_title")
        .annotate(
            held=Count("id", filter=Q(status=Status.CONFIRMED)),
            awaited=Count("id", filter=Q(status=Status.PENDING)),
            refunding=Count("id", filter=Q(status=Status.REFUNDING)),
        )
        .order_by("project_code")
    )
    totals: dict[int, Decimal] = {}
    held = DepositInstruction.objects.filter(status=Status.CONFIRMED).values_list("project_id", "amount")
    for project_id, amount in held:  # summed in Python: exact on SQLite too
        totals[project_id] = totals.get(project_id, ZERO) + amount
    out = [{**row, "total": totals.get(row["project_id"], ZERO)} for row in rows]
    return [r for r in out if r["held"] or r["awaited"] or r["refunding"]]


def refunds_due(on: dt.date | None = None) -> tuple[QuerySet[DepositInstruction], QuerySet[PaymentItem]]:
    """Deposits whose refund date has come (not yet refunded) and payments waiting for a batch."""
    day = on or clock.today()
    deposits = DepositInstruction.objects.filter(status=Status.CONFIRMED, refund_due_on__lte=day).select_related(
        "member"
    )
    items = PaymentItem.objects.filter(
        status__in=[PaymentItem.Status.PENDING, PaymentItem.Status.FAILED], due_on__lte=day
    ).select_related("member")
    return deposits.order_by("refund_due_on", "pk"), items.order_by("due_on", "pk")


def exceptions() -> QuerySet[StatementLine]:
    return (
        StatementLine.objects.filter(status=StatementLine.Status.EXCEPTION)
        .select_related("instruction", "statement")
        .order_by("booked_at", "pk")
    )


def price_payment_account(project_id: int, member_id: int) -> str:
    """The virtual sub-account a buyer pays the price into: the one issued for their deposit
    on this project (the statement import matches price payments to it once the price plan
    is open). Empty when the buyer has no paid deposit there."""
    account = (
        DepositInstruction.objects.filter(
            project_id=project_id, member_id=member_id, status__in=[Status.CONFIRMED, Status.CONVERTED]
        )
        .values_list("virtual_account", flat=True)
        .first()
    )
    return account or ""


def price_match_candidates(line: StatementLine) -> list[PricePlan]:
    """Open price plans a line could pay (not above what is still owed); the plan of its own
    virtual sub-account first."""
    own = line.instruction.project_id if line.instruction_id and line.instruction else None
    out = []
    for plan in PricePlan.objects.filter(status=PricePlan.Status.OPEN).select_related("buyer").order_by("-pk")[:50]:
        account = Account.objects.filter(key=f"{AccountKind.PRICE}:u{plan.buyer_id}:p{plan.project_id}").first()
        plan.outstanding = plan.amount_due - (account.balance if account else ZERO)  # type: ignore[attr-defined]
        if line.amount <= plan.outstanding:  # type: ignore[attr-defined]
            out.append(plan)
    out.sort(key=lambda p: p.project_id != own)
    return out


def match_candidates(line: StatementLine) -> list[DepositInstruction]:
    """Deposits a line could pay: awaiting payment and not above its amount; its own virtual account first."""
    qs = DepositInstruction.objects.filter(
        status__in=[Status.PENDING, Status.EXPIRED], amount__lte=line.amount
    ).select_related("member")
    candidates = list(qs.order_by("-created_at")[:50])
    candidates.sort(
        key=lambda i: (
            i.virtual_account != line.virtual_account,
            not (i.project_code and i.project_code in line.remark),
            i.amount != line.amount,
        )
    )
    return candidates


def bank_movements(day: dt.date) -> dict[str, Any]:
    """Daily cash report: every bank-account entry of the day, opening and closing balance."""
    bank = Account.objects.filter(key=f"sys:{AccountKind.BANK}").first()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    if bank is None:
        return {"day": day, "rows": [], "opening": ZERO, "closing": ZERO, "inflow": ZERO, "outflow": ZERO}
    entries = Entry.objects.filter(account=bank).select_related("posting")
    cents = entries.filter(posting__created_at__lt=start).aggregate(total=fen_sum("amount"))["total"]
    opening = yuan_from_fen(cents)
    today = list(entries.filter(posting__created_at__gte=start, posting__created_at__lt=end).order_by("pk"))
    inflow = sum((e.amount for e in today if e.amount > 0), ZERO)
    outflow = -sum((e.amount for e in today if e.amount < 0), ZERO)
    return {
        "day": day,
        "rows": today,
        "opening": opening,
        "closing": opening + inflow - outflow,
        "inflow": inflow,
        "outflow": outflow,
    }


def member_entries(member: Any) -> QuerySet[Entry]:
    """Every ledger entry on the member's own accounts (deposit, price, seller payable)."""
    return (
        Entry.objects.filter(account__owner=member)
        .select_related("posting", "account")
        .order_by("posting__created_at", "pk")
    )


def member_deposits(member: Any) -> QuerySet[DepositInstruction]:
    return DepositInstruction.objects.filter(member=member).order_by("-created_at")


def project_settlement(project_id: int) -> dict[str, Any]:
    """Everything settled for one project: deposits, price plan, and its postings' entries."""
    deposits = list(DepositInstruction.objects.filter(project_id=project_id).select_related("member"))
    plan = PricePlan.objects.filter(project_id=project_id).select_related("buyer", "seller").first()
    entries = list(
        Entry.objects.filter(posting__project_id=project_id)
        .select_related("posting", "account")
        .order_by("posting__created_at", "pk")
    )
    code = deposits[0].project_code if deposits else (plan.project_code if plan else str(project_id))
    title = deposits[0].project_title if deposits else (plan.project_title if plan else "")
    return {
        "project_id": project_id,
        "code": code,
        "title": title,
        "deposits": deposits,
        "plan": plan,
        "entries": entries,
        "held": sum((d.amount for d in deposits if d.status == Status.CONFIRMED), ZERO),
    }


ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "xlsx": "Excel"}


def upload_bytes(record: StatementUpload) -> tuple[bytes, str]:
    """The stored bytes of an uploaded statement and a name telling its format (CSV or xlsx)."""
    with record.file.open("rb") as handle:
        data = handle.read()
    return data, f"upload{PurePosixPath(record.file.name).suffix}"


def statement_upload_preview(record: StatementUpload, *, rows: int = 10) -> dict[str, Any]:
    """What confirming an upload would import: the header as understood, the first `rows`
    lines as read (with the deposit each would go to, by virtual sub-account), the totals and
    how many lines were imported before (duplicates credit nothing). Raises StatementInvalid
    when the file no longer reads with its profile (the profile was changed meanwhile)."""
    data, name = upload_bytes(record)
    read = read_statement(data, file_name=name, profile=record.profile)
    prints = fingerprints(read.lines, bank=record.profile.code)
    known: set[str] = set()
    for i in range(0, len(prints), 900):
        known.update(
            StatementLine.objects.filter(fingerprint__in=prints[i : i + 900]).values_list("fingerprint", flat=True)
        )
    duplicate: list[bool] = []
    seen: set[str] = set()
    for fp in prints:
        duplicate.append(fp in known or fp in seen)
        seen.add(fp)
    head = read.lines[:rows]
    vas = {line.virtual_account for line in head if line.virtual_account}
    instructions = {
        i.virtual_account: i
        for i in DepositInstruction.objects.select_related("member").filter(virtual_account__in=vas)
    }
    credits = [line for line in read.lines if line.amount > 0]
    return {
        "layout": read.layout,
        "encoding": ENCODING_LABELS.get(read.encoding, read.encoding),
        "sample": [
            {"line": line, "duplicate": dup, "instruction": instructions.get(line.virtual_account)}
            for line, dup in zip(head, duplicate, strict=False)
        ],
        "line_count": len(read.lines),
        "credit_count": len(credits),
        "credit_total": sum((line.amount for line in credits), ZERO),
        "debit_count": len(read.lines) - len(credits),
        "duplicates": sum(duplicate),
        "new": len(read.lines) - sum(duplicate),
    }


def statement_lines(statement: StatementImport) -> QuerySet[StatementLine]:
    """The lines an import recorded, in the file's order, with what each was matched to."""
    return (
        StatementLine.objects.filter(statement=statement)
        .select_related("instruction__member", "plan", "resolved_by")
        .order_by("line_no", "pk")
    )


# --------------------------------------------------------------------------- the read API of other apps
# Trading and deals read settlement's state only through these functions (never its models):
# ids, statuses and amounts; the two display reads return the row a page renders.

DepositStatus = DepositInstruction.Status
PlanMode = PricePlan.Mode
PlanStatus = PricePlan.Status
TRADING_METHODS = TradingMethod.choices


@dataclass(frozen=True)
class DepositRef:
    """A deposit instruction as other apps see it: its id and its status (a DepositStatus)."""

    id: int
    status: str


def deposit_for(project_id: int, member_id: int) -> DepositRef | None:
    """The member's latest deposit instruction on the project (one query), or None."""
    row = (
        DepositInstruction.objects.filter(project_id=project_id, member_id=member_id)
        .order_by("-created_at")
        .values_list("pk", "status")
        .first()
    )
    return DepositRef(*row) if row else None


def deposit_status(instruction_id: int | None) -> str | None:
    """The status of a deposit instruction (a DepositStatus), None when there is none."""
    return DepositInstruction.objects.filter(pk=instruction_id or 0).values_list("status", flat=True).first()


def deposit_held(*, instruction_id: int, project_id: int, member_id: int) -> bool:
    """True while this member's deposit on this project is confirmed (frozen, not yet refunded,
    forfeited or converted)."""
    return DepositInstruction.objects.filter(
        pk=instruction_id, project_id=project_id, member_id=member_id, status=Status.CONFIRMED
    ).exists()


def deposit_instruction(instruction_id: int | None) -> DepositInstruction | None:
    """The instruction an application page shows (account, amount, due time, status)."""
    if not instruction_id:
        return None
    return DepositInstruction.objects.filter(pk=instruction_id).first()


def price_plan_status(project_id: int) -> str | None:
    """The status of the project's price plan (a PlanStatus), None before the plan opens."""
    return PricePlan.objects.filter(project_id=project_id).values_list("status", flat=True).first()


def settled_plan_project_ids() -> QuerySet[PricePlan, Any]:
    """Projects whose price plan is no longer open (paid, or ended): a subquery to filter by."""
    return PricePlan.objects.exclude(status=PlanStatus.OPEN).values("project_id")


def price_plan_for_project(project_id: int) -> PricePlan | None:
    """The project's price plan with its instalments, as the deal page shows it."""
    return PricePlan.objects.filter(project_id=project_id).prefetch_related("instalments").first()


def price_account_balance(*, member_id: int, project_id: int) -> Decimal | None:
    """What is in the buyer's price account for the project (converted deposit + payments);
    None when the account does not exist yet."""
    account = Account.objects.filter(kind=AccountKind.PRICE, owner_id=member_id, project_id=project_id).first()
    return account.balance if account else None


def bank_profile(code: str) -> BankProfile | None:
    """A bank's statement layout by its code ("generic", …): its columns name a file's headings."""
    return BankProfile.objects.filter(code=code).first()
