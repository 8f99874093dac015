"""Deposit instructions, bank statement import, the exceptions queue, and the PG race."""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook

from exchange.core.errors import DomainError, InvalidInput, PermissionDenied
from exchange.settlement import ledger, services, signals
from exchange.settlement.models import (
    Account,
    AccountKind,
    BankProfile,
    DepositInstruction,
    PaymentItem,
    Posting,
    StatementImport,
    StatementLine,
)
from exchange.settlement.statements import StatementInvalid
from tests.factories import UserFactory
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db


def test_instruction_has_a_checked_virtual_account_and_a_due_time_3_workdays_later_at_17():
    instruction = f.instruction()
    assert services.virtual_account_valid(instruction.virtual_account)
    assert instruction.virtual_account.startswith("6216")
    due = timezone.localtime(instruction.due_at)
    assert (due.date(), due.hour, due.minute) == (dt.date(2026, 3, 5), 17, 0)


def test_due_time_skips_the_spring_festival_holiday():
    qualified = timezone.make_aware(dt.datetime(2026, 2, 13, 15, 0))  # Friday before 春节 2026
    instruction = f.instruction(qualified_at=qualified)
    assert timezone.localtime(instruction.due_at).date() > dt.date(2026, 2, 23)


def test_instruction_is_idempotent_per_project_and_member_and_refuses_bad_amounts():
    member = UserFactory()
    first = f.instruction(member=member, project_id=7)
    assert f.instruction(member=member, project_id=7).pk == first.pk
    for bad in (D("-1.00"), D("0"), D("10.001")):
        with pytest.raises(InvalidInput):
            f.instruction(member=member, project_id=8, amount=bad)
    assert DepositInstruction.objects.count() == 1


def test_exact_payment_in_time_is_matched_frozen_and_announced(django_capture_on_commit_callbacks):
    # given
    instruction = f.instruction(amount=D("50000.00"))
    heard = []
    signals.deposit_confirmed.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t1")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        statement = f.import_rows(
            [f.row(amount="50,000.00", virtual_account=instruction.virtual_account)], actor=f.finance()
        )
    signals.deposit_confirmed.disconnect(dispatch_uid="t1")
    # then
    instruction.refresh_from_db()
    assert instruction.status == "confirmed" and statement.matched_count == 1
    account = Account.objects.get(pk=instruction.account_id)
    assert account.balance == account.frozen == D("50000.00")
    assert heard and heard[0]["instruction_id"] == instruction.pk and heard[0]["amount"] == D("50000.00")
    assert ledger.ledger_verify().ok


def test_gbk_statement_with_every_kind_of_exception():
    staff = f.finance()
    exact, partial, excess, late = (f.instruction(amount=D("10000.00")) for _ in range(4))
    rows = [
        f.row(amount="10000.00", virtual_account=exact.virtual_account, payer="山西晋能资产管理有限公司"),
        f.row(amount="9999.99", virtual_account=partial.virtual_account),
        f.row(amount="10500.00", virtual_account=excess.virtual_account),
        f.row(amount="10000.00", virtual_account=late.virtual_account, when=late.due_at + dt.timedelta(minutes=1)),
        f.row(amount="8888.00", virtual_account=""),  # unknown payer
        f.row(amount="", debit="300.00"),  # outgoing line: recorded, ignored
    ]
    statement = f.import_rows(rows, actor=staff, encoding="gbk")
    assert statement.encoding == "gbk" and statement.matched_count == 1 and statement.exception_count == 4
    problems = dict(StatementLine.objects.values_list("amount", "problem"))
    assert problems[D("9999.99")] == "partial" and problems[D("10500.00")] == "excess"
    assert problems[D("8888.00")] == "unknown"
    assert StatementLine.objects.get(instruction=late).problem == "late"
    assert StatementLine.objects.filter(status="ignored").count() == 1
    assert ledger.system_account(AccountKind.SUSPENSE).balance == D("9999.99") + D("10500") + D("10000") + D("8888")
    assert StatementLine.objects.get(payer_name="山西晋能资产管理有限公司").status == "matched"


