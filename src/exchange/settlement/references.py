"""What a ledger posting's reason and business reference mean, in words a finance member reads,
with a link to the object the reference names (资金日报, the back office's 记账凭证).

Postings keep machine references (`line:3`, `deposit:1`, `plan:2`, `item:5`): stable, searchable
and part of idempotency keys. They are translated here, in bulk (one query per kind).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from exchange.settlement.models import DepositInstruction, PaymentItem, PricePlan, StatementLine, posting_reasons

REASONS: dict[str, Any] = dict(posting_reasons())


def reason_label(code: str) -> str:
    """The reason of a posting in words (an unknown code is shown as it is)."""
    label = REASONS.get(code)
    return str(label) if label is not None else code


@dataclass(frozen=True)
class Ref:
    """A reference as read: its label, and the page of the object it names ("" = none)."""

    label: str
    url: str = ""

    def __str__(self) -> str:  # exports write the label
        return self.label


def _ids(refs: Iterable[str], prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for ref in refs:
        kind, _sep, rest = ref.partition(":")
        if kind == prefix and rest.isdigit():
            out[ref] = int(rest)
    return out


def describe(references: Iterable[str]) -> dict[str, Ref]:
    """Each reference → Ref. Free text (a manual posting's, a bank's number) stays as typed."""
    refs = {r for r in references if r}
    out: dict[str, Ref] = {r: Ref(r) for r in refs}
    lines = _ids(refs, "line")
    found_lines = StatementLine.objects.select_related("statement").in_bulk(lines.values())
    for ref, pk in lines.items():
        if line := found_lines.get(pk):
            label = _("来款 %(payer)s（%(file)s 第 %(n)d 行）") % {
                "payer": line.payer_name or _("付款人不详"),
                "file": line.statement.file_name,
                "n": line.line_no,
            }
            out[ref] = Ref(label, reverse("settlement:exception", args=[pk]))
    deposits = _ids(refs, "deposit")
    found_deposits = DepositInstruction.objects.select_related("member").in_bulk(deposits.values())
    for ref, pk in deposits.items():
        if deposit := found_deposits.get(pk):
            label = _("保证金 %(code)s · %(name)s") % {"code": deposit.project_code, "name": deposit.member.name}
            out[ref] = Ref(label, reverse("admin:settlement_depositinstruction_change", args=[pk]))
    plans = _ids(refs, "plan")
    found_plans = PricePlan.objects.select_related("buyer").in_bulk(plans.values())
    for ref, pk in plans.items():
        if plan := found_plans.get(pk):
            label = _("价款 %(code)s · %(name)s") % {"code": plan.project_code, "name": plan.buyer.name}
            out[ref] = Ref(label, reverse("admin:settlement_priceplan_change", args=[pk]))
    items = _ids(refs, "item")
    found_items = PaymentItem.objects.in_bulk(items.values())
    for ref, pk in items.items():
        if item := found_items.get(pk):
            label = _("付款 %(ref)s · %(name)s") % {"ref": item.reference, "name": item.payee_name}
            out[ref] = Ref(label, reverse("admin:settlement_paymentitem_change", args=[pk]))
    return out
