"""Price payments matched by the statement import, forfeit after conversion, cancelled and
re-issued deposit instructions."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from exchange.core.errors import DomainError, IllegalTransition, InvalidInput
from exchange.settlement import ledger, selectors, services, signals
from exchange.settlement.models import (
    AccountKind,
    CreditEvent,
    DepositInstruction,
    Instalment,
    PaymentItem,
    Posting,
    PricePlan,
    StatementLine,
)
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db

DEPOSIT = D("10000.00")
PRICE = D("100000.00")
FEE = D("3600.00")


def _converted(*, plan: bool = True, mode: str = "lump_sum") -> tuple[DepositInstruction, PricePlan | None]:
    """A winner's deposit paid by statement and converted; the price plan opened (price + fee)."""
    instruction = f.instruction(amount=DEPOSIT)
    f.import_rows([f.row(amount=DEPOSIT, virtual_account=instruction.virtual_account, txn=f"D{instruction.pk}")],
                  actor=f.finance())  # fmt: skip
    services.deposit_convert(instruction_id=instruction.pk)
    instruction.refresh_from_db()
    if not plan:
        return instruction, None
    kwargs = {}
    if mode == "instalments":
        kwargs = {
            "instalments": [(dt.date(2026, 3, 5), D("40000.00")), (dt.date(2026, 9, 1), D("60000.00"))],
            "guarantee": "银行保函",
        }
    price_plan = services.price_plan_create(
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        project_title=instruction.project_title,
        buyer=instruction.member,
        seller=UserFactory(),
        price=PRICE,
        contract_effective_on=dt.date(2026, 3, 2),
        mode=mode,
        buyer_fee=FEE,
        **kwargs,
    )
    return instruction, price_plan


def _price_balance(plan: PricePlan) -> D:
    return ledger.member_account(kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id).balance


def _pay(instruction: DepositInstruction, *amounts: D | str, txn: str = "", payer: str = "陈明") -> object:
    rows = [
        f.row(amount=a, virtual_account=instruction.virtual_account, txn=f"{txn}{i}" if txn else "", payer=payer)
        for i, a in enumerate(amounts)
    ]
    return f.import_rows(rows, actor=f.finance())


# --------------------------------------------------------------------------- price by statement


def test_price_paid_to_the_virtual_account_is_matched_allocated_and_announced_once(django_capture_on_commit_callbacks):
    # given: deposit converted, an instalment plan open (owed: 100,000 + 3,600 fee − 10,000 deposit)
    instruction, plan = _converted(mode="instalments")
    heard: list[dict] = []
    signals.price_paid.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="price-test")
    try:
        # when: a first instalment arrives by statement
        with django_capture_on_commit_callbacks(execute=True):
            statement = _pay(instruction, "33600.00", txn="P1-")
        # then: matched, allocated to fees then the first instalment, not yet paid
        line = StatementLine.objects.get(bank_txn_id="P1-0")
        assert (line.status, line.problem, line.plan_id) == ("matched", "", plan.pk)
        assert statement.matched_count == 1 and statement.exception_count == 0
        first, second = Instalment.objects.filter(plan=plan).order_by("seq")
        assert first.paid == D("40000.00") and second.paid == 0  # 10,000 deposit + 33,600 − 3,600 fee
        plan.refresh_from_db()
        assert plan.status == "open" and not heard
        # when: the rest arrives (with interest, if any)
        rest = plan.amount_due - _price_balance(plan)
        with django_capture_on_commit_callbacks(execute=True):
            _pay(instruction, rest, txn="P2-")
        plan.refresh_from_db()
        assert plan.status == "paid" and _price_balance(plan) == plan.amount_due
        assert [h["plan_id"] for h in heard] == [plan.pk]
        # re-importing both lines credits nothing and announces nothing again
        before = Posting.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            again = _pay(instruction, "33600.00", txn="P1-")
        assert again.duplicate_count == 1 and Posting.objects.count() == before and len(heard) == 1
    finally:
        signals.price_paid.disconnect(dispatch_uid="price-test")
    assert ledger.ledger_verify().ok


