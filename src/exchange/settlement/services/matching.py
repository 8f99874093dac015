"""The statement import proper: record a file's new lines and match them — deposits paid
exactly and in time to their virtual sub-account, price payments to an open plan — and put
every other incoming line into suspense for the exceptions queue."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import Conflict
from exchange.settlement import ledger, queries
from exchange.settlement.models import (
    AccountKind,
    BankProfile,
    DepositInstruction,
    Posting,
    PricePlan,
    StatementImport,
    StatementLine,
)
from exchange.settlement.services.deposits import POSTINGS_PER_CALL, deposits_confirm
from exchange.settlement.services.prices import price_in, price_key, price_reference
from exchange.settlement.statements import ParsedLine

Status = DepositInstruction.Status
LineStatus = StatementLine.Status
Problem = StatementLine.Problem
CLAIMED = "_claimed"  # an instruction a line of this file paid: a second line for it is NOT_PENDING


def classify(line: StatementLine, instruction: DepositInstruction | None) -> str:
    """The problem of an incoming line as a deposit payment (Problem.NONE: it pays it)."""
    if instruction is None:
        return Problem.UNKNOWN
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        return Problem.NOT_PENDING
    if line.booked_at > instruction.due_at:
        return Problem.LATE
    if line.amount < instruction.amount:
        return Problem.PARTIAL
    if line.amount > instruction.amount:
        return Problem.EXCESS
    return Problem.NONE


@transaction.atomic
def import_lines(
    profile: BankProfile,
    file_name: str,
    data: bytes,
    parsed: list[ParsedLine],
    prints: list[str],
    encoding: str,
    actor: Any,
) -> StatementImport:
    """Record and match the lines of a file already read whole (see `statement_import`)."""
    now = clock.now()
    known = queries.known_fingerprints(prints)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with audit.action(actor, "statement.import", file=file_name):
        statement = StatementImport.objects.create(
            profile=profile,
            file_name=file_name[:200],
            file_sha256=hashlib.sha256(data).hexdigest(),
            encoding=encoding,
            line_count=len(parsed),
            imported_by=user,
            imported_at=now,
        )
    fresh: list[StatementLine] = []
    seen: set[str] = set()
    for p, fp in zip(parsed, prints, strict=True):
        if fp in known or fp in seen:
            continue
        seen.add(fp)
        fresh.append(
            StatementLine(
                statement=statement,
                line_no=p.line_no,
                fingerprint=fp,
                bank_txn_id=p.bank_txn_id,
                booked_at=p.booked_at,
                amount=p.amount if p.amount else -p.debit,
                payer_name=p.payer_name,
                payer_account=p.payer_account,
                payer_bank=p.payer_bank,
                virtual_account=p.virtual_account,
                remark=p.remark,
                status=LineStatus.EXCEPTION,
                created_at=now,
            )
        )
    instructions = _lock_instructions(
        {line.virtual_account for line in fresh if line.virtual_account and line.amount > 0}
    )
    matched: list[tuple[StatementLine, DepositInstruction, str]] = []
    prices = _PriceMatcher(instructions.values())
    original = {va: i.status for va, i in instructions.items()}
    for line in fresh:
        if line.amount <= 0:
            line.status = LineStatus.IGNORED
            continue
        found = instructions.get(line.virtual_account)
        line.instruction = found
        if prices.claims(line, found):
            continue
        line.problem = classify(line, found)
        if found is not None and line.problem == Problem.NONE:
            line.status = LineStatus.MATCHED
            matched.append((line, found, f"line:{line.fingerprint}:in"))
            found.status = CLAIMED
    for va, status in original.items():
        instructions[va].status = status
    try:
        with transaction.atomic():
            StatementLine.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:  # the same lines committed meanwhile by a concurrent import
        raise Conflict(_("该对账单正在由另一位同事导入，请稍后刷新查看。")) from None
    if any(line.pk is None for line in fresh):
        by_fp = StatementLine.objects.in_bulk([line.fingerprint for line in fresh], field_name="fingerprint")
        for line in fresh:
            line.pk = by_fp[line.fingerprint].pk
    bank = ledger.system_account(AccountKind.BANK)
    suspense = ledger.system_account(AccountKind.SUSPENSE)
    specs = [
        ledger.PostingSpec(
            key=f"line:{line.fingerprint}:in",
            reason="bank_in_suspense",
            reference=f"line:{line.pk}",
            memo=_("待查明来款 %(payer)s") % {"payer": line.payer_name},
            lines=[(bank, line.amount), (suspense, -line.amount)],
        )
        for line in fresh
        if line.status == LineStatus.EXCEPTION
    ]
    for i in range(0, len(specs), POSTINGS_PER_CALL):
        ledger.postings_create(specs=specs[i : i + POSTINGS_PER_CALL], actor=actor)
    deposits_confirm(matched, source=bank, actor=actor, statement=statement)
    prices.record(actor=actor)
    statement.new_count = len(fresh)
    statement.duplicate_count = len(parsed) - len(fresh)
    statement.matched_count = len(matched) + len(prices.matched)
    statement.exception_count = sum(1 for line in fresh if line.status == LineStatus.EXCEPTION)
    statement.save(update_fields=["new_count", "duplicate_count", "matched_count", "exception_count"])
    return statement


def _lock_instructions(virtual_accounts: set[str]) -> dict[str, DepositInstruction]:
    """The deposit instructions of these virtual sub-accounts, locked (in sorted order)."""
    instructions: dict[str, DepositInstruction] = {}
    ordered = sorted(virtual_accounts)
    for i in range(0, len(ordered), queries.IN_CHUNK):
        for instruction in (
            DepositInstruction.objects.select_for_update()
            .select_related("member")
            .filter(virtual_account__in=ordered[i : i + queries.IN_CHUNK])
        ):
            instructions[instruction.virtual_account] = instruction
    return instructions


class _PriceMatcher:
    """Statement lines paid to a buyer's project virtual sub-account after the deposit was
    paid and a price plan is open for that buyer and project: price payments (the
    buyer pays the price to the same virtual sub-account as the deposit).

    Built inside the import's transaction: the plans are locked (after the instructions,
    the one lock order), what is still owed is read once and reduced line by line, so a
    line is matched only if it fits. Lines that do not fit go to the exceptions queue:
    `price_excess` (more than still owed, or the plan already paid) or `no_plan` (deposit
    converted but no plan yet, or the plan terminated by a default). `record` posts the
    matched ones through `price_in`, the code path of `price_payment_record`."""

    def __init__(self, instructions: Iterable[DepositInstruction]) -> None:
        paid = [i for i in instructions if i.status not in (Status.PENDING, Status.EXPIRED)]
        self.plans: dict[int, PricePlan] = {}
        self.owed: dict[int, Decimal] = {}
        self.matched: list[tuple[StatementLine, PricePlan]] = []
        if not paid:
            return
        wanted = {(i.project_id, i.member_id) for i in paid}
        projects = sorted({project_id for project_id, _member in wanted})
        for plan in PricePlan.objects.select_for_update().filter(project_id__in=projects).order_by("pk"):
            if (plan.project_id, plan.buyer_id) in wanted:
                self.plans[plan.project_id] = plan
        held = queries.price_balances(self.plans.values())
        for plan in self.plans.values():
            self.owed[plan.pk] = plan.amount_due - held[plan.pk]

    def claims(self, line: StatementLine, instruction: DepositInstruction | None) -> bool:
        """Classify `line` as a price payment if it is one (True), else leave it to the deposit rules."""
        if instruction is None or instruction.status in (Status.PENDING, Status.EXPIRED, CLAIMED):
            return False
        plan = self.plans.get(instruction.project_id)
        if plan is not None and plan.buyer_id != instruction.member_id:
            plan = None  # another member's deposit on the winner's project (e.g. a refund pending)
        if plan is None and instruction.status != Status.CONVERTED:
            return False  # a deposit paid twice, or after its refund: NOT_PENDING, as before
        line.plan = plan
        if plan is None or plan.status == PricePlan.Status.DEFAULTED:
            line.problem = Problem.NO_PLAN
            return True
        if plan.status != PricePlan.Status.OPEN:  # paid in full: nothing is owed any more
            line.problem = Problem.PRICE_EXCESS
            return True
        done = Posting.objects.filter(key=price_key(plan, price_reference(line))).first()
        if done is not None:  # recorded by hand on the deals page with this bank reference
            if queries.posting_credit(done) == line.amount:
                line.status, line.problem = LineStatus.MATCHED, Problem.NONE
            else:
                line.problem = Problem.NOT_PENDING
            return True
        if line.amount > self.owed[plan.pk]:
            line.problem = Problem.PRICE_EXCESS
            return True
        self.owed[plan.pk] -= line.amount
        line.status, line.problem = LineStatus.MATCHED, Problem.NONE
        self.matched.append((line, plan))
        return True

    def record(self, *, actor: Any) -> None:
        for line, plan in self.matched:
            with audit.action(actor, "price.statement_match", line=line.pk, plan=plan.pk):
                price_in(
                    plan=plan,
                    amount=line.amount,
                    reference=price_reference(line),
                    source=AccountKind.BANK,
                    actor=actor,
                )
