"""The ledger core: balanced postings, idempotency, insert-only records, the verifier."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from exchange.core.errors import InvalidInput
from exchange.settlement import ledger
from exchange.settlement.models import Account, AccountKind, Entry, InsertOnlyError, Posting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _accounts() -> tuple[Account, Account, Account]:
    member = UserFactory()
    bank = ledger.system_account(AccountKind.BANK)
    suspense = ledger.system_account(AccountKind.SUSPENSE)
    deposit = ledger.member_account(kind=AccountKind.DEPOSIT, member=member, project_id=1, project_code="P1")
    return bank, suspense, deposit


def test_balanced_posting_updates_cached_balances_on_their_natural_side():
    # given
    bank, _suspense, deposit = _accounts()
    # when
    posting = ledger.posting_create(key="k1", reason="t", lines=[(bank, D("100.00")), (deposit, D("-100.00"))])
    # then
    bank.refresh_from_db()
    deposit.refresh_from_db()
    assert bank.balance == D("100.00")  # an asset: debit-normal
    assert deposit.balance == D("100.00")  # a liability to the member: credit-normal, shown positive
    assert sum(e.amount for e in posting.entries.all()) == 0
    assert ledger.ledger_verify().ok


@pytest.mark.parametrize(
    "lines",
    [
        [("bank", D("100.00")), ("deposit", D("-99.99"))],  # unbalanced
        [("bank", D("100.001")), ("deposit", D("-100.001"))],  # more than 2 decimals
        [("bank", D("0.00")), ("deposit", D("0.00"))],  # zero entries
        [("bank", D("100.00"))],  # a single entry
    ],
)
def test_bad_postings_are_refused_and_nothing_changes(lines):
    # given
    bank, _suspense, deposit = _accounts()
    by_name = {"bank": bank, "deposit": deposit}
    # when
    with pytest.raises(InvalidInput):
        ledger.posting_create(key="bad", reason="t", lines=[(by_name[n], a) for n, a in lines])
    # then
    assert not Posting.objects.exists() and not Entry.objects.exists()
    bank.refresh_from_db()
    assert bank.balance == 0


def test_member_account_cannot_go_negative_nor_below_its_frozen_amount():
    bank, _suspense, deposit = _accounts()
    ledger.posting_create(
        key="in", reason="t", lines=[(bank, D("100.00")), (deposit, D("-100.00"))], freeze={deposit.pk: D("100.00")}
    )
    with pytest.raises(ledger.InsufficientFunds):
        ledger.posting_create(key="out", reason="t", lines=[(deposit, D("50.00")), (bank, D("-50.00"))])
    with pytest.raises(ledger.InsufficientFunds):
        ledger.posting_create(key="out2", reason="t", lines=[(deposit, D("150.00")), (bank, D("-150.00"))])
    deposit.refresh_from_db()
    assert (deposit.balance, deposit.frozen) == (D("100.00"), D("100.00"))
    assert Posting.objects.count() == 1


def test_same_idempotency_key_posts_once():
    bank, suspense, _deposit = _accounts()
    first = ledger.posting_create(key="once", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    again = ledger.posting_create(key="once", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    assert first.pk == again.pk
    bank.refresh_from_db()
    assert bank.balance == D("5.00")


def test_entries_and_postings_are_insert_only():
    bank, suspense, _deposit = _accounts()
    posting = ledger.posting_create(key="x", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    entry = posting.entries.first()
    assert entry is not None
    with pytest.raises(InsertOnlyError):
        entry.save()
    with pytest.raises(InsertOnlyError):
        entry.delete()
    with pytest.raises(InsertOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
    with pytest.raises(InsertOnlyError):
        Posting.objects.all().delete()
    # the database itself refuses too (triggers), whatever the ORM is bypassed with
    error = IntegrityError if connection.vendor == "sqlite" else Exception
    with pytest.raises(error), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE settlement_entry SET amount = 1 WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == D("5.00")


def test_a_correction_is_a_reversing_posting():
    bank, suspense, _deposit = _accounts()
    original = ledger.posting_create(key="x", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    reversal = ledger.posting_reverse(posting_id=original.pk, actor=None, reason="录错")
    bank.refresh_from_db()
    assert bank.balance == 0 and reversal.reverses_id == original.pk
    assert Posting.objects.count() == 2 and ledger.ledger_verify().ok


def test_verifier_reports_a_tampered_cache_and_the_command_exits_non_zero(capsys):
    bank, suspense, _deposit = _accounts()
    ledger.posting_create(key="x", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    call_command("verify_ledger")  # clean: exit 0
    Account.objects.filter(pk=bank.pk).update(balance=D("6.00"))  # someone bypassed the services
    report = ledger.ledger_verify()
    assert not report.ok and "缓存余额" in report.breaches[0]
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger")
    assert exit_info.value.code == 1
    assert "缓存余额" in capsys.readouterr().out


def test_verifier_reports_unbalanced_postings_written_behind_its_back():
    bank, suspense, _deposit = _accounts()
    posting = ledger.posting_create(key="x", reason="t", lines=[(bank, D("5.00")), (suspense, D("-5.00"))])
    Entry.objects.bulk_create([Entry(posting=posting, account=bank, amount=D("1.00"))])
    report = ledger.ledger_verify()
    assert any("不平衡" in b for b in report.breaches)
