"""What becomes of a paid deposit: refunded to the buyer, forfeited (before or after it was
converted into part of the price), or converted into the price once the contract is signed;
and the refunds due after a result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, InvalidInput
from exchange.settlement import conf, ledger, queries, signals
from exchange.settlement.models import (
    Account,
    AccountKind,
    CreditEvent,
    DepositInstruction,
    PaymentItem,
    PricePlan,
)
from exchange.settlement.services.common import queue_payment, require
from exchange.settlement.services.deposits import deposit_transition, lock_instruction

Status = DepositInstruction.Status


@transaction.atomic
def deposit_refund(*, instruction_id: int, actor: Any = None, reason: str = "") -> DepositInstruction:
    """Release a confirmed deposit back to the buyer: unfreeze, move it to refunds payable
    and queue a refund payment (to the account it came from). The deposit is REFUNDED when
    the bank confirms the payment. Idempotent: a deposit already refunding is returned."""
    require(actor, "settlement.manage_depositinstruction")
    instruction = lock_instruction(instruction_id)
    if instruction.status in (Status.REFUNDING, Status.REFUNDED):
        return instruction
    if instruction.status != Status.CONFIRMED:
        deposit_transition(instruction, Status.REFUNDING, actor, "deposit.refund")  # raises IllegalTransition
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    assert instruction.account_id is not None
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:refund",
        reason="deposit_refund",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金退还 %(code)s %(name)s") % {"code": instruction.project_code, "name": instruction.member.name},
        project_id=instruction.project_id,
        lines=[(instruction.account_id, instruction.amount), (refunds, -instruction.amount)],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    queue_payment(
        kind=PaymentItem.Kind.REFUND,
        amount=instruction.amount,
        account_id=refunds.pk,
        member=instruction.member,
        instruction=instruction,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        reference=f"D{instruction.pk:09d}",
    )
    instruction.outcome_reason = reason[:300]
    deposit_transition(instruction, Status.REFUNDING, actor, "deposit.refund", reason=reason)
    return instruction


@transaction.atomic
def deposit_forfeit(*, instruction_id: int, reason: str, actor: Any = None) -> DepositInstruction:
    """Forfeit a confirmed deposit (the buyer withdrew after paying, did not bid, or as the
    winner did not sign or pay, or breached the rules): unfreeze, credit forfeit income,
    record a credit event and send `deposit_forfeited`. A reason is required."""
    require(actor, "settlement.manage_depositinstruction")
    if not reason.strip():
        raise InvalidInput(_("请填写没收原因。"), field="reason")
    instruction = lock_instruction(instruction_id)
    if instruction.status == Status.FORFEITED:
        return instruction
    if instruction.status != Status.CONFIRMED:
        deposit_transition(instruction, Status.FORFEITED, actor, "deposit.forfeit")
    assert instruction.account_id is not None
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:forfeit",
        reason="deposit_forfeit",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金没收 %(code)s：%(reason)s") % {"code": instruction.project_code, "reason": reason},
        project_id=instruction.project_id,
        lines=[
            (instruction.account_id, instruction.amount),
            (ledger.system_account(AccountKind.FORFEIT_INCOME), -instruction.amount),
        ],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    event = CreditEvent.objects.create(
        member=instruction.member,
        kind=CreditEvent.Kind.DEPOSIT_FORFEITED,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        amount=instruction.amount,
        reason=reason[:300],
        occurred_at=clock.now(),
    )
    instruction.outcome_reason = reason[:300]
    deposit_transition(instruction, Status.FORFEITED, actor, "deposit.forfeit", reason=reason)
    signals.send_on_commit(
        signals.deposit_forfeited,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=instruction.amount,
        instruction_id=instruction.pk,
        reason=reason,
        credit_event_id=event.pk,
    )
    return instruction


@transaction.atomic
def deposit_convert(*, instruction_id: int, actor: Any = None) -> DepositInstruction:
    """Convert the winner's confirmed deposit into part of the price (once the contract is
    signed): unfreeze and move it to the buyer's price account for the project."""
    require(actor, "settlement.manage_depositinstruction")
    instruction = lock_instruction(instruction_id)
    if instruction.status == Status.CONVERTED:
        return instruction
    if instruction.status != Status.CONFIRMED:
        deposit_transition(instruction, Status.CONVERTED, actor, "deposit.convert")
    assert instruction.account_id is not None
    price = ledger.member_account(
        kind=AccountKind.PRICE,
        member=instruction.member,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
    )
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:convert",
        reason="deposit_convert",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金转价款 %(code)s") % {"code": instruction.project_code},
        project_id=instruction.project_id,
        lines=[(instruction.account_id, instruction.amount), (price, -instruction.amount)],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    deposit_transition(instruction, Status.CONVERTED, actor, "deposit.convert")
    signals.send_on_commit(
        signals.deposit_converted,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=instruction.amount,
        instruction_id=instruction.pk,
    )
    return instruction


