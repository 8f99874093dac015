"""Postings and their entries: the insert-only record of every movement of money."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField
from exchange.settlement.models.accounts import Account, InsertOnlyModel
from exchange.settlement.models.payouts import PaymentItem


def posting_reasons() -> list[tuple[str, Any]]:
    """What moves money, in words (资金日报, 记账凭证, exports)."""
    return [
        ("bank_in_suspense", _("来款待查明")),
        ("deposit_in", _("保证金到账")),
        ("return_in", _("来款转待退回")),
        ("deposit_refund", _("保证金退还")),
        ("deposit_forfeit", _("保证金没收")),
        ("deposit_convert", _("保证金转为价款")),
        ("price_in", _("价款到账")),
        ("price_release", _("价款划转转让方")),
        ("manual", _("手工记账")),
        ("reversal", _("冲正")),
        *((f"{kind.value}_paid", kind.label) for kind in PaymentItem.Kind),  # a paid item: its kind
    ]


class Posting(InsertOnlyModel):
    """One balanced movement of money: its entries sum to zero. Insert-only; the
    idempotency key makes a repeated request (double submission, re-import, retry) a no-op."""

    key = models.CharField(_("幂等键"), max_length=120, unique=True)
    reason = models.CharField(_("事由"), max_length=40, db_index=True, choices=posting_reasons)
    reference = models.CharField(_("业务参考"), max_length=120, db_index=True, blank=True)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True, db_index=True)
    reverses = models.ForeignKey(
        "self", verbose_name=_("冲正对象"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记账人"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("记账时间"), db_index=True)

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-pk"]
        permissions = [("post_manual_posting", _("手工记账"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo or self.reason}"


class Entry(InsertOnlyModel):
    """One line of a posting: a signed amount (debit +, credit −) on one account."""

    posting = models.ForeignKey(Posting, verbose_name=_("凭证"), on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="entries")
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="settlement_entry_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"
