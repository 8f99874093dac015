"""Payment batches (代发): the outgoing payments waiting are batched by one finance staff
member, approved by another (four-eyes), exported as the bank's payout file and confirmed
line by line from the bank's result file. Manual postings by finance are here too."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.settlement import ledger, signals
from exchange.settlement.bank_files import parse_payout_result, payout_file
from exchange.settlement.models import ZERO, AccountKind, DepositInstruction, PaymentBatch, PaymentItem, Posting
from exchange.settlement.services.common import FourEyes, require, require_staff
from exchange.settlement.services.deposits import deposit_transition, lock_instruction
from exchange.settlement.statements import StatementInvalid

Status = DepositInstruction.Status


def _batch_transition(batch: PaymentBatch, to: str, actor: Any, **data: Any) -> None:
    if to not in PaymentBatch.TRANSITIONS[batch.status]:
        raise IllegalTransition(_("批次当前状态（%(s)s）不能执行此操作。") % {"s": batch.get_status_display()})
    before = batch.status
    batch.status = to
    with audit.action(actor, f"payment_batch.{to}", **{"from": before, "to": to, **data}):
        batch.save()


def _lock_batch(batch_id: int) -> PaymentBatch:
    try:
        return PaymentBatch.objects.select_for_update().get(pk=batch_id)
    except PaymentBatch.DoesNotExist:
        raise NotFound(_("代发批次不存在。")) from None


@transaction.atomic
def payment_batch_prepare(*, actor: Any, item_ids: Iterable[int] | None = None) -> PaymentBatch:
    """Put the waiting payments (pending or failed; all due ones, or the chosen ids) into a
    new batch awaiting approval by another finance staff member."""
    require(actor, "settlement.prepare_paymentbatch")
    qs = PaymentItem.objects.select_for_update().filter(
        status__in=[PaymentItem.Status.PENDING, PaymentItem.Status.FAILED]
    )
    qs = qs.filter(pk__in=list(item_ids)) if item_ids is not None else qs.filter(due_on__lte=clock.today())
    items = list(qs.order_by("pk"))
    if not items:
        raise InvalidInput(_("没有待代发的款项。"))
    now = clock.now()
    with audit.action(actor, "payment_batch.prepare"):
        batch = PaymentBatch.objects.create(
            code=f"PB-{secrets.token_hex(8)}",  # replaced below by the number built from the id
            prepared_by=actor,
            prepared_at=now,
            total=sum((i.amount for i in items), ZERO),
            item_count=len(items),
        )
        # PB + date + the id: unique by construction (a random suffix collided in the state test)
        batch.code = f"PB{timezone.localtime(now):%Y%m%d}{batch.pk:06d}"
        batch.save(update_fields=["code"])
    PaymentItem.objects.filter(pk__in=[i.pk for i in items]).update(
        batch=batch, status=PaymentItem.Status.BATCHED, failure_reason=""
    )
    return batch


@transaction.atomic
def payment_batch_approve(*, batch_id: int, actor: Any) -> PaymentBatch:
    """Approve a batch (four-eyes: the approver is not the preparer; also a DB constraint)."""
    require(actor, "settlement.approve_paymentbatch")
    batch = _lock_batch(batch_id)
    if actor is None or batch.prepared_by_id == actor.pk:
        raise FourEyes()
    batch.approved_by, batch.approved_at = actor, clock.now()
    _batch_transition(batch, PaymentBatch.Status.APPROVED, actor)
    return batch


@transaction.atomic
def payment_batch_cancel(*, batch_id: int, actor: Any) -> PaymentBatch:
    """Withdraw a batch not yet sent; its items wait for the next batch."""
    require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    _batch_transition(batch, PaymentBatch.Status.CANCELLED, actor)
    batch.payments.update(batch=None, status=PaymentItem.Status.PENDING)
    return batch


@transaction.atomic
def payment_batch_export(*, batch_id: int, actor: Any) -> bytes:
    """The bank file (代发文件, CSV in GBK) of an approved batch; marks it sent. A sent batch
    can be downloaded again (same content)."""
    require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    if batch.status == PaymentBatch.Status.APPROVED:
        batch.exported_at = clock.now()
        _batch_transition(batch, PaymentBatch.Status.SENT, actor)
    elif batch.status not in (PaymentBatch.Status.SENT, PaymentBatch.Status.DONE):
        raise IllegalTransition(_("批次审批后才能导出代发文件。"))
    return payout_file(batch.payments.order_by("pk"))


@transaction.atomic
def payment_batch_confirm(*, batch_id: int, data: bytes, actor: Any) -> PaymentBatch:
    """Import the bank's result file of a sent batch. Successful lines post payable → bank
    and mark the item paid (a refunded deposit becomes REFUNDED); failed lines go back to
    the queue. Nothing is marked paid without such a line. Re-importing is harmless."""
    require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    if batch.status not in (PaymentBatch.Status.SENT, PaymentBatch.Status.DONE):
        raise IllegalTransition(_("批次尚未发送银行。"))
    results = parse_payout_result(data)
    items = {i.reference: i for i in PaymentItem.objects.select_for_update().filter(batch=batch)}
    unknown = [(r.line_no, r.reference) for r in results if r.reference not in items]
    if unknown:
        raise StatementInvalid([(n, _("业务参考号 %(r)s 不属于本批次") % {"r": ref}) for n, ref in unknown])
    bank = ledger.system_account(AccountKind.BANK)
    now = clock.now()
    for _n, ref, ok, txn, why in results:
        item = items[ref]
        if item.status != PaymentItem.Status.BATCHED:
            continue
        if ok:
            ledger.posting_create(
                key=f"item:{item.reference}:paid",
                reason=f"{item.kind}_paid",
                reference=f"item:{item.pk}",
                memo=_("代发成功 %(name)s") % {"name": item.payee_name},
                project_id=item.project_id,
                lines=[(item.account_id, item.amount), (bank, -item.amount)],
                actor=actor,
            )
            item.status, item.paid_at, item.bank_txn_id = PaymentItem.Status.PAID, now, txn[:60]
            if item.instruction_id and item.kind == PaymentItem.Kind.REFUND:
                instruction = lock_instruction(item.instruction_id)
                if instruction.status == Status.REFUNDING:
                    deposit_transition(instruction, Status.REFUNDED, actor, "deposit.refunded", batch=batch.code)
                    signals.send_on_commit(
                        signals.deposit_refunded,
                        project_id=instruction.project_id,
                        member_id=instruction.member_id,
                        amount=instruction.amount,
                        instruction_id=instruction.pk,
                    )
        else:
            item.status, item.failure_reason = PaymentItem.Status.FAILED, (why or _("银行未说明"))[:200]
        with audit.action(actor, "payment_item.result", ok=ok):
            item.save()
    waiting = PaymentItem.objects.filter(batch=batch, status=PaymentItem.Status.BATCHED).exists()
    if not waiting and batch.status == PaymentBatch.Status.SENT:
        batch.completed_at = now
        _batch_transition(batch, PaymentBatch.Status.DONE, actor)
    return batch


@transaction.atomic
def manual_posting_create(
    *, actor: Any, key: str, memo: str, lines: list[tuple[int, Decimal]], reference: str = ""
) -> Posting:
    """A manual journal entry by finance (corrections, bank charges): balanced, with a memo."""
    require_staff(actor, "settlement.post_manual_posting")
    if not memo.strip():
        raise InvalidInput(_("请填写摘要。"), field="memo")
    return ledger.posting_create(
        key=f"manual:{key}", reason="manual", reference=reference, memo=memo, lines=lines, actor=actor
    )