def test_more_than_still_owed_goes_to_the_exceptions_queue_with_the_reason():
    instruction, plan = _converted()
    owed = plan.amount_due - _price_balance(plan)
    # two lines of one file, each the whole amount: the first fits, the second does not
    statement = _pay(instruction, owed, owed, txn="X")
    assert statement.matched_count == 1 and statement.exception_count == 1
    late = StatementLine.objects.get(bank_txn_id="X1")
    assert (late.status, late.problem, late.plan_id) == ("exception", "price_excess", plan.pk)
    assert late.get_problem_display() == "超过应付价款余额"
    assert ledger.system_account(AccountKind.SUSPENSE).balance == owed
    plan.refresh_from_db()
    assert plan.status == "paid" and _price_balance(plan) == plan.amount_due
    # finance returns it to the payer
    services.statement_line_return(line_id=late.pk, actor=f.finance())
    assert PaymentItem.objects.get(line=late).amount == owed
    assert ledger.ledger_verify().ok


def test_an_overpayment_is_not_split_it_waits_in_suspense():
    instruction, plan = _converted()
    owed = plan.amount_due - _price_balance(plan)
    _pay(instruction, owed + D("0.01"), txn="O")
    line = StatementLine.objects.get(bank_txn_id="O0")
    assert line.problem == "price_excess"
    assert _price_balance(plan) == DEPOSIT  # nothing credited
    plan.refresh_from_db()
    assert plan.status == "open"


def test_no_open_plan_and_a_deposit_paid_twice_are_exceptions():
    converted, _none = _converted(plan=False)
    confirmed = f.instruction(amount=DEPOSIT)
    f.import_rows([f.row(amount=DEPOSIT, virtual_account=confirmed.virtual_account, txn="C0")], actor=f.finance())
    _pay(converted, "5000.00", txn="N")
    _pay(confirmed, DEPOSIT, txn="T")
    assert StatementLine.objects.get(bank_txn_id="N0").problem == "no_plan"
    assert StatementLine.objects.get(bank_txn_id="T0").problem == "not_pending"  # unchanged rule


def test_paid_before_the_plan_opened_is_matched_by_hand_later():
    instruction, _none = _converted(plan=False)
    _pay(instruction, "20000.00", txn="E")
    line = StatementLine.objects.get(bank_txn_id="E0")
    assert line.problem == "no_plan"
    plan = services.price_plan_create(
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        project_title=instruction.project_title,
        buyer=instruction.member,
        seller=UserFactory(),
        price=PRICE,
        contract_effective_on=dt.date(2026, 3, 2),
    )
    assert plan in selectors.price_match_candidates(line)
    staff = f.finance()
    services.statement_line_match_price(line_id=line.pk, plan_id=plan.pk, actor=staff, note="合同生效前付款")
    line.refresh_from_db()
    assert (line.status, line.plan_id, line.resolved_by) == ("resolved", plan.pk, staff)
    assert _price_balance(plan) == DEPOSIT + D("20000.00")
    assert ledger.system_account(AccountKind.SUSPENSE).balance == 0
    with pytest.raises(DomainError) as err:  # the line is locked and closed: credited once
        services.statement_line_match_price(line_id=line.pk, plan_id=plan.pk, actor=staff)
    assert err.value.code == "line_not_pending"
    assert ledger.ledger_verify().ok


def test_a_payment_recorded_by_hand_and_then_imported_is_credited_once():
    instruction, plan = _converted()
    services.price_payment_record(plan_id=plan.pk, amount=D("30000.00"), reference="BANK77", actor=f.finance())
    bank_before = ledger.system_account(AccountKind.BANK).balance
    f.import_rows(
        [
            f.row(amount="30000.00", virtual_account=instruction.virtual_account, txn="BANK77"),
            f.row(amount="1.00", virtual_account=instruction.virtual_account, txn="BANK78"),
        ],
        actor=f.finance(),
    )
    assert StatementLine.objects.get(bank_txn_id="BANK77").status == "matched"
    assert _price_balance(plan) == DEPOSIT + D("30001.00")
    assert ledger.system_account(AccountKind.BANK).balance == bank_before + D("1.00")
    # and the other way round: imported first, then typed on the deals page
    services.price_payment_record(plan_id=plan.pk, amount=D("1.00"), reference="BANK78", actor=f.finance())
    assert _price_balance(plan) == DEPOSIT + D("30001.00")
    assert ledger.ledger_verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded profiles
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_statements_paying_the_whole_price_at_once_credit_it_once():
    instruction, plan = _converted()
    owed = plan.amount_due - _price_balance(plan)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(txn: str) -> None:
        from django.db import connection as conn

        try:
            barrier.wait()
            _pay(instruction, owed, txn=txn)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in ("RA", "RB")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok", "ok"]
    lines = StatementLine.objects.filter(bank_txn_id__in=["RA0", "RB0"])
    assert sorted(line.problem for line in lines) == ["", "price_excess"]
    assert Posting.objects.filter(reason="price_in").count() == 1
    plan.refresh_from_db()
    assert plan.status == "paid" and _price_balance(plan) == plan.amount_due
    assert ledger.system_account(AccountKind.SUSPENSE).balance == owed
    assert ledger.ledger_verify().ok


