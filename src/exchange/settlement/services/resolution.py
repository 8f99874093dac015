"""The exceptions queue: an incoming line that matched nothing automatically is matched by
finance to a deposit or a price plan (credited from suspense), or sent back to its payer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.settlement import ledger
from exchange.settlement.models import AccountKind, DepositInstruction, PaymentItem, PricePlan, StatementLine
from exchange.settlement.services.common import NotPending, PlanClosed, queue_payment, require
from exchange.settlement.services.deposits import deposits_confirm, lock_instruction
from exchange.settlement.services.prices import price_in, price_reference

Status = DepositInstruction.Status
LineStatus = StatementLine.Status


def lock_line(line_id: int) -> StatementLine:
    """The exception line, locked; NotPending if it was dealt with already."""
    try:
        line = StatementLine.objects.select_for_update().get(pk=line_id)
    except StatementLine.DoesNotExist:
        raise NotFound(_("银行流水不存在。")) from None
    if line.status != LineStatus.EXCEPTION:
        raise NotPending(_("该笔流水已处理（%(s)s），不能重复处理。") % {"s": line.get_status_display()})
    return line


@transaction.atomic
def statement_line_match(*, line_id: int, instruction_id: int, actor: Any, note: str = "") -> StatementLine:
    """Match an exception line to a deposit by hand: the deposit is credited (frozen) from
    suspense; an excess becomes a return to the payer. Refused for a partial amount (return
    it instead) and for a deposit that is no longer awaiting payment. Locks the line, so two
    concurrent confirmations of the same line credit once (the second gets NotPending)."""
    require(actor, "settlement.resolve_statementline")
    line = lock_line(line_id)
    instruction = lock_instruction(instruction_id)
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        raise IllegalTransition(_("该保证金不在待交纳状态。"))
    if line.amount < instruction.amount:
        raise InvalidInput(_("来款金额不足保证金金额，请退回。"), field="instruction")
    suspense = ledger.system_account(AccountKind.SUSPENSE)
    deposits_confirm([(line, instruction, f"line:{line.pk}:resolve")], source=suspense, actor=actor)
    return close_line(line, LineStatus.RESOLVED, actor, note, instruction)


@transaction.atomic
def statement_line_return(*, line_id: int, actor: Any, note: str = "") -> StatementLine:
    """Send an exception line back to the payer: suspense → refunds payable, and a payment
    item for the next batch (paid only when the bank confirms it)."""
    require(actor, "settlement.resolve_statementline")
    line = lock_line(line_id)
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    ledger.posting_create(
        key=f"line:{line.pk}:resolve",
        reason="return_in",
        reference=f"line:{line.pk}",
        memo=_("退回来款 %(payer)s") % {"payer": line.payer_name},
        lines=[(ledger.system_account(AccountKind.SUSPENSE), line.amount), (refunds, -line.amount)],
        actor=actor,
    )
    instruction = line.instruction
    queue_payment(
        kind=PaymentItem.Kind.RETURN,
        amount=line.amount,
        account_id=refunds.pk,
        line=line,
        member=instruction.member if instruction else None,
        project_id=instruction.project_id if instruction else None,
        project_code=instruction.project_code if instruction else "",
        reference=f"R{line.pk:09d}",
    )
    return close_line(line, LineStatus.RETURNED, actor, note, None)


def close_line(
    line: StatementLine, status: str, actor: Any, note: str, instruction: DepositInstruction | None
) -> StatementLine:
    """The line is dealt with (`status`): by whom, when, and the note, under the audit trail."""
    line.status = status
    line.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    line.resolved_at = clock.now()
    line.resolution_note = note[:300]
    if instruction is not None:
        line.instruction = instruction
    with audit.action(actor, f"statement_line.{status}", note=note):
        line.save()
    return line


@transaction.atomic
def statement_line_match_price(*, line_id: int, plan_id: int, actor: Any, note: str = "") -> StatementLine:
    """Match an exception line to a price plan by hand (e.g. paid before the plan opened,
    or without the virtual account): suspense → the buyer's price account, through the
    same path as `price_payment_record`. Refused above what is still owed (return it
    instead) and on a closed plan; the line is locked, so it is credited once."""
    require(actor, "settlement.resolve_statementline")
    line = lock_line(line_id)
    plan = PricePlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("价款支付计划不存在。"))
    if plan.status != PricePlan.Status.OPEN:
        raise PlanClosed(_("该价款支付计划不在付款中（%(s)s）。") % {"s": plan.get_status_display()})
    posted = price_in(
        plan=plan, amount=line.amount, reference=price_reference(line), source=AccountKind.SUSPENSE, actor=actor
    )
    if not posted:
        raise NotPending(_("该笔银行流水已登记为价款，请核对后退回或手工更正。"))
    line.plan = plan
    return close_line(line, LineStatus.RESOLVED, actor, note, None)
