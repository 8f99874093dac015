"""Refunds, forfeits, conversions, payment batches (four-eyes), price payment and release."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from exchange.core import clock
from exchange.core.errors import DomainError, IllegalTransition, InvalidInput, PermissionDenied
from exchange.settlement import ledger, services, signals, tasks
from exchange.settlement.models import (
    AccountKind,
    CreditEvent,
    DepositInstruction,
    PaymentBatch,
    PaymentItem,
    PricePlan,
)
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db


def _confirmed(amount: D = D("10000.00"), project_id: int | None = None, member=None) -> DepositInstruction:
    instruction = f.instruction(amount=amount, project_id=project_id, member=member)
    f.import_rows(
        [f.row(amount=amount, virtual_account=instruction.virtual_account, txn=f"T{instruction.pk}")], actor=None
    )
    instruction.refresh_from_db()
    assert instruction.status == "confirmed"
    return instruction


def _result_file(batch: PaymentBatch, ok: bool = True) -> bytes:
    rows = ["业务参考号,处理结果,银行流水号,失败原因"]
    rows += [
        f"{i.reference},{'成功' if ok else '失败'},B{i.pk},{'' if ok else '账号不存在'}" for i in batch.payments.all()
    ]
    return "\n".join(rows).encode("gbk")


def test_losers_are_refunded_3_workdays_after_the_result_by_the_job_and_paid_only_on_bank_confirmation():
    # given: two bidders of one project, the result published on Friday 2026-03-06
    winner, loser = _confirmed(project_id=500), _confirmed(project_id=500)
    assert (
        services.deposit_refund_schedule(
            project_id=500, result_on=dt.date(2026, 3, 6), keep_member_ids=[winner.member_id]
        )
        == 1
    )
    loser.refresh_from_db()
    assert loser.refund_due_on == dt.date(2026, 3, 11)
    # when: the job runs the day before, then on the day
    with clock.frozen(dt.datetime(2026, 3, 10, 9, 0)):
        tasks.refunds_due.enqueue()
    loser.refresh_from_db()
    assert loser.status == "confirmed"
    with clock.frozen(dt.datetime(2026, 3, 11, 9, 0)):
        tasks.refunds_due.enqueue()
    loser.refresh_from_db()
    assert loser.status == "refunding"
    item = PaymentItem.objects.get(instruction=loser)
    assert item.status == "pending" and item.payee_account == "6222021234567890123"
    # then: a batch prepared by one, approved by another, exported, confirmed by the bank
    preparer, approver = f.finance(), f.finance()
    with clock.frozen(dt.datetime(2026, 3, 11, 10, 0)):
        batch = services.payment_batch_prepare(actor=preparer)
    with pytest.raises(services.FourEyes):
        services.payment_batch_approve(batch_id=batch.pk, actor=preparer)
    with pytest.raises(PermissionDenied):
        services.payment_batch_approve(batch_id=batch.pk, actor=UserFactory(role="supervisor"))
    with pytest.raises(IllegalTransition):  # not before approval
        services.payment_batch_export(batch_id=batch.pk, actor=preparer)
    services.payment_batch_approve(batch_id=batch.pk, actor=approver)
    content = services.payment_batch_export(batch_id=batch.pk, actor=preparer).decode("gb18030")
    assert "业务参考号" in content and item.reference in content and "10000.00" in content
    loser.refresh_from_db()
    assert loser.status == "refunding"  # exported is not paid
    services.payment_batch_confirm(batch_id=batch.pk, data=_result_file(batch), actor=preparer)
    loser.refresh_from_db()
    batch.refresh_from_db()
    assert loser.status == "refunded" and batch.status == "done"
    assert ledger.system_account(AccountKind.REFUNDS_PAYABLE).balance == 0
    assert ledger.ledger_verify().ok
    # confirming the same result again pays nothing twice
    services.payment_batch_confirm(batch_id=batch.pk, data=_result_file(batch), actor=preparer)
    assert ledger.system_account(AccountKind.BANK).balance == winner.amount


def test_four_eyes_is_also_a_database_constraint():
    staff = f.finance()
    _confirmed()
    services.deposit_refund(instruction_id=DepositInstruction.objects.get().pk)
    batch = services.payment_batch_prepare(actor=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(approved_by=staff)


def test_a_failed_payment_goes_back_to_the_queue_and_is_not_paid():
    preparer, approver = f.finance(), f.finance()
    instruction = _confirmed()
    services.deposit_refund(instruction_id=instruction.pk)
    batch = services.payment_batch_prepare(actor=preparer)
    services.payment_batch_approve(batch_id=batch.pk, actor=approver)
    services.payment_batch_export(batch_id=batch.pk, actor=preparer)
    services.payment_batch_confirm(batch_id=batch.pk, data=_result_file(batch, ok=False), actor=preparer)
    item = PaymentItem.objects.get()
    instruction.refresh_from_db()
    assert item.status == "failed" and item.failure_reason == "账号不存在" and instruction.status == "refunding"
    assert ledger.system_account(AccountKind.REFUNDS_PAYABLE).balance == instruction.amount
    assert services.payment_batch_prepare(actor=preparer).payments.get() == item  # re-batched


def test_batches_prepared_in_the_same_second_get_distinct_numbers():
    # given two refunds waiting, and a frozen clock (the state machine found a collision here)
    preparer = f.finance()
    first, second = _confirmed(), _confirmed()
    with clock.frozen(clock.now()):
        services.deposit_refund(instruction_id=first.pk)
        one = services.payment_batch_prepare(actor=preparer)
        services.deposit_refund(instruction_id=second.pk)
        two = services.payment_batch_prepare(actor=preparer)
    # then
    assert one.code != two.code
    assert one.code.startswith("PB") and one.code.endswith(f"{one.pk:06d}")


def test_result_file_with_a_foreign_reference_is_refused_whole():
    preparer, approver = f.finance(), f.finance()
    services.deposit_refund(instruction_id=_confirmed().pk)
    batch = services.payment_batch_prepare(actor=preparer)
    services.payment_batch_approve(batch_id=batch.pk, actor=approver)
    services.payment_batch_export(batch_id=batch.pk, actor=preparer)
    data = _result_file(batch) + "\nX999,成功,B1,".encode("gbk")
    with pytest.raises(InvalidInput):
        services.payment_batch_confirm(batch_id=batch.pk, data=data, actor=preparer)
    assert PaymentItem.objects.get().status == "batched"


def test_forfeit_records_a_credit_event_and_announces_it(django_capture_on_commit_callbacks):
    instruction = _confirmed()
    heard = []
    signals.deposit_forfeited.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t2")
    with pytest.raises(InvalidInput):
        services.deposit_forfeit(instruction_id=instruction.pk, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.deposit_forfeit(instruction_id=instruction.pk, reason="竞价开始后未出价")
    signals.deposit_forfeited.disconnect(dispatch_uid="t2")
    event = CreditEvent.objects.get()
    assert event.kind == "deposit_forfeited" and event.amount == instruction.amount
    assert heard[0]["credit_event_id"] == event.pk
    assert ledger.system_account(AccountKind.FORFEIT_INCOME).balance == instruction.amount
    with pytest.raises(IllegalTransition):
        services.deposit_refund(instruction_id=instruction.pk)


def test_pending_deposit_cannot_be_refunded_forfeited_or_converted():
    instruction = f.instruction()
    for call in (
        lambda: services.deposit_refund(instruction_id=instruction.pk),
        lambda: services.deposit_forfeit(instruction_id=instruction.pk, reason="x"),
        lambda: services.deposit_convert(instruction_id=instruction.pk),
    ):
        with pytest.raises(IllegalTransition):
            call()
    assert not ledger.Posting.objects.exists()


def test_winner_converts_pays_the_rest_and_the_seller_is_paid_after_the_certificate():
    seller, buyer = UserFactory(), UserFactory()
    deposit = _confirmed(amount=D("100000.00"), project_id=600, member=buyer)
    services.deposit_convert(instruction_id=deposit.pk)
    plan = services.price_plan_create(
        project_id=600,
        project_code="P600",
        project_title="房产",
        buyer=buyer,
        seller=seller,
        price=D("1000000.00"),
        contract_effective_on=dt.date(2026, 3, 9),
        buyer_fee=D("5000.00"),
        buyer_fee_discount=D("500.00"),
        seller_fee=D("3600.00"),
        seller_payee=("卖方", "0501", "工行"),
    )
    assert plan.instalments.get().due_on == dt.date(2026, 3, 16)
    with pytest.raises(InvalidInput):  # more than is owed
        services.price_payment_record(plan_id=plan.pk, amount=D("904500.01"), reference="TX1")
    services.price_payment_record(plan_id=plan.pk, amount=D("904500.00"), reference="TX1")
    services.price_payment_record(plan_id=plan.pk, amount=D("904500.00"), reference="TX1")  # idempotent
    plan.refresh_from_db()
    assert plan.status == "paid"
    with pytest.raises(DomainError):
        services.price_release(plan_id=plan.pk)
    services.seller_release(project_id=600, certificate_issued_on=dt.date(2026, 3, 20))
    plan.refresh_from_db()
    assert plan.release_due_on == dt.date(2026, 3, 25)
    with clock.frozen(dt.datetime(2026, 3, 25, 9, 0)):
        tasks.releases_due.enqueue()
    plan.refresh_from_db()
    assert plan.status == "released"
    item = PaymentItem.objects.get(kind="release")
    assert item.amount == D("1000000.00") - D("3600.00") and item.payee_account == "0501"
    assert ledger.system_account(AccountKind.FEE_INCOME).balance == D("8600.00")
    assert ledger.system_account(AccountKind.DISCOUNT_EXPENSE).balance == D("500.00")
    assert ledger.ledger_verify().ok


def test_instalments_follow_the_rules_and_overdue_is_detected():
    seller, buyer = UserFactory(), UserFactory()
    common = {
        "project_code": "P7",
        "project_title": "股权",
        "buyer": buyer,
        "seller": seller,
        "price": D("1000000.00"),
        "contract_effective_on": dt.date(2026, 3, 9),
        "mode": PricePlan.Mode.INSTALMENTS,
    }
    bad = [
        ([(dt.date(2026, 3, 16), D("290000.00")), (dt.date(2026, 9, 1), D("710000.00"))], "担保"),
        ([(dt.date(2026, 3, 16), D("290000.00")), (dt.date(2026, 9, 1), D("710000.00"))], "30%"),
        ([(dt.date(2026, 3, 17), D("300000.00")), (dt.date(2026, 9, 1), D("700000.00"))], "5"),
        ([(dt.date(2026, 3, 16), D("300000.00")), (dt.date(2027, 3, 10), D("700000.00"))], "一年"),
    ]
    for i, (rows, word) in enumerate(bad):
        with pytest.raises(InvalidInput) as err:
            services.price_plan_create(
                project_id=700 + i, instalments=rows, guarantee="" if i == 0 else "银行保函", **common
            )
        assert word in err.value.message
    plan = services.price_plan_create(
        project_id=710,
        instalments=[(dt.date(2026, 3, 16), D("300000.00")), (dt.date(2026, 9, 12), D("700000.00"))],
        guarantee="银行保函 No.1",
        annual_interest_rate=D("0.0365"),
        **common,
    )
    second = plan.instalments.get(seq=2)
    assert second.interest == D("12600.00")  # 700,000 × 3.65% × 180/365
    with clock.frozen(dt.datetime(2026, 3, 17, 9, 0)):
        assert services.price_overdue_run() == 1
        assert services.price_overdue_run() == 0  # once
    assert CreditEvent.objects.get().kind == "price_overdue"


def test_the_bank_file_neutralises_a_formula_in_a_payee_name():
    # given a refund to a payee whose name (from the member's bank line) is a formula
    loser = _confirmed()
    services.deposit_refund(instruction_id=loser.pk)
    PaymentItem.objects.filter(instruction=loser).update(payee_name="=cmd|' /C calc'!A0")
    preparer, approver = f.finance(), f.finance()
    batch = services.payment_batch_prepare(actor=preparer)
    services.payment_batch_approve(batch_id=batch.pk, actor=approver)
    # when the bank file is exported
    content = services.payment_batch_export(batch_id=batch.pk, actor=preparer).decode("gb18030")
    # then the name cannot run as a formula when the file is opened in a spreadsheet
    line = content.splitlines()[1]
    assert "'=cmd|' /C calc'!A0" in line and ",=cmd" not in line