# --------------------------------------------------------------------------- forfeit after conversion


def test_default_after_conversion_forfeits_the_deposit_and_refunds_the_price_paid(django_capture_on_commit_callbacks):
    # given: deposit converted, 30,000 of the price paid by statement
    instruction, plan = _converted()
    _pay(instruction, "30000.00", txn="F", payer="陈明（价款）")
    heard: list[dict] = []
    signals.deposit_forfeited.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="forfeit-test")
    with pytest.raises(InvalidInput):
        services.deposit_forfeit_converted(instruction_id=instruction.pk, reason=" ")
    # when
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.deposit_forfeit_converted(
                instruction_id=instruction.pk, reason="未按期付清价款", actor=f.finance()
            )
    finally:
        signals.deposit_forfeited.disconnect(dispatch_uid="forfeit-test")
    # then: the deposit is forfeit income, the price paid is owed back to its payer
    instruction.refresh_from_db()
    plan.refresh_from_db()
    assert instruction.status == "forfeited" and plan.status == "defaulted"
    assert _price_balance(plan) == 0
    assert ledger.system_account(AccountKind.FORFEIT_INCOME).balance == DEPOSIT
    item = PaymentItem.objects.get(kind="price_refund")
    assert (item.amount, item.payee_name, item.member_id) == (D("30000.00"), "陈明（价款）", instruction.member_id)
    event = CreditEvent.objects.get(member=instruction.member)
    assert (event.kind, event.amount) == ("deposit_forfeited", DEPOSIT)
    assert heard and heard[0]["credit_event_id"] == event.pk and heard[0]["amount"] == DEPOSIT
    # idempotent; later payments are no longer price
    services.deposit_forfeit_converted(instruction_id=instruction.pk, reason="again")
    assert CreditEvent.objects.count() == 1
    _pay(instruction, "5000.00", txn="G")
    assert StatementLine.objects.get(bank_txn_id="G0").problem == "no_plan"
    with pytest.raises(services.PlanClosed):
        services.price_payment_record(plan_id=plan.pk, amount=D("1.00"), reference="late")
    assert ledger.ledger_verify().ok
    # the refund goes out through a batch like any other payment
    batch = services.payment_batch_prepare(actor=f.finance())
    assert batch.item_count == 1


def test_forfeit_converted_refuses_a_deposit_not_converted_and_a_plan_paid_in_full():
    confirmed = f.instruction(amount=DEPOSIT)
    f.import_rows([f.row(amount=DEPOSIT, virtual_account=confirmed.virtual_account, txn="K")], actor=f.finance())
    with pytest.raises(IllegalTransition):
        services.deposit_forfeit_converted(instruction_id=confirmed.pk, reason="x")
    instruction, plan = _converted()
    _pay(instruction, plan.amount_due - _price_balance(plan), txn="Z")
    with pytest.raises(IllegalTransition):
        services.deposit_forfeit_converted(instruction_id=instruction.pk, reason="x")
    instruction.refresh_from_db()
    assert instruction.status == "converted" and not CreditEvent.objects.exists()


def test_forfeit_converted_without_price_paid_writes_no_refund():
    instruction, _plan = _converted()
    services.deposit_forfeit_converted(instruction_id=instruction.pk, reason="拒不付款")
    assert not PaymentItem.objects.filter(kind="price_refund").exists()
    assert ledger.system_account(AccountKind.FORFEIT_INCOME).balance == DEPOSIT
    assert ledger.ledger_verify().ok


# --------------------------------------------------------------------------- cancel and re-issue


