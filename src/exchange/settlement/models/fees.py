"""Service-fee schedules (收费标准): versions, bands and fixed items."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField
from exchange.settlement.models.accounts import ZERO


class TradingMethod(models.TextChoices):
    BIDDING = "bidding", _("网络竞价")
    AGREEMENT = "agreement", _("协议转让")


class FeeSide(models.TextChoices):
    BUYER = "buyer", _("受让方")
    SELLER = "seller", _("转让方")


class FeeSchedule(models.Model):
    """A version of a service-fee schedule (收费标准): tiered excess-over-band rates
    (差额定率累进) for one side and trading method, from `effective_from` until a newer
    version of the same scope takes effect. Blank category = every category."""

    name = models.CharField(_("名称"), max_length=120)
    category = models.CharField(_("项目类别"), max_length=40, blank=True, help_text=_("留空表示适用所有类别"))
    method = models.CharField(_("交易方式"), max_length=20, choices=TradingMethod.choices)
    side = models.CharField(_("收费方"), max_length=10, choices=FeeSide.choices)
    effective_from = models.DateField(_("生效日期"))
    minimum = MoneyField(_("最低收费"), default=ZERO)
    maximum = MoneyField(_("最高收费"), null=True, blank=True)
    notes = models.TextField(_("依据/说明"), blank=True)

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        ordering = ["method", "side", "category", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "method", "side", "effective_from"], name="settlement_fee_schedule_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from:%Y-%m-%d}）"


class FeeBand(models.Model):
    """One band of a schedule: the part of the amount above `lower` (up to `upper`) pays `rate`."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("收费标准"), on_delete=models.CASCADE, related_name="bands"
    )
    lower = MoneyField(_("下限（元）"))
    upper = MoneyField(_("上限（元）"), null=True, blank=True, help_text=_("留空表示无上限"))
    rate = models.DecimalField(_("费率"), max_digits=9, decimal_places=6, help_text=_("如 0.0024 表示 0.24%"))

    class Meta:
        verbose_name = _("费率档")
        verbose_name_plural = _("费率档")
        ordering = ["schedule", "lower"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(lower__gte=0), name="settlement_band_nonneg"),
            models.CheckConstraint(
                condition=Q(upper__isnull=True) | Q(upper__gt=F("lower")), name="settlement_band_upper_gt_lower"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lower}–{self.upper or '∞'} @ {self.rate}"


class FeeFixedItem(models.Model):
    """A fixed fee added to a schedule's total (e.g. 网络竞价系统使用费)."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("收费标准"), on_delete=models.CASCADE, related_name="fixed_items"
    )
    name = models.CharField(_("名称"), max_length=80)
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("固定收费项")
        verbose_name_plural = _("固定收费项")

    def __str__(self) -> str:
        return self.name
