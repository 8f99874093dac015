"""Outgoing payments and the batches (代发) that pay them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField
from exchange.settlement.models.accounts import ZERO, Account
from exchange.settlement.models.deposits import DepositInstruction
from exchange.settlement.models.statements import StatementLine


class PaymentBatch(models.Model):
    """A batch of outgoing payments (代发): prepared, approved by another finance staff
    member (four-eyes), exported as a bank file, confirmed line by line from the bank's result."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批待发送")
        SENT = "sent", _("已导出待银行回执")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.APPROVED, Status.CANCELLED},
        Status.APPROVED: {Status.SENT, Status.CANCELLED},
        Status.SENT: {Status.DONE},
        Status.DONE: set(),
        Status.CANCELLED: set(),
    }

    code = models.CharField(_("批次号"), max_length=30, unique=True)
    kind = models.CharField(_("类型"), max_length=20, default="mixed")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    total = MoneyField(_("合计金额"), default=ZERO)
    item_count = models.PositiveIntegerField(_("笔数"), default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制单人"), on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("制单时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("代发批次")
        verbose_name_plural = _("代发批次")
        ordering = ["-prepared_at"]
        permissions = [("prepare_paymentbatch", _("制作代发批次")), ("approve_paymentbatch", _("审批代发批次"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="settlement_batch_four_eyes",
            )
        ]

    def __str__(self) -> str:
        return self.code


class PaymentItem(models.Model):
    """One outgoing payment owed (a refund, a returned payment, a release to a seller).
    It is PAID only when the bank's result file confirms it."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("保证金退款")
        RETURN = "return", _("退回来款")
        RELEASE = "release", _("价款划转转让方")
        PRICE_REFUND = "price_refund", _("已付价款退还")

    class Status(models.TextChoices):
        PENDING = "pending", _("待代发")
        BATCHED = "batched", _("代发中")
        PAID = "paid", _("已支付")
        FAILED = "failed", _("支付失败")

    reference = models.CharField(_("业务参考号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount = MoneyField(_("金额"))
    account = models.ForeignKey(Account, verbose_name=_("应付账户"), on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), null=True, blank=True, on_delete=models.PROTECT
    )
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True)
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True)
    payee_name = models.CharField(_("收款户名"), max_length=200, blank=True)
    payee_account = models.CharField(_("收款账号"), max_length=40, blank=True)
    payee_bank = models.CharField(_("收款行"), max_length=120, blank=True)
    instruction = models.ForeignKey(
        DepositInstruction, verbose_name=_("保证金"), null=True, blank=True, on_delete=models.PROTECT
    )
    line = models.ForeignKey(StatementLine, verbose_name=_("来款流水"), null=True, blank=True, on_delete=models.PROTECT)
    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("批次"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    due_on = models.DateField(_("应付日期"), null=True, blank=True)
    bank_txn_id = models.CharField(_("银行流水号"), max_length=60, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("付款明细")
        verbose_name_plural = _("付款明细")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_item_positive")]

    def __str__(self) -> str:
        return f"{self.reference} {self.payee_name} {self.amount}"