def test_cancel_an_unpaid_instruction_and_a_late_payment_goes_to_the_exceptions():
    instruction = f.instruction()
    services.deposit_instruction_cancel(instruction_id=instruction.pk, reason="申请人撤回")
    instruction.refresh_from_db()
    assert instruction.status == "cancelled" and instruction.outcome_reason == "申请人撤回"
    services.deposit_instruction_cancel(instruction_id=instruction.pk)  # idempotent
    f.import_rows([f.row(amount=instruction.amount, virtual_account=instruction.virtual_account)], actor=f.finance())
    assert StatementLine.objects.get().problem == "not_pending"
    assert ledger.ledger_verify().ok


def test_a_paid_deposit_cannot_be_cancelled():
    instruction = f.instruction()
    f.import_rows([f.row(amount=instruction.amount, virtual_account=instruction.virtual_account)], actor=f.finance())
    with pytest.raises(services.DepositPaid) as err:
        services.deposit_instruction_cancel(instruction_id=instruction.pk)
    assert err.value.code == "deposit_paid" and "退还或没收" in err.value.message
    instruction.refresh_from_db()
    assert instruction.status == "confirmed"


def test_an_expired_instruction_can_be_cancelled_and_only_finance_or_the_system_cancels():
    from exchange.core import clock
    from exchange.core.errors import PermissionDenied

    instruction = f.instruction()
    with clock.frozen(instruction.due_at + dt.timedelta(seconds=1)):
        services.deposits_expire()
    with pytest.raises(PermissionDenied):
        services.deposit_instruction_cancel(instruction_id=instruction.pk, actor=UserFactory(role="reviewer"))
    services.deposit_instruction_cancel(instruction_id=instruction.pk, actor=f.finance())
    instruction.refresh_from_db()
    assert instruction.status == "cancelled"


def test_qualified_again_after_a_cancellation_reissues_the_same_account_with_a_new_due_time():
    member = UserFactory()
    first = f.instruction(member=member, project_id=4242)
    services.deposit_instruction_cancel(instruction_id=first.pk)
    later = f.QUALIFIED + dt.timedelta(days=7)
    again = f.instruction(member=member, project_id=4242, qualified_at=later, amount=D("60000.00"))
    assert again.pk == first.pk and again.status == "pending"
    assert again.virtual_account == first.virtual_account and again.amount == D("60000.00")
    assert again.due_at > first.due_at


def test_exception_page_matches_a_payment_to_a_price_plan(client):
    instruction, _none = _converted(plan=False)
    _pay(instruction, "20000.00", txn="W")
    line = StatementLine.objects.get(bank_txn_id="W0")
    plan = services.price_plan_create(
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        project_title=instruction.project_title,
        buyer=instruction.member,
        seller=UserFactory(),
        price=PRICE,
        contract_effective_on=dt.date(2026, 3, 2),
    )
    client.force_login(f.finance())
    page = client.get(f"/settlement/finance/exceptions/{line.pk}/").content.decode()
    assert "无待付价款" in page and "确认为价款" in page and instruction.project_code in page
    response = client.post(
        f"/settlement/finance/exceptions/{line.pk}/", {"action": "match_price", "plan": plan.pk, "note": "核实"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.plan_id, line.resolution_note) == ("resolved", plan.pk, "核实")
    assert _price_balance(plan) == DEPOSIT + D("20000.00")


def test_a_losers_virtual_account_on_the_same_project_is_not_the_winners_price_account():
    instruction, plan = _converted()
    loser = f.instruction(amount=DEPOSIT, project_id=instruction.project_id)
    f.import_rows([f.row(amount=DEPOSIT, virtual_account=loser.virtual_account, txn="LD")], actor=f.finance())
    # one file: the loser pays again (a deposit paid twice), the winner pays part of the price
    f.import_rows(
        [
            f.row(amount=DEPOSIT, virtual_account=loser.virtual_account, txn="L2"),
            f.row(amount="5000.00", virtual_account=instruction.virtual_account, txn="W2"),
        ],
        actor=f.finance(),
    )
    assert StatementLine.objects.get(bank_txn_id="L2").problem == "not_pending"
    winner_line = StatementLine.objects.get(bank_txn_id="W2")
    assert (winner_line.status, winner_line.plan_id) == ("matched", plan.pk)
    assert _price_balance(plan) == DEPOSIT + D("5000.00")
