"""Projects (挂牌项目), their attachments, internal reviews, changes, notices, Q&A, follows.

The lifecycle lives in `services` (a TRANSITIONS map and one guarded `_transition`);
the invariants that must hold whatever code writes are database constraints here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads
from exchange.core.fields import MoneyField
from exchange.listings.categories import Category


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("审核中")
    RETURNED = "returned", _("已退回")
    REJECTED = "rejected", _("未通过")
    SCHEDULED = "scheduled", _("待披露")
    PRE_DISCLOSURE = "pre_disclosure", _("预披露")
    DISCLOSURE = "disclosure", _("正式披露")
    SUSPENDED = "suspended", _("中止")
    DISCLOSURE_ENDED = "disclosure_ended", _("披露期满")
    EXTENDED = "extended", _("延牌披露")
    RELISTED = "relisted", _("重新挂牌（待披露）")
    TERMINATED = "terminated", _("终结")
    # trading outcomes after disclosure (the deal's own stages live in exchange.trading)
    BIDDING = "bidding", _("竞价中")
    DEAL = "deal", _("已成交")
    FAILED = "failed", _("流拍")
    CLOSED = "closed", _("交易完成")


# Shown in the hall by default: the project is open for registration.
OPEN_STATUSES = (Status.PRE_DISCLOSURE, Status.DISCLOSURE, Status.EXTENDED)
# Visible to the public once disclosed at least once.
PUBLIC_STATUSES = (
    *OPEN_STATUSES,
    Status.SUSPENDED,
    Status.DISCLOSURE_ENDED,
    Status.RELISTED,
    Status.TERMINATED,
    Status.BIDDING,
    Status.DEAL,
    Status.FAILED,
    Status.CLOSED,
)
EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
IN_REVIEW_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)


class TradingMethod(models.TextChoices):
    DYNAMIC = "dynamic", _("网络动态报价")
    ENGLISH = "english", _("网络增价竞价")
    SEALED = "sealed", _("密封报价")
    DUTCH = "dutch", _("网络降价竞价")
    AGREEMENT = "agreement", _("协议转让")


class Project(models.Model):
    """A project listed for transfer (挂牌项目): what is sold, on which terms, when disclosed.

    `attributes` holds the category's own disclosure fields (see `categories.SPECS`);
    `unit_price` is derived from them and the floor price, for filtering and sorting.
    Content is frozen once the project is scheduled: changes go through `ProjectChange`.
    """

    code = models.CharField(_("项目编号"), max_length=20, unique=True, null=True, blank=True, editable=False)
    title = models.CharField(_("项目名称"), max_length=120)
    description = models.TextField(_("项目介绍"), blank=True, help_text=_("路演介绍：标的概况、亮点、现状等"))
    category = models.CharField(_("交易品种"), max_length=20, choices=Category.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("转让方"), on_delete=models.PROTECT, related_name="listed_projects"
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经纪会员/代理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="brokered_projects",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey("core.Region", verbose_name=_("标的所在地"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True, editable=False)
    city_code = models.CharField(_("地市代码"), max_length=6, blank=True, editable=False)
    valuation = MoneyField(_("评估价（元）"))
    valuation_date = models.DateField(_("评估基准日"), null=True, blank=True)
    floor_price = MoneyField(_("转让底价（元）"))
    deposit_amount = MoneyField(_("交易保证金（元）"))
    trading_method = models.CharField(_("交易方式"), max_length=20, choices=TradingMethod.choices)
    state_owned = models.BooleanField(
        _("企业国有资产"),
        default=False,
        help_text=_(
            "适用《企业国有资产交易监督管理办法》：成交公告须公示评估结果、转让底价和交易价格，公示期不少于5个工作日"
        ),
    )
    buyer_conditions = models.TextField(_("受让方资格条件"), blank=True)
    payment_terms = models.TextField(_("价款支付方式"), blank=True)
    allow_extension = models.BooleanField(_("未征集到意向受让方时延长挂牌"), default=True)
    max_extension_cycles = models.PositiveSmallIntegerField(_("最多延牌周期数"), default=3)
    extension_cycles = models.PositiveSmallIntegerField(_("已延牌周期数"), default=0)
    extension_wd = models.PositiveSmallIntegerField(_("每周期延牌工作日"), default=5)
    pre_disclosure = models.BooleanField(_("预披露"), default=False)
    pre_disclosure_wd = models.PositiveSmallIntegerField(_("预披露期（工作日）"), default=0)
    disclosure_wd = models.PositiveSmallIntegerField(_("正式披露期（工作日）"), default=20)
    requested_start = models.DateField(_("申请披露起始日"), null=True, blank=True)
    pre_start = models.DateField(_("预披露起始日"), null=True, blank=True)
    pre_end = models.DateField(_("预披露截止日"), null=True, blank=True)
    disclosure_start = models.DateField(_("正式披露起始日"), null=True, blank=True)
    disclosure_end = models.DateField(_("正式披露截止日"), null=True, blank=True)
    ends_at = models.DateTimeField(_("披露截止时间"), null=True, blank=True)
    dates_provisional = models.BooleanField(
        _("日期待确认"), default=False, help_text=_("披露期跨入国务院尚未公布放假安排的年份，待公布后重新计算")
    )
    first_disclosed_at = models.DateTimeField(_("首次披露时间"), null=True, blank=True)
    cycle_started_at = models.DateTimeField(
        _("本评估周期首次正式披露时间"), null=True, blank=True, help_text=_("满12个月未成交须重新审计评估")
    )
    round = models.PositiveSmallIntegerField(_("挂牌轮次"), default=1)
    is_public = models.BooleanField(_("已公开"), default=False, editable=False)
    is_open = models.BooleanField(_("披露中"), default=False, editable=False, help_text=_("预披露、正式披露或延牌中"))
    # suspension (中止)
    suspended_at = models.DateTimeField(_("中止时间"), null=True, blank=True)
    suspended_from = models.CharField(_("中止前状态"), max_length=20, blank=True, choices=Status.choices)
    suspend_until = models.DateField(_("预计恢复日"), null=True, blank=True)
    remaining_wd_at_suspend = models.PositiveSmallIntegerField(_("中止时剩余工作日"), default=0)
    elapsed_wd_at_suspend = models.PositiveSmallIntegerField(_("中止前已披露工作日"), default=0)
    # review
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    current_step = models.CharField(_("当前审核环节"), max_length=30, blank=True, db_index=True)
    step_started_at = models.DateTimeField(_("进入本环节时间"), null=True, blank=True)
    terminated_reason = models.CharField(_("终结原因"), max_length=200, blank=True)
    # category attributes and derived figures
    attributes = models.JSONField(_("品种属性"), default=dict, blank=True)
    unit_price = MoneyField(_("单价"), null=True, blank=True)
    unit_price_unit = models.CharField(_("单价单位"), max_length=20, blank=True)
    view_count = models.PositiveIntegerField(_("浏览次数"), default=0)
    follower_count = models.PositiveIntegerField(_("关注人数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("挂牌项目")
        verbose_name_plural = _("挂牌项目")
        ordering = ["-created_at"]
        permissions = [
            ("review_initial", _("可以初审挂牌申请")),
            ("review_final", _("可以复核挂牌申请")),
            ("manage_disclosure", _("可以延牌、中止、恢复、终结、重新挂牌")),
            ("import_project", _("可以导入历史项目")),
        ]
        # The hall (项目大厅): partial indexes over the open (resp. public) projects, one per
        # channel and order it offers (selectors.SORTS). Partial, not a leading boolean
        # column: Django writes `WHERE "is_open"`, which SQLite matches to an index's WHERE
        # but cannot use as the first column of a composite index.
        indexes = [
            models.Index(fields=["-disclosure_start", "-id"], name="listing_open_new", condition=Q(is_open=True)),
            models.Index(
                fields=["category", "-disclosure_start", "-id"], name="listing_open_cat", condition=Q(is_open=True)
            ),
            models.Index(
                fields=["city_code", "-disclosure_start", "-id"], name="listing_open_city", condition=Q(is_open=True)
            ),
            models.Index(
                fields=["city_code", "floor_price"], name="listing_open_city_price", condition=Q(is_open=True)
            ),
            models.Index(fields=["city_code", "category"], name="listing_open_city_cat", condition=Q(is_open=True)),
            models.Index(fields=["ends_at", "id"], name="listing_open_ending", condition=Q(is_open=True)),
            models.Index(fields=["floor_price", "id"], name="listing_open_price", condition=Q(is_open=True)),
            models.Index(fields=["category", "unit_price", "id"], name="listing_open_unit", condition=Q(is_open=True)),
            models.Index(fields=["-disclosure_start", "-id"], name="listing_pub_new", condition=Q(is_public=True)),
            models.Index(
                fields=["category", "-disclosure_start", "-id"], name="listing_pub_cat", condition=Q(is_public=True)
            ),
            models.Index(fields=["ends_at", "id"], name="listing_pub_ending", condition=Q(is_public=True)),
            models.Index(fields=["floor_price", "id"], name="listing_pub_price", condition=Q(is_public=True)),
            models.Index(fields=["status", "ends_at"], name="listing_due"),
            models.Index(fields=["seller", "-created_at"], name="listing_seller"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valuation__gte=0) & Q(floor_price__gte=0) & Q(deposit_amount__gte=0),
                name="listing_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(extension_cycles__lte=F("max_extension_cycles")), name="listing_extension_cycles_max"
            ),
            models.CheckConstraint(
                condition=Q(disclosure_end__isnull=True)
                | Q(disclosure_start__isnull=True)
                | Q(disclosure_end__gte=F("disclosure_start")),
                name="listing_disclosure_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in PUBLIC_STATUSES]) | Q(is_public=True),
                name="listing_public_status_is_public",
            ),
            models.CheckConstraint(
                condition=~Q(status="suspended") | ~Q(suspended_from=""), name="listing_suspended_knows_from"
            ),
            models.CheckConstraint(
                condition=Q(is_open=True, status__in=[s.value for s in OPEN_STATUSES])
                | (Q(is_open=False) & ~Q(status__in=[s.value for s in OPEN_STATUSES])),
                name="listing_is_open_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code or _('（未编号）')} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("listings:project_detail", args=[self.pk])

    @property
    def discount_rate(self) -> Any:
        """Floor ÷ valuation (折扣率), for price comparison."""
        return (self.floor_price / self.valuation) if self.valuation else None

    @property
    def price_label(self) -> Any:
        """What the floor price is called on pages: a capital increase sells no asset, its floor
        is the least capital the company seeks (拟募集资金下限); every transfer says 转让底价."""
        if self.category == Category.CAPITAL_INCREASE:
            return _("拟募集资金下限")
        return _("转让底价")

    def ends_at_local(self) -> dt.datetime | None:
        return timezone.localtime(self.ends_at) if self.ends_at else None


class Attachment(models.Model):
    """A file of a project: valuation report, photo, video, document or approval document.

    Approval documents (批准文件, e.g. the consent to a price cut) are internal: only the
    seller and staff see them.
    """

    class Kind(models.TextChoices):
        VALUATION_REPORT = "valuation_report", _("评估报告")
        PHOTO = "photo", _("图片")
        VIDEO = "video", _("视频")
        DOCUMENT = "document", _("其他文件")
        APPROVAL_DOCUMENT = "approval_document", _("批准文件")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=uploads.ServerName("listings"))
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("项目附件")
        verbose_name_plural = _("项目附件")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.APPROVAL_DOCUMENT

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.PHOTO


class ProjectChange(models.Model):
    """A proposed change of a disclosed project; approved through the chain, published as 变更公告."""

    class Status(models.TextChoices):
        PENDING = "pending", _("审核中")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    changes = models.JSONField(_("变更内容"), help_text=_("{字段: [原值, 新值]}"))
    reason = models.CharField(_("变更原因"), max_length=200)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("申请时间"))
    current_step = models.CharField(_("当前审核环节"), max_length=30, blank=True)
    step_started_at = models.DateTimeField(_("进入本环节时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目变更")
        verbose_name_plural = _("项目变更")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="pending"), name="listing_one_pending_change"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.reason}"


class ProjectReview(models.Model):
    """One decision of one approval step (append-only): who, when, what, why."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("通过")
        RETURN = "return", _("退回修改")
        REJECT = "reject", _("不予挂牌")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reviews")
    change = models.ForeignKey(
        ProjectChange, verbose_name=_("变更"), null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    step = models.CharField(_("审核环节"), max_length=30)
    step_label = models.CharField(_("环节名称"), max_length=50)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT)
    decision = models.CharField(_("审核意见"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("说明"), blank=True)
    decided_at = models.DateTimeField(_("审核时间"))

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project} · {self.step_label} · {self.get_decision_display()}"


