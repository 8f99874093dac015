"""Broker status (经纪会员资格) and mandates (委托).

A member firm becomes a broker (合作商户) only when staff approve its request with the
firm's licence and business documents (`BrokerApplication`). A broker acts for a seller
only under a `Mandate` the seller accepted online: its scope (the category and number of
projects the broker may file, whether it may sign the contract) and its term. The projects
filed under a mandate are recorded in `MandateProject`; what a broker may do on a project
is decided by that mandate alone (`selectors.may_act`).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads
from exchange.core.categories import Category


class BrokerApplication(models.Model):
    """A firm's request for broker status (经纪会员资格申请) and the staff decision on it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        REVOKED = "revoked", _("已撤销")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.REVOKED},
        Status.REJECTED: set(),
        Status.REVOKED: set(),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="broker_applications"
    )
    firm_name = models.CharField(_("机构名称"), max_length=100)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    licence = models.FileField(_("营业执照"), upload_to=uploads.ServerName("brokers"))
    business_document = models.FileField(
        _("经纪业务资质文件"), upload_to=uploads.ServerName("brokers"), help_text=_("产权经纪资质、备案或授权文件")
    )
    scope_note = models.CharField(_("业务范围说明"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField(_("驳回/撤销原因"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经纪会员资格申请")
        verbose_name_plural = _("经纪会员资格申请")
        ordering = ["-submitted_at"]
        permissions = [("review_brokerapplication", _("可以审核经纪会员资格"))]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"), name="broker_one_pending_per_user"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="approved"), name="broker_one_approved_per_user"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["rejected", "revoked"]) | ~Q(reason=""), name="broker_refusal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm_name} · {self.get_status_display()}"


class Mandate(models.Model):
    """A seller's mandate (委托) to a broker: scope and term, accepted online by the seller."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待转让方确认")
        ACCEPTED = "accepted", _("已生效")
        DECLINED = "declined", _("已拒绝")
        REVOKED = "revoked", _("已撤销")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED},
        Status.ACCEPTED: {Status.REVOKED},
        Status.DECLINED: set(),
        Status.REVOKED: set(),
    }

    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经纪会员"), on_delete=models.PROTECT, related_name="mandates_given"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("委托人（转让方）"), on_delete=models.PROTECT,
        related_name="mandates_received",
    )  # fmt: skip
    subject = models.CharField(_("委托事项"), max_length=200, help_text=_("拟挂牌转让的标的及委托内容"))
    category = models.CharField(
        _("交易品种"), max_length=20, choices=Category.choices, blank=True, help_text=_("为空表示不限品种")
    )
    max_projects = models.PositiveSmallIntegerField(_("可代为挂牌项目数"), default=1)
    may_sign = models.BooleanField(_("可代为签署产权交易合同"), default=False)
    starts_on = models.DateField(_("委托起始日"))
    ends_on = models.DateField(_("委托截止日"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decline_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("挂牌委托")
        verbose_name_plural = _("挂牌委托")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["broker", "seller", "status"], name="mandate_parties")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="mandate_term_ordered"),
            models.CheckConstraint(condition=Q(max_projects__gte=1), name="mandate_projects_positive"),
            models.CheckConstraint(condition=~Q(broker=F("seller")), name="mandate_not_to_self"),
            models.CheckConstraint(
                condition=~Q(status="revoked") | ~Q(revoke_reason=""), name="mandate_revocation_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller} → {self.broker}: {self.subject}"

    def in_force_on(self, day: dt.date) -> bool:
        """Accepted, not revoked, and `day` within its term."""
        return self.status == self.Status.ACCEPTED and self.starts_on <= day <= self.ends_on

    def state_label(self, today: dt.date) -> str:
        """The status in the parties' words: an accepted mandate is 未开始 / 已生效 / 已到期."""
        if self.status == self.Status.ACCEPTED:
            if today > self.ends_on:
                return str(_("已到期"))
            if today < self.starts_on:
                return str(_("已确认，未到起始日"))
        return str(self.get_status_display())


class MandateProject(models.Model):
    """A project filed by the broker under a mandate (at most one mandate per project)."""

    mandate = models.ForeignKey(Mandate, verbose_name=_("委托"), on_delete=models.PROTECT, related_name="projects")
    project = models.OneToOneField(
        "listings.Project", verbose_name=_("项目"), on_delete=models.CASCADE, related_name="mandate_link"
    )
    filed_at = models.DateTimeField(_("挂牌录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("委托项目")
        verbose_name_plural = _("委托项目")

    def __str__(self) -> str:
        return f"{self.mandate_id} · {self.project_id}"
