"""Deposits (保证金) and the credit events their outcomes record."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField
from exchange.settlement.models.accounts import ZERO, Account


class DepositInstruction(models.Model):
    """A buyer's deposit for one project (保证金交款通知): where to pay (a virtual
    sub-account number unique to this buyer and project) and by when."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待交纳")
        CONFIRMED = "confirmed", _("已到账冻结")
        EXPIRED = "expired", _("逾期未交")
        REFUNDING = "refunding", _("退款中")
        REFUNDED = "refunded", _("已退还")
        CONVERTED = "converted", _("已转价款")
        FORFEITED = "forfeited", _("已没收")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.PENDING: {Status.CONFIRMED, Status.EXPIRED, Status.CANCELLED},
        Status.EXPIRED: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.REFUNDING, Status.CONVERTED, Status.FORFEITED},
        Status.REFUNDING: {Status.REFUNDED},
        Status.REFUNDED: set(),
        Status.CONVERTED: {Status.FORFEITED},  # the winner defaulted after the contract took effect
        Status.FORFEITED: set(),
        Status.CANCELLED: {Status.PENDING},  # re-issued: the member was qualified again
    }

    project_id = models.PositiveBigIntegerField(_("项目ID"), db_index=True)
    project_code = models.CharField(_("项目编号"), max_length=40)
    project_title = models.CharField(_("项目名称"), max_length=200)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="deposit_instructions"
    )
    amount = MoneyField(_("保证金金额"))
    virtual_account = models.CharField(_("虚拟子账号"), max_length=24, unique=True)
    qualified_at = models.DateTimeField(_("资格确认时间"))
    due_at = models.DateTimeField(_("交纳截止时间"))
    due_provisional = models.BooleanField(_("截止日为暂定"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    account = models.ForeignKey(
        Account, verbose_name=_("保证金账户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("到账确认时间"), null=True, blank=True)
    payer_name = models.CharField(_("付款户名"), max_length=200, blank=True)
    payer_account = models.CharField(_("付款账号"), max_length=40, blank=True)
    payer_bank = models.CharField(_("付款行"), max_length=120, blank=True)
    refund_due_on = models.DateField(_("应退日期"), null=True, blank=True, db_index=True)
    outcome_reason = models.CharField(_("处理原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("保证金")
        verbose_name_plural = _("保证金")
        ordering = ["-created_at"]
        permissions = [("manage_depositinstruction", _("处理保证金（退还/没收/转价款）"))]
        constraints = [
            models.UniqueConstraint(fields=["project_id", "member"], name="settlement_one_deposit_per_project_member"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_deposit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project_code} · {self.member_id} · {self.amount}"


class CreditEvent(models.Model):
    """A credit-relevant event (信用事件) for the later credit module: forfeits, defaults, late payments."""

    class Kind(models.TextChoices):
        DEPOSIT_FORFEITED = "deposit_forfeited", _("保证金被没收")
        PRICE_OVERDUE = "price_overdue", _("价款逾期")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="credit_events"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True)
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True)
    amount = MoneyField(_("金额"), default=ZERO)
    reason = models.CharField(_("原因"), max_length=300)
    occurred_at = models.DateTimeField(_("发生时间"))

    class Meta:
        verbose_name = _("信用事件")
        verbose_name_plural = _("信用事件")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member_id}"
