"""Deals (成交), their contracts (产权交易合同) and transaction certificates (交易凭证).

A `Deal` is struck once per project round (auction won or agreement); the lifecycle
lives in `services` (TRANSITIONS and one guarded `_transition`). Invariants that must
hold whatever code writes are constraints here: one deal per project round, one
certificate per project, unique numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from exchange.core.categories import Category
from exchange.core.fields import MoneyField

ZERO = Decimal("0")


def method_label(kind: str) -> str:
    """How a deal of this kind was sold, as notices print it: 网络竞价 or 协议转让."""
    return str(_("网络竞价") if kind == "auction" else _("协议转让"))


def fee_methods() -> list[tuple[str, Any]]:
    # imported here: model modules load before another app's selectors may be imported
    from exchange.settlement.selectors import TRADING_METHODS

    return list(TRADING_METHODS)


class Deal(models.Model):
    """The deal of one project round: buyer, price, fees of both sides and its deadlines."""

    class Kind(models.TextChoices):
        AUCTION = "auction", _("网络竞价成交")
        AGREEMENT = "agreement", _("协议成交")

    class Status(models.TextChoices):
        OPEN = "open", _("待签约")
        CONTRACT_SIGNED = "contract_signed", _("双方已签署")
        EFFECTIVE = "effective", _("合同已生效")
        PAID = "paid", _("价款已付清")
        CERTIFICATE_ISSUED = "certificate_issued", _("已出具交易凭证")
        FUNDS_RELEASED = "funds_released", _("价款已划转")
        CLOSED = "closed", _("交易完成")
        DEFAULTED = "defaulted", _("受让方违约（悔拍）")

    project = models.ForeignKey(
        "listings.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="deals"
    )
    round = models.PositiveSmallIntegerField(_("挂牌轮次"))
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True)
    project_title = models.CharField(_("项目名称"), max_length=200)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受让方"), on_delete=models.PROTECT, related_name="deals_bought"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("转让方"), on_delete=models.PROTECT, related_name="deals_sold"
    )
    kind = models.CharField(_("成交方式"), max_length=12, choices=Kind.choices)
    auction_id = models.PositiveBigIntegerField(_("竞价会ID"), null=True, blank=True)
    bidder_no = models.CharField(_("竞买号"), max_length=20, blank=True)
    price = MoneyField(_("成交价（元）"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    fee_method = models.CharField(_("收费交易方式"), max_length=12, choices=fee_methods)
    buyer_fee = MoneyField(_("受让方服务费"), default=ZERO)
    seller_fee = MoneyField(_("转让方服务费"), default=ZERO)
    buyer_fee_working = models.JSONField(_("受让方服务费计算过程"), default=dict, blank=True)
    seller_fee_working = models.JSONField(_("转让方服务费计算过程"), default=dict, blank=True)
    publish_buyer_name = models.BooleanField(
        _("成交公告公示受让方名称"), default=False, help_text=_("由成交公告公示规则决定（DEALS_RESULT_NOTICE_FIELDS）")
    )
    opened_at = models.DateTimeField(_("成交时间"))
    sign_deadline = models.DateField(_("签约截止日"))
    sign_deadline_provisional = models.BooleanField(_("签约截止日为暂定"), default=False)
    buyer_signed_at = models.DateTimeField(_("受让方签署时间"), null=True, blank=True)
    seller_signed_at = models.DateTimeField(_("转让方签署时间"), null=True, blank=True)
    seller_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("转让方签署人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("合同审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    effective_on = models.DateField(_("合同生效日"), null=True, blank=True)
    payment_due_on = models.DateField(_("价款支付截止日"), null=True, blank=True)
    price_plan_id = models.PositiveBigIntegerField(_("价款支付计划ID"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付清时间"), null=True, blank=True)
    certificate_due_on = models.DateField(_("交易凭证应出具日"), null=True, blank=True)
    result_notice = models.ForeignKey(
        "listings.Notice", verbose_name=_("成交公告"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_notice_facts = models.JSONField(
        _("成交公告公示内容"),
        default=dict,
        blank=True,
        help_text=_("发布成交公告时按公示规则确定的公示项目及其内容；成交公告页面与成交公告列表均据此显示"),
    )
    released_at = models.DateTimeField(_("划转时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    defaulted_at = models.DateTimeField(_("违约时间"), null=True, blank=True)
    default_reason = models.CharField(_("违约原因"), max_length=300, blank=True)
    relisted_at = models.DateTimeField(_("重新挂牌时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("成交记录")
        verbose_name_plural = _("成交记录")
        ordering = ["-opened_at"]
        permissions = [
            ("review_contract", _("审核产权交易合同")),
            ("record_default", _("认定受让方违约")),
            ("issue_certificate", _("出具交易凭证")),
            ("revoke_certificate", _("撤销交易凭证")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "round"], name="deals_one_deal_per_round"),
            models.CheckConstraint(condition=Q(price__gt=0), name="deals_price_positive"),
            models.CheckConstraint(
                condition=~Q(status="defaulted") | ~Q(default_reason=""), name="deals_default_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_code or self.project_title} #{self.round}"

    @property
    def method_label(self) -> str:
        """How it was sold, to read in a sentence: 以{网络竞价}方式成交."""
        return method_label(self.kind)

    @property
    def total_buyer_pays(self) -> Decimal:
        return self.price + self.buyer_fee


def contract_templates() -> list[tuple[str, Any]]:
    """The names of the contract templates (`deals/contracts/<name>.html`): the default one,
    and one per category that has its own."""
    return [("default", _("通用产权交易合同")), *((c.value, format_lazy(_("{}转让合同"), c.label)) for c in Category)]


class Contract(models.Model):
    """The 产权交易合同 of a deal, generated from the template of the project's category."""

    deal = models.OneToOneField(Deal, verbose_name=_("成交记录"), on_delete=models.CASCADE, related_name="contract")
    number = models.CharField(_("合同编号"), max_length=20, unique=True, null=True, blank=True, editable=False)
    template = models.CharField(_("合同模板"), max_length=40, choices=contract_templates)
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("产权交易合同")
        verbose_name_plural = _("产权交易合同")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Certificate(models.Model):
    """The 交易凭证 of a project: one valid certificate per project (a revoked one may be
    replaced), a unique number and a check code for the public verification page (so that
    numbers cannot be enumerated to read facts)."""

    deal = models.ForeignKey(Deal, verbose_name=_("成交记录"), on_delete=models.PROTECT, related_name="certificates")
    project = models.ForeignKey(
        "listings.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(_("凭证编号"), max_length=20, unique=True, null=True, blank=True, editable=False)
    check_code = models.CharField(_("校验码"), max_length=32, editable=False)
    facts = models.JSONField(_("凭证内容"), default=dict)
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出具人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("交易凭证")
        verbose_name_plural = _("交易凭证")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(revoked_at__isnull=True), name="deals_one_valid_certificate_per_project"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""), name="deals_revocation_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
