"""What every settlement service shares: its errors, the permission check, and the queue of
outgoing payments (refunds, returns, releases) that payment batches pay."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from exchange.core import clock, permissions
from exchange.core.errors import IllegalTransition, PermissionDenied
from exchange.settlement.models import DepositInstruction, PaymentItem, StatementLine


class FourEyes(PermissionDenied):
    code = "four_eyes"
    default_message = gettext_lazy("审批人不能是制单人（双人复核）。")


class NotPending(IllegalTransition):
    code = "line_not_pending"


class DepositPaid(IllegalTransition):
    code = "deposit_paid"
    default_message = gettext_lazy("保证金已交纳，只能通过退还或没收处理，不能取消。")


class PlanClosed(IllegalTransition):
    code = "plan_closed"
    default_message = gettext_lazy("该价款支付计划已终止，不能再登记付款。")


# The one permission check (core.permissions), raising the domain PermissionDenied that the
# pages and the API show like any other refusal.
require = permissions.require
require_staff = permissions.require_staff


def queue_payment(
    *,
    kind: str,
    amount: Decimal,
    account_id: int,
    reference: str,
    member: Any = None,
    line: StatementLine | None = None,
    instruction: DepositInstruction | None = None,
    project_id: int | None = None,
    project_code: str = "",
    payee: tuple[str, str, str] | None = None,
) -> PaymentItem:
    """An outgoing payment owed from `account_id` (refunds payable, a seller's payable), due
    today, waiting for the next payment batch. Idempotent on `reference`. The payee is
    `payee`, else the payer of `line`, else the deposit's payer, else the member by name."""
    if payee is None:
        if line is not None:
            payee = (line.payer_name, line.payer_account, line.payer_bank)
        elif instruction is not None and instruction.payer_account:
            payee = (instruction.payer_name, instruction.payer_account, instruction.payer_bank)
        else:
            payee = (member.name if member else "", "", "")
    item, _created = PaymentItem.objects.get_or_create(
        reference=reference,
        defaults={
            "kind": kind,
            "amount": amount,
            "account_id": account_id,
            "member": member,
            "line": line,
            "instruction": instruction,
            "project_id": project_id,
            "project_code": project_code,
            "payee_name": payee[0],
            "payee_account": payee[1],
            "payee_bank": payee[2],
            "due_on": clock.today(),
            "created_at": clock.now(),
        },
    )
    return item
