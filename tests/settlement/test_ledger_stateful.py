"""A hypothesis state machine moves money every way settlement can — deposits, statement
imports (re-imports included), exceptions matched or returned, refunds, forfeits,
conversions, cancelled instructions, payouts through four-eyes batches, price payments (by
hand and by statement to the buyer's virtual sub-account, too much included), defaults after
conversion, releases, manual postings — and after every step the whole-ledger verifier must
hold, and no buyer's price account may hold more than its plan asks (nothing at all once
the plan was terminated by a default).

Runs on SQLite and PostgreSQL (whichever DATABASE_URL names); each example is rolled back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from exchange.core import clock
from exchange.core.errors import DomainError, IllegalTransition
from exchange.core.money import quantize_money
from exchange.settlement import ledger, services
from exchange.settlement.models import (
    Account,
    AccountKind,
    DepositInstruction,
    PaymentBatch,
    PaymentItem,
    PricePlan,
    StatementLine,
)
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=D("0.01"), max_value=D("5000000"), places=2)
NOW = dt.datetime(2026, 3, 2, 9, 0)


class LedgerMachine(RuleBasedStateMachine):
    total_checks = 0

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = clock.frozen(NOW)
        self.clock.__enter__()
        self.files: list[list[list[str]]] = []
        self.steps = 0

    @initialize()
    def people(self) -> None:
        self.members = [UserFactory() for _ in range(3)]
        self.preparer = f.finance()
        self.approver = f.finance()

    def teardown(self) -> None:
        self.clock.__exit__(None, None, None)
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- deposits and statements -------------------------------------------------------------

    @rule(member=st.integers(0, 2), project=st.integers(1, 4), amount=amounts)
    def instruct(self, member: int, project: int, amount: D) -> None:
        f.instruction(member=self.members[member], amount=amount, project_id=project)

    @rule(
        data=st.data(),
        kind=st.sampled_from(["exact", "exact", "partial", "excess", "late", "unknown", "outgoing"]),
        n=st.integers(1, 3),
    )
    def import_statement(self, data: st.DataObject, kind: str, n: int) -> None:
        pending = list(DepositInstruction.objects.filter(status="pending").order_by("pk"))
        rows = []
        for _ in range(n):
            if kind == "unknown" or not pending:
                rows.append(f.row(amount=data.draw(amounts), virtual_account="6216000000000000"))
                continue
            target = data.draw(st.sampled_from(pending))
            amount = {"partial": target.amount - D("0.01"), "excess": target.amount + D("100.00")}.get(
                kind, target.amount
            )
            if amount <= 0:
                amount = target.amount
            when = target.due_at + dt.timedelta(hours=1) if kind == "late" else None
            if kind == "outgoing":
                rows.append(f.row(amount="", debit=str(target.amount), virtual_account=""))
            else:
                rows.append(f.row(amount=amount, virtual_account=target.virtual_account, when=when))
        self.files.append(rows)
        f.import_rows(rows, actor=self.preparer)

    @rule(data=st.data())
    def reimport(self, data: st.DataObject) -> None:
        if self.files:
            before = ledger.Posting.objects.count()
            f.import_rows(data.draw(st.sampled_from(self.files)), actor=self.preparer)
            assert ledger.Posting.objects.count() == before  # a statement imported twice credits nothing twice

    @rule(data=st.data(), match=st.booleans())
    def resolve_exception(self, data: st.DataObject, match: bool) -> None:
        lines = list(StatementLine.objects.filter(status="exception").order_by("pk"))
        if not lines:
            return
        line = data.draw(st.sampled_from(lines))
        candidates = list(DepositInstruction.objects.filter(status__in=["pending", "expired"], amount__lte=line.amount))
        if match and candidates:
            target = data.draw(st.sampled_from(candidates))
            services.statement_line_match(line_id=line.pk, instruction_id=target.pk, actor=self.preparer)
        else:
            services.statement_line_return(line_id=line.pk, actor=self.preparer)

    # --- outcomes ----------------------------------------------------------------------------------

    def _confirmed(self, data: st.DataObject) -> DepositInstruction | None:
        confirmed = list(DepositInstruction.objects.filter(status="confirmed").order_by("pk"))
        return data.draw(st.sampled_from(confirmed)) if confirmed else None

    @rule(data=st.data())
    def cancel_unpaid(self, data: st.DataObject) -> None:
        unpaid = list(DepositInstruction.objects.filter(status__in=["pending", "expired"]).order_by("pk"))
        if unpaid:
            services.deposit_instruction_cancel(instruction_id=data.draw(st.sampled_from(unpaid)).pk, reason="撤回")

    @rule(
        data=st.data(),
        outcome=st.sampled_from(
            ["refund", "forfeit", "convert", "scheduled", "price_by_statement", "default_after_conversion"]
        ),
    )
    def deposit_outcome(self, data: st.DataObject, outcome: str) -> None:
        target = self._confirmed(data)
        if target is None:
            return
        if outcome == "refund":
            services.deposit_refund(instruction_id=target.pk, actor=self.preparer)
        elif outcome == "forfeit":
            services.deposit_forfeit(instruction_id=target.pk, reason="未参加竞价", actor=self.preparer)
        elif outcome == "scheduled":
            services.deposit_refund_schedule(project_id=target.project_id, result_on=dt.date(2026, 2, 20))
            services.refunds_due_run()
        elif outcome == "convert":
            services.deposit_convert(instruction_id=target.pk)
            self._pay_price(target)
        else:  # the price (or part of it, or too much) paid to the virtual account by statement
            services.deposit_convert(instruction_id=target.pk)
            plan = self._plan(target)
            if plan.buyer_id != target.member_id:
                return
            account = ledger.member_account(kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id)
            owed = plan.amount_due - account.balance
            amount = data.draw(st.sampled_from([quantize_money(owed / 3) or owed, owed + D("0.01"), owed]))
            rows = [f.row(amount=amount, virtual_account=target.virtual_account)]
            self.files.append(rows)
            f.import_rows(rows, actor=self.preparer)
            if outcome == "default_after_conversion":
                try:
                    services.deposit_forfeit_converted(instruction_id=target.pk, reason="悔拍", actor=self.preparer)
                except IllegalTransition:
                    plan.refresh_from_db()
                    assert plan.status == PricePlan.Status.PAID  # paid in full: no default any more

    def _plan(self, instruction: DepositInstruction) -> PricePlan:
        price = instruction.amount * 3
        fee = quantize_money(price / 100)
        return services.price_plan_create(
            project_id=instruction.project_id,
            project_code=instruction.project_code,
            project_title=instruction.project_title,
            buyer=instruction.member,
            seller=self.members[0],
            price=price,
            contract_effective_on=dt.date(2026, 3, 2),
            buyer_fee=fee,
            buyer_fee_discount=quantize_money(fee / 3),
            seller_fee=fee,
        )

    def _pay_price(self, instruction: DepositInstruction) -> None:
        plan = self._plan(instruction)
        if plan.buyer_id != instruction.member_id:
            return
        account = ledger.member_account(kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id)
        owed = plan.amount_due - account.balance
        if owed > 0:
            services.price_payment_record(plan_id=plan.pk, amount=owed, reference=f"txn{plan.pk}")
        plan.refresh_from_db()
        if plan.status == PricePlan.Status.PAID:
            services.seller_release(project_id=plan.project_id, certificate_issued_on=dt.date(2026, 2, 20))
            services.releases_due_run()

    @rule(data=st.data(), success=st.lists(st.booleans(), min_size=1, max_size=6))
    def payout(self, data: st.DataObject, success: list[bool]) -> None:
        if not PaymentItem.objects.filter(status__in=["pending", "failed"]).exists():
            return
        batch = services.payment_batch_prepare(actor=self.preparer)
        with pytest.raises(services.FourEyes):
            services.payment_batch_approve(batch_id=batch.pk, actor=self.preparer)
        services.payment_batch_approve(batch_id=batch.pk, actor=self.approver)
        services.payment_batch_export(batch_id=batch.pk, actor=self.preparer)
        rows = ["业务参考号,处理结果,银行流水号,失败原因"]
        for i, item in enumerate(batch.payments.order_by("pk")):
            ok = success[i % len(success)]
            rows.append(f"{item.reference},{'成功' if ok else '失败'},B{item.pk},{'' if ok else '户名不符'}")
        services.payment_batch_confirm(batch_id=batch.pk, data="\n".join(rows).encode("gbk"), actor=self.preparer)
        batch.refresh_from_db()
        assert batch.status == PaymentBatch.Status.DONE

    @rule(amount=amounts)
    def manual_bank_charge(self, amount: D) -> None:
        bank = ledger.system_account(AccountKind.BANK)
        fee = ledger.system_account(AccountKind.FEE_INCOME)
        services.manual_posting_create(
            actor=self.preparer,
            key=f"charge{self.steps}",
            memo="银行手续费冲减",
            lines=[(fee.pk, amount), (bank.pk, -amount)],
        )

    @rule(member=st.integers(0, 2), amount=amounts)
    def refused_inputs_change_nothing(self, member: int, amount: D) -> None:
        before = (ledger.Posting.objects.count(), list(Account.objects.values_list("balance", "frozen")))
        for bad in (-amount, amount + D("0.001")):
            try:
                f.instruction(member=self.members[member], amount=bad, project_id=99)
            except DomainError:
                pass
            else:
                raise AssertionError("a bad deposit amount was accepted")
        after = (ledger.Posting.objects.count(), list(Account.objects.values_list("balance", "frozen")))
        assert before == after

    @invariant()
    def ledger_holds(self) -> None:
        self.steps += 1
        LedgerMachine.total_checks += 1
        report = ledger.ledger_verify()
        assert report.ok, report.text()
        for plan in PricePlan.objects.all():
            account = ledger.member_account(kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id)
            if plan.status == PricePlan.Status.DEFAULTED:
                assert account.balance == 0
            elif plan.status != PricePlan.Status.RELEASED:
                assert account.balance <= plan.amount_due


def test_ledger_state_machine():
    run = LedgerMachine.TestCase
    run.settings = settings(
        max_examples=40,
        stateful_step_count=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        database=None,
        phases=[
            Phase.explicit,
            Phase.reuse,
            Phase.generate,
        ],  # a failure is reported as found: shrinking DB steps takes minutes
    )
    LedgerMachine.total_checks = 0
    run().runTest()
    print(f"ledger verified after {LedgerMachine.total_checks} steps")
    assert LedgerMachine.total_checks >= 1000
