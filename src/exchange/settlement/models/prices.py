"""The price of a deal: its payment plan and instalments."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField
from exchange.settlement.models.accounts import ZERO


class PricePlan(models.Model):
    """How the winner pays the price (lump sum or instalments) and when it is released to the seller."""

    class Mode(models.TextChoices):
        LUMP_SUM = "lump_sum", _("一次性付款")
        INSTALMENTS = "instalments", _("分期付款")

    class Status(models.TextChoices):
        OPEN = "open", _("付款中")
        PAID = "paid", _("已付清")
        RELEASE_SCHEDULED = "release_scheduled", _("待划转")
        RELEASED = "released", _("已划转转让方")
        DEFAULTED = "defaulted", _("受让方违约，已终止")

    project_id = models.PositiveBigIntegerField(_("项目ID"), unique=True)
    project_code = models.CharField(_("项目编号"), max_length=40)
    project_title = models.CharField(_("项目名称"), max_length=200)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受让方"), on_delete=models.PROTECT, related_name="+"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("转让方"), on_delete=models.PROTECT, related_name="+"
    )
    price = MoneyField(_("成交价"))
    buyer_fee = MoneyField(_("受让方服务费"), default=ZERO)
    buyer_fee_discount = MoneyField(_("服务费优惠"), default=ZERO)
    seller_fee = MoneyField(_("转让方服务费"), default=ZERO)
    mode = models.CharField(_("付款方式"), max_length=12, choices=Mode.choices)
    contract_effective_on = models.DateField(_("合同生效日"))
    guarantee = models.CharField(_("担保"), max_length=300, blank=True)
    annual_interest_rate = models.DecimalField(_("年利率"), max_digits=7, decimal_places=5, default=Decimal("0"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    certificate_issued_on = models.DateField(_("交易凭证日期"), null=True, blank=True)
    release_due_on = models.DateField(_("划转日期"), null=True, blank=True)
    released_at = models.DateTimeField(_("划转时间"), null=True, blank=True)
    seller_payee_name = models.CharField(_("转让方收款户名"), max_length=200, blank=True)
    seller_payee_account = models.CharField(_("转让方收款账号"), max_length=40, blank=True)
    seller_payee_bank = models.CharField(_("转让方开户行"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("价款支付计划")
        verbose_name_plural = _("价款支付计划")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="settlement_plan_price_positive"),
            models.CheckConstraint(
                condition=Q(mode="lump_sum") | ~Q(guarantee=""), name="settlement_instalments_need_guarantee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_code} {self.price}"

    @property
    def amount_due(self) -> Decimal:
        """Everything the buyer pays into escrow: price + buyer fee − discount + interest."""
        interest = sum((i.interest for i in self.instalments.all()), ZERO)
        return self.price + self.buyer_fee - self.buyer_fee_discount + interest


class Instalment(models.Model):
    """One due amount of a price plan (a lump sum is a single instalment)."""

    plan = models.ForeignKey(
        PricePlan, verbose_name=_("支付计划"), on_delete=models.CASCADE, related_name="instalments"
    )
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("到期日"))
    principal = MoneyField(_("本金"))
    interest = MoneyField(_("利息"), default=ZERO)
    paid = MoneyField(_("已付"), default=ZERO)
    overdue_since = models.DateField(_("逾期起始"), null=True, blank=True)

    class Meta:
        verbose_name = _("分期")
        verbose_name_plural = _("分期")
        ordering = ["plan", "seq"]
        constraints = [models.UniqueConstraint(fields=["plan", "seq"], name="settlement_instalment_seq")]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.seq}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid
