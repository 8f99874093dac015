"""Deposits (保证金): the payment instruction of a qualified buyer, its due time, cancelling
an unpaid one, crediting a payment (the one deposit-in posting) and expiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core import audit, clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, NotFound
from exchange.core.money import exact_money
from exchange.settlement import conf, ledger, signals
from exchange.settlement.models import (
    Account,
    AccountKind,
    DepositInstruction,
    PaymentItem,
    StatementImport,
    StatementLine,
)
from exchange.settlement.services.accounts import deposit_accounts, new_virtual_account
from exchange.settlement.services.common import DepositPaid, queue_payment, require

Status = DepositInstruction.Status
POSTINGS_PER_CALL = 2000  # postings written by one ledger call of the statement import


def deposit_due(qualified_at: dt.datetime) -> tuple[dt.datetime, bool]:
    """(due time, provisional): N working days after the qualification day, at the cut-off."""
    day = timezone.localtime(qualified_at).date()
    result = workdays.add_workdays_detailed(day, conf.deposit_due_workdays())
    due = timezone.make_aware(dt.datetime.combine(result.date, conf.deposit_cutoff()))
    return due, result.provisional


def deposit_transition(instruction: DepositInstruction, to: str, actor: Any, action: str, **data: Any) -> None:
    """Move a deposit to status `to` if its state machine allows it (else IllegalTransition),
    saved under the audit action `action`."""
    if to not in DepositInstruction.TRANSITIONS[instruction.status]:
        raise IllegalTransition(
            _("保证金当前状态（%(s)s）不能执行此操作。") % {"s": instruction.get_status_display()},
            status=instruction.status,
        )
    before = instruction.status
    instruction.status = to
    instruction.updated_at = clock.now()
    with audit.action(actor, action, **{"from": before, "to": to, **data}):
        instruction.save()


def lock_instruction(instruction_id: int) -> DepositInstruction:
    try:
        return DepositInstruction.objects.select_for_update().select_related("member").get(pk=instruction_id)
    except DepositInstruction.DoesNotExist:
        raise NotFound(_("保证金记录不存在。")) from None


@transaction.atomic
def deposit_instruction_create(
    *,
    project_id: int,
    project_code: str,
    project_title: str,
    member: Any,
    amount: Decimal,
    qualified_at: dt.datetime,
) -> DepositInstruction:
    """Issue the payment instruction of a qualified buyer for one project: a unique
    virtual sub-account (16 digits, Luhn check digit) and the due time (N WD after
    qualification, at the cut-off). Idempotent per (project, member): a second call
    returns the existing instruction. Raises InvalidInput for a non-positive amount or
    one with more than 2 decimals."""
    amount = exact_money(amount, positive=True)
    existing = DepositInstruction.objects.filter(project_id=project_id, member=member).first()
    if existing is not None:
        if existing.status == Status.CANCELLED:
            return _reissue(existing.pk, amount=amount, qualified_at=qualified_at)
        return existing
    due, provisional = deposit_due(qualified_at)
    now = clock.now()
    for _attempt in range(5):
        try:
            with transaction.atomic(), audit.action(None, "deposit.instruct", project_id=project_id):
                return DepositInstruction.objects.create(
                    project_id=project_id,
                    project_code=project_code,
                    project_title=project_title,
                    member=member,
                    amount=amount,
                    virtual_account=new_virtual_account(),
                    qualified_at=qualified_at,
                    due_at=due,
                    due_provisional=provisional,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            existing = DepositInstruction.objects.filter(project_id=project_id, member=member).first()
            if existing is not None:
                return existing
    raise Conflict(_("无法分配虚拟子账号，请重试。"))


def _reissue(instruction_id: int, *, amount: Decimal, qualified_at: dt.datetime) -> DepositInstruction:
    """A cancelled instruction of a member qualified again for the same project (one per
    project and member): pending again with the new amount and due time, same account."""
    instruction = lock_instruction(instruction_id)
    if instruction.status != Status.CANCELLED:
        return instruction
    instruction.amount = amount
    instruction.qualified_at = qualified_at
    instruction.due_at, instruction.due_provisional = deposit_due(qualified_at)
    instruction.outcome_reason = ""
    deposit_transition(instruction, Status.PENDING, None, "deposit.reissue")
    return instruction


@transaction.atomic
def deposit_instruction_cancel(*, instruction_id: int, reason: str = "", actor: Any = None) -> DepositInstruction:
    """Cancel an unpaid deposit instruction (pending, or expired after its due time): the
    applicant withdrew or the application was closed before paying. Idempotent on a
    cancelled one. A paid deposit (confirmed and after) raises DepositPaid: it is refunded
    or forfeited instead. A payment arriving later on the virtual account goes to the
    exceptions queue (重复或已处理的交款) for finance to return."""
    require(actor, "settlement.manage_depositinstruction")
    instruction = lock_instruction(instruction_id)
    if instruction.status == Status.CANCELLED:
        return instruction
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        raise DepositPaid(status=instruction.status)
    instruction.outcome_reason = (reason or "").strip()[:300]
    deposit_transition(instruction, Status.CANCELLED, actor, "deposit.cancel", reason=instruction.outcome_reason)
    return instruction


def deposits_confirm(
    payments: Sequence[tuple[StatementLine, DepositInstruction, str]],
    *,
    source: Account,
    actor: Any,
    statement: StatementImport | None = None,
) -> None:
    """Credit deposits from bank lines: the one deposit-in posting, written for every
    (line, instruction, idempotency key) in bulk. The line's amount comes from `source` —
    the bank for lines the import matched (exact amount, in time), suspense for a line
    matched by hand — to the member's deposit account, frozen; anything above the deposit
    goes to refunds payable and becomes a return to the payer. The deposits become
    CONFIRMED with the line's payer and booking time, and `deposit_confirmed` is sent after
    commit for each.

    With `statement` (the import) the deposits are saved in bulk under one audit action
    that also saves the import's counts; without it each goes through its state machine
    and is audited with its line."""
    if not payments:
        return
    accounts = deposit_accounts([instruction for _line, instruction, _key in payments])
    excess = {line.pk: line.amount - instruction.amount for line, instruction, _key in payments}
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE) if any(e > 0 for e in excess.values()) else None
    specs = []
    for line, instruction, key in payments:
        account = accounts[instruction.pk]
        lines: list[tuple[Account | int, Decimal]] = [(source, line.amount), (account, -instruction.amount)]
        if excess[line.pk] > 0 and refunds is not None:
            lines.append((refunds, -excess[line.pk]))
        specs.append(
            ledger.PostingSpec(
                key=key,
                reason="deposit_in",
                reference=f"deposit:{instruction.pk}",
                memo=_("保证金到账 %(code)s %(name)s")
                % {"code": instruction.project_code, "name": instruction.member.name},
                project_id=instruction.project_id,
                lines=lines,
                freeze={account.pk: instruction.amount},
            )
        )
    for i in range(0, len(specs), POSTINGS_PER_CALL):
        ledger.postings_create(specs=specs[i : i + POSTINGS_PER_CALL], actor=actor)
    for line, instruction, _key in payments:
        if excess[line.pk] > 0 and refunds is not None:
            queue_payment(
                kind=PaymentItem.Kind.RETURN,
                amount=excess[line.pk],
                account_id=refunds.pk,
                line=line,
                member=instruction.member,
                project_id=instruction.project_id,
                project_code=instruction.project_code,
                reference=f"R{line.pk:09d}",
            )
        instruction.account = accounts[instruction.pk]
        instruction.confirmed_at = line.booked_at
        instruction.payer_name, instruction.payer_account = line.payer_name, line.payer_account
        instruction.payer_bank = line.payer_bank
    changed = [instruction for _line, instruction, _key in payments]
    if statement is None:
        for line, instruction, _key in payments:
            deposit_transition(instruction, Status.CONFIRMED, actor, "deposit.confirm", line=line.pk)
    else:
        now = clock.now()
        for instruction in changed:
            instruction.status, instruction.updated_at = Status.CONFIRMED, now
        fields = ["account", "status", "confirmed_at", "payer_name", "payer_account", "payer_bank", "updated_at"]
        DepositInstruction.objects.bulk_update(changed, fields, batch_size=500)
        with audit.action(actor, "deposit.confirm", statement=statement.pk, instructions=[i.pk for i in changed]):
            statement.save(update_fields=["matched_count"])
    for instruction in changed:
        signals.send_on_commit(
            signals.deposit_confirmed,
            project_id=instruction.project_id,
            member_id=instruction.member_id,
            amount=instruction.amount,
            instruction_id=instruction.pk,
        )


@transaction.atomic
def deposits_expire() -> int:
    """Mark deposits still unpaid after their due time as expired (late = gave up)."""
    overdue = DepositInstruction.objects.select_for_update().filter(status=Status.PENDING, due_at__lt=clock.now())
    count = 0
    for instruction in overdue:
        deposit_transition(instruction, Status.EXPIRED, None, "deposit.expire")
        count += 1
    return count