def test_the_same_statement_twice_credits_nothing_twice():
    staff = f.finance()
    instruction = f.instruction()
    rows = [f.row(amount=instruction.amount, virtual_account=instruction.virtual_account), f.row(amount="5.00")]
    f.import_rows(rows, actor=staff)
    postings = Posting.objects.count()
    again = f.import_rows(rows, actor=staff)
    assert (again.new_count, again.duplicate_count) == (0, 2)
    assert Posting.objects.count() == postings
    assert ledger.system_account(AccountKind.BANK).balance == instruction.amount + D("5.00")


def test_two_identical_payments_in_one_file_both_count():
    f.import_rows([f.row(amount="5.00"), f.row(amount="5.00")], actor=f.finance())
    assert StatementLine.objects.count() == 2


def test_excel_statement_is_read_like_csv():
    instruction = f.instruction(amount=D("20000.00"))
    book = Workbook()
    sheet = book.active
    sheet.append(["某某银行账户明细"])  # a title row above the header
    sheet.append(f.HEADER)
    sheet.append(
        [
            "TX1",
            dt.date(2026, 3, 2),
            "11:00:00",
            20000,
            None,
            "刘芳",
            "6222",
            "建行",
            instruction.virtual_account,
            "保证金",
        ]
    )
    buf = io.BytesIO()
    book.save(buf)
    statement = services.statement_import(
        profile_id=f.generic_profile().pk, file_name="明细.xlsx", data=buf.getvalue(), actor=f.finance()
    )
    instruction.refresh_from_db()
    assert statement.matched_count == 1 and instruction.status == "confirmed"


def test_icbc_profile_maps_its_own_columns_and_finds_the_virtual_account_in_the_remark():
    instruction = f.instruction(amount=D("3000.00"))
    text = (
        "中国工商银行 账户明细\n凭证号,交易日期,交易时间,借方发生额,贷方发生额,对方单位名称,对方账号,用途\n"
        f"A001,20260302,101500,,3000.00,晋中恒泰实业有限公司,0502,保证金 {instruction.virtual_account}\n"
    )
    profile = BankProfile.objects.get(code="icbc")
    services.statement_import(profile_id=profile.pk, file_name="icbc.csv", data=text.encode("gbk"), actor=f.finance())
    instruction.refresh_from_db()
    assert instruction.status == "confirmed"


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"\xff\xfe\x00\x00garbage", 1, "编码"),
        ("交易日期,对方户名\n2026-03-02,x\n".encode(), 1, "缺少列"),
        (f.statement_bytes([f.row(amount="100.00"), ["", "2026-13-40", "", "5", "", "", "", "", "", ""]]), 3, "日期"),
        (f.statement_bytes([f.row(amount="100.001")]), 2, "两位小数"),
        (f.statement_bytes([f.row(amount="-100.00")]), 2, "负数"),
        (f.statement_bytes([f.row(amount="abc")]), 2, "金额"),
        (f.statement_bytes([f.row(amount="")]), 2, "没有发生额"),
    ],
)
def test_malformed_files_are_refused_with_line_and_reason_and_nothing_is_imported(data, line, reason):
    instruction = f.instruction()
    with pytest.raises(StatementInvalid) as err:
        services.statement_import(profile_id=f.generic_profile().pk, file_name="s.csv", data=data, actor=f.finance())
    assert err.value.errors[0][0] == line and reason in err.value.errors[0][1], err.value.errors
    assert not StatementImport.objects.exists() and not StatementLine.objects.exists() and not Posting.objects.exists()
    instruction.refresh_from_db()
    assert instruction.status == "pending"


