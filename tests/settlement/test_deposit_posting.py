"""One deposit-in posting, whichever way a payment is matched, and the permission rule of
the settlement services (core.permissions: an active user holding the permission)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from exchange.core.errors import PermissionDenied
from exchange.settlement import ledger, services
from exchange.settlement.models import AccountKind, DepositInstruction, Posting, StatementLine
from tests.settlement import factories as f

pytestmark = pytest.mark.django_db


def _deposit_posting(instruction: DepositInstruction) -> tuple[Posting, list[tuple[str, D]]]:
    posting = Posting.objects.get(reason="deposit_in", reference=f"deposit:{instruction.pk}")
    return posting, [(e.account.kind, e.amount) for e in posting.entries.select_related("account").order_by("pk")]


def test_a_deposit_matched_by_the_import_or_by_hand_is_credited_by_the_same_posting():
    # given: one payment to its virtual sub-account, one without it (to the exceptions queue)
    staff = f.finance()
    auto, by_hand = f.instruction(amount=D("20000.00")), f.instruction(amount=D("20000.00"))
    f.import_rows(
        [
            f.row(amount="20000.00", virtual_account=auto.virtual_account, payer="甲公司", txn="T1"),
            f.row(amount="20000.00", payer="乙公司", payer_account="6222000000000000002", txn="T2"),
        ],
        actor=staff,
    )
    line = StatementLine.objects.get(status=StatementLine.Status.EXCEPTION)
    # when
    services.statement_line_match(line_id=line.pk, instruction_id=by_hand.pk, actor=staff)
    # then: the same posting, from the bank for the one and from suspense for the other
    for instruction, source, payer in ((auto, AccountKind.BANK, "甲公司"), (by_hand, AccountKind.SUSPENSE, "乙公司")):
        instruction.refresh_from_db()
        posting, entries = _deposit_posting(instruction)
        assert entries == [(source, D("20000.00")), (AccountKind.DEPOSIT, D("-20000.00"))]
        assert posting.project_id == instruction.project_id and instruction.project_code in posting.memo
        account = instruction.account
        assert account is not None and account.balance == account.frozen == D("20000.00")
        assert (instruction.status, instruction.payer_name) == (DepositInstruction.Status.CONFIRMED, payer)
    assert ledger.ledger_verify().ok


def test_an_inactive_finance_user_is_refused_by_the_services_with_the_domain_error():
    staff = f.finance()
    f.import_rows([f.row(amount="1.00")], actor=staff)
    line = StatementLine.objects.get()
    staff.is_active = False
    with pytest.raises(PermissionDenied) as refused:
        services.statement_line_return(line_id=line.pk, actor=staff)
    assert refused.value.code == "permission_denied"
    with pytest.raises(PermissionDenied):
        services.manual_posting_create(actor=None, key="k", memo="系统不能手工记账", lines=[])