class Notice(models.Model):
    """A public notice (公告) of a project, generated from a template; permanent URL by number."""

    class Kind(models.TextChoices):
        LISTING = "listing", _("挂牌公告")
        CHANGE = "change", _("变更公告")
        SUSPENSION = "suspension", _("中止公告")
        RESUMPTION = "resumption", _("恢复挂牌公告")
        EXTENSION = "extension", _("延牌公告")
        RELISTING = "relisting", _("重新挂牌公告")
        TERMINATION = "termination", _("终结公告")
        CLARIFICATION = "clarification", _("澄清公告")
        QA = "qa", _("答疑公告")
        AUCTION = "auction", _("竞价公告")
        RESULT = "result", _("成交公告")
        FAILURE = "failure", _("流拍公告")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("公告类型"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("公告编号"), max_length=20, unique=True, null=True, blank=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    publish_at = models.DateTimeField(_("计划发布时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    period_end = models.DateField(
        _("公示期截止日"), null=True, blank=True, help_text=_("成交公告等须公示一定期限的公告：公示期最后一个工作日")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # withdrawal (撤回): the notice leaves the public lists; its page says when and why
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdraw_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        ordering = ["-publish_at", "-pk"]
        permissions = [("publish_notice", _("可以发布澄清公告和答疑公告"))]
        indexes = [
            models.Index(fields=["published_at"], name="notice_published"),
            models.Index(fields=["publish_at"], name="notice_due", condition=Q(published_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""), name="notice_withdrawal_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.title}".strip()

    def get_absolute_url(self) -> str:
        return reverse("listings:notice_detail", args=[self.number]) if self.number else ""

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Question(models.Model):
    """A member's question in the roadshow (网上路演) Q&A; public once moderated."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已公开")
        HIDDEN = "hidden", _("已屏蔽")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="questions")
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提问人"), on_delete=models.PROTECT)
    body = models.TextField(_("问题"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    asked_at = models.DateTimeField(_("提问时间"))
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    notice = models.ForeignKey(
        Notice, verbose_name=_("答疑公告"), null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )

    class Meta:
        verbose_name = _("路演提问")
        verbose_name_plural = _("路演提问")
        ordering = ["-asked_at"]
        permissions = [
            ("moderate_question", _("可以审核路演问答")),
            ("answer_question", _("可以以交易中心名义回答提问")),
        ]
        indexes = [models.Index(fields=["project", "status"], name="question_project_status")]

    def __str__(self) -> str:
        return self.body[:30]


class Answer(models.Model):
    """The answer to a question, by the seller or exchange staff."""

    question = models.OneToOneField(Question, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="answer")
    body = models.TextField(_("回答"), max_length=2000)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回答人"), on_delete=models.PROTECT)
    answered_at = models.DateTimeField(_("回答时间"))
    by_exchange = models.BooleanField(_("交易中心答复"), default=False)

    class Meta:
        verbose_name = _("路演回答")
        verbose_name_plural = _("路演回答")

    def __str__(self) -> str:
        return self.body[:30]


class Follow(models.Model):
    """A member follows (关注) a project."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.CASCADE)
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(_("关注时间"))

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="follow_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.project}"


class CodeCounter(models.Model):
    """Last number used per code prefix and year (GQ2026 → 17); locked when a code is issued."""

    prefix = models.CharField(max_length=10, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"