def test_only_finance_imports_and_resolves():
    with pytest.raises(PermissionDenied):
        f.import_rows([f.row(amount="1.00")], actor=UserFactory(role="reviewer"))
    f.import_rows([f.row(amount="1.00")], actor=f.finance())
    line = StatementLine.objects.get()
    with pytest.raises(PermissionDenied):
        services.statement_line_return(line_id=line.pk, actor=UserFactory(role="supervisor"))


def test_manual_match_of_an_excess_payment_credits_the_deposit_and_returns_the_rest():
    staff = f.finance()
    instruction = f.instruction(amount=D("10000.00"))
    f.import_rows([f.row(amount="10500.00", virtual_account=instruction.virtual_account)], actor=staff)
    line = StatementLine.objects.get()
    services.statement_line_match(line_id=line.pk, instruction_id=instruction.pk, actor=staff, note="核实为保证金")
    instruction.refresh_from_db()
    line.refresh_from_db()
    assert instruction.status == "confirmed" and line.status == "resolved" and line.resolved_by == staff
    item = PaymentItem.objects.get()
    assert (item.kind, item.amount, item.payee_account) == ("return", D("500.00"), "6222021234567890123")
    assert ledger.system_account(AccountKind.SUSPENSE).balance == 0
    with pytest.raises(DomainError):  # already resolved: a second confirmation credits nothing
        services.statement_line_match(line_id=line.pk, instruction_id=instruction.pk, actor=staff)
    assert ledger.ledger_verify().ok


def test_partial_payment_cannot_be_matched_only_returned():
    staff = f.finance()
    instruction = f.instruction(amount=D("10000.00"))
    f.import_rows([f.row(amount="9000.00", virtual_account=instruction.virtual_account)], actor=staff)
    line = StatementLine.objects.get()
    with pytest.raises(InvalidInput):
        services.statement_line_match(line_id=line.pk, instruction_id=instruction.pk, actor=staff)
    services.statement_line_return(line_id=line.pk, actor=staff)
    assert PaymentItem.objects.get().amount == D("9000.00")


def test_deposits_expire_after_the_cut_off():
    from exchange.core import clock

    instruction = f.instruction()
    with clock.frozen(instruction.due_at + dt.timedelta(seconds=1)):
        assert services.deposits_expire() == 1
    instruction.refresh_from_db()
    assert instruction.status == "expired"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded profiles
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises writers)")
def test_two_concurrent_confirmations_of_the_same_bank_line_credit_once():
    # given: an unknown payment in suspense and the deposit it belongs to
    staff_a, staff_b = f.finance(), f.finance()
    instruction = f.instruction(amount=D("10000.00"))
    f.import_rows([f.row(amount="10000.00", virtual_account="")], actor=staff_a)
    line = StatementLine.objects.get()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(actor):
        from django.db import connection as conn

        try:
            barrier.wait()
            services.statement_line_match(line_id=line.pk, instruction_id=instruction.pk, actor=actor)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            conn.close()

    # when
    threads = [threading.Thread(target=confirm, args=(u,)) for u in (staff_a, staff_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert sorted(outcomes) == ["line_not_pending", "ok"]
    account = Account.objects.get(pk=DepositInstruction.objects.get().account_id)
    assert account.balance == account.frozen == D("10000.00")
    assert Posting.objects.filter(reason="deposit_in").count() == 1
    assert ledger.ledger_verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded profiles
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_concurrent_imports_of_the_same_statement_credit_once():
    staff_a, staff_b = f.finance(), f.finance()
    instruction = f.instruction(amount=D("10000.00"))
    rows = [f.row(amount="10000.00", virtual_account=instruction.virtual_account), f.row(amount="5.00")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(actor):
        from django.db import connection as conn

        try:
            barrier.wait()
            f.import_rows(rows, actor=actor)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in (staff_a, staff_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) in (["conflict", "ok"], ["ok", "ok"])
    assert StatementLine.objects.count() == 2
    assert ledger.system_account(AccountKind.BANK).balance == D("10005.00")
    assert ledger.ledger_verify().ok
