"""Notifications (in-site message, deliveries on other channels, preferences) and the blacklist.

A `Message` is the in-site copy every notification has; each other channel the message
goes out on (e-mail, SMS, WeChat) is a `Delivery` sent by a background task after commit.
A `Preference` row records that a member switched a channel off for one kind category
(the part of `kind` before the first dot); the site message cannot be switched off.
A `BlacklistEntry` (失信名单) refuses a member's applications while it is active.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.core import clock


class Channel(models.TextChoices):
    SITE = "site", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")


OPTIONAL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WECHAT)


def kind_category(kind: str) -> str:
    """The category of a kind: "application.qualified" → "application" (preferences are per category)."""
    return kind.split(".", 1)[0]


class Message(models.Model):
    """One notification addressed to one user, shown in their message center."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("类型"), max_length=60, db_index=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=clock.now, db_index=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="message_unique_dedupe_key"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="message_recipient_read")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def category(self) -> str:
        return kind_category(self.kind)


class Delivery(models.Model):
    """The sending of one message on one channel other than the site (or its failure)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.QUEUED: {Status.SENT, Status.FAILED, Status.QUEUED},  # queued→queued: a failed try, retried
        Status.SENT: set(),
        Status.FAILED: {Status.QUEUED},  # staff resend
    }

    message = models.ForeignKey(Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("发送地址"), max_length=200, blank=True, help_text=_("邮箱、手机号或微信标识"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)
    claimed_until = models.DateTimeField(
        _("发送中（至）"), null=True, blank=True, editable=False, help_text=_("正在发送：在此时间前不会重复发送")
    )

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="delivery_unique_message_channel"),
        ]
        permissions = [("resend_delivery", _("重新发送失败的通知"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.message.recipient_id}"


class Preference(models.Model):
    """A member's choice for one channel of one kind category (absence = on)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.CASCADE, related_name="notify_preferences"
    )
    category = models.CharField(_("消息类别"), max_length=60)
    channel = models.CharField(_("渠道"), max_length=10, choices=[(c.value, c.label) for c in OPTIONAL_CHANNELS])
    enabled = models.BooleanField(_("接收"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["member", "category", "channel"], name="preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.category}/{self.channel}={'on' if self.enabled else 'off'}"


class BlacklistEntry(models.Model):
    """An entry of the 失信名单: while active, the member's applications are refused.

    Active on a date d when starts_on ≤ d, (ends_on is empty or d ≤ ends_on) and it was
    not lifted on or before d.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="blacklist_entries"
    )
    reason = models.TextField(_("列入原因"))
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("留空表示无限期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("列入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("列入时间"), default=clock.now)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True, editable=False)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lift_reason = models.TextField(_("解除原因"), blank=True)

    class Meta:
        verbose_name = _("失信名单")
        verbose_name_plural = _("失信名单")
        ordering = ["-starts_on", "-id"]
        permissions = [("manage_blacklist", _("管理失信名单（列入/解除）"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="blacklist_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.reason[:30]}"

    def is_active_on(self, day: dt.date) -> bool:
        if day < self.starts_on:
            return False
        if self.ends_on is not None and day > self.ends_on:
            return False
        return not (self.lifted_on is not None and self.lifted_on <= day)

    @staticmethod
    def active_q(day: dt.date) -> Q:
        return (
            Q(starts_on__lte=day)
            & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
            & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=day))
        )