@transaction.atomic
def deposit_forfeit_converted(*, instruction_id: int, reason: str, actor: Any = None) -> DepositInstruction:
    """The winner defaulted after the contract took effect, so the deposit is already part
    of the price (`deposit_convert`). The deposit is what is forfeited. In one
    posting the buyer's price account is emptied: the converted deposit → forfeit income,
    any price (and fee) the buyer paid on top → refunds payable with a payment item
    (`price_refund`, to the payer of the last price payment, else the deposit's payer).
    The price plan becomes DEFAULTED (no further payments, no overdue flags), a credit
    event is recorded and `deposit_forfeited` sent after commit. Idempotent on a forfeited
    deposit. A reason is required; a deposit not converted raises IllegalTransition (use
    `deposit_forfeit`), and so does a plan already paid in full."""
    require(actor, "settlement.manage_depositinstruction")
    if not reason.strip():
        raise InvalidInput(_("请填写没收原因。"), field="reason")
    instruction = lock_instruction(instruction_id)
    if instruction.status == Status.FORFEITED:
        return instruction
    if instruction.status != Status.CONVERTED:
        raise IllegalTransition(
            _("保证金尚未转为价款（%(s)s），请按保证金没收处理。") % {"s": instruction.get_status_display()},
            status=instruction.status,
        )
    plan = (
        PricePlan.objects.select_for_update()
        .filter(project_id=instruction.project_id, buyer_id=instruction.member_id)
        .first()
    )
    if plan is not None and plan.status not in (PricePlan.Status.OPEN, PricePlan.Status.DEFAULTED):
        raise IllegalTransition(_("价款已付清（%(s)s），不能按违约处理。") % {"s": plan.get_status_display()})
    price = ledger.member_account(
        kind=AccountKind.PRICE,
        member=instruction.member,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
    )
    balance = ledger.lock_accounts([price.pk])[price.pk].balance
    forfeit = min(instruction.amount, balance)
    refund = balance - forfeit
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    lines: list[tuple[Account | int, Decimal]] = [(price, balance)]
    if forfeit > 0:
        lines.append((ledger.system_account(AccountKind.FORFEIT_INCOME), -forfeit))
    if refund > 0:
        lines.append((refunds, -refund))
    if balance > 0:
        ledger.posting_create(
            key=f"deposit:{instruction.pk}:forfeit_converted",
            reason="deposit_forfeit",
            reference=f"deposit:{instruction.pk}",
            memo=_("违约没收已转价款的保证金 %(code)s：%(reason)s")
            % {"code": instruction.project_code, "reason": reason},
            project_id=instruction.project_id,
            lines=lines,
            actor=actor,
        )
    if refund > 0:
        last = queries.last_price_payment(plan)
        payee = (
            (last.payer_name, last.payer_account, last.payer_bank)
            if last is not None and last.payer_account
            else (instruction.payer_name or instruction.member.name, instruction.payer_account, instruction.payer_bank)
        )
        queue_payment(
            kind=PaymentItem.Kind.PRICE_REFUND,
            amount=refund,
            account_id=refunds.pk,
            member=instruction.member,
            project_id=instruction.project_id,
            project_code=instruction.project_code,
            reference=f"P{instruction.pk:09d}",
            payee=payee,
        )
    event = CreditEvent.objects.create(
        member=instruction.member,
        kind=CreditEvent.Kind.DEPOSIT_FORFEITED,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        amount=forfeit,
        reason=reason[:300],
        occurred_at=clock.now(),
    )
    if plan is not None and plan.status == PricePlan.Status.OPEN:
        plan.status = PricePlan.Status.DEFAULTED
        with audit.action(actor, "price_plan.defaulted", reason=reason, refund=refund):
            plan.save(update_fields=["status"])
    instruction.outcome_reason = reason[:300]
    deposit_transition(instruction, Status.FORFEITED, actor, "deposit.forfeit_converted", reason=reason, refund=refund)
    signals.send_on_commit(
        signals.deposit_forfeited,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=forfeit,
        instruction_id=instruction.pk,
        reason=reason,
        credit_event_id=event.pk,
    )
    return instruction


@transaction.atomic
def deposit_refund_schedule(*, project_id: int, result_on: dt.date, keep_member_ids: Iterable[int] = ()) -> int:
    """After a result: every confirmed deposit of the project except the kept ones (the
    winner's) is due for refund N working days after `result_on` (run by `refunds_due_run`).
    Returns how many were scheduled."""
    due = workdays.add_workdays(result_on, conf.refund_workdays())
    qs = DepositInstruction.objects.select_for_update().filter(project_id=project_id, status=Status.CONFIRMED)
    count = 0
    for instruction in qs.exclude(member_id__in=list(keep_member_ids)):
        instruction.refund_due_on = due
        instruction.updated_at = clock.now()
        with audit.action(None, "deposit.refund_schedule", due=due):
            instruction.save(update_fields=["refund_due_on", "updated_at"])
        count += 1
    return count


def refunds_due_run() -> int:
    """Refund every confirmed deposit whose refund date has come (the daily job)."""
    ids = list(
        DepositInstruction.objects.filter(status=Status.CONFIRMED, refund_due_on__lte=clock.today()).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        deposit_refund(instruction_id=pk, reason=str(_("结果公布后退还未成交竞买人保证金")))
    return len(ids)
