"""The buyer side of a trade: per-project trading terms, buyer applications (受让申请),
their materials, reviews and consortium members, and the outcome of each listing round.

The lifecycle lives in `services` (a TRANSITIONS map and one guarded `_transition`);
the invariants that must hold whatever code writes are database constraints here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads
from exchange.core.fields import MoneyField
from exchange.trading.conf import MATERIAL_LABELS


class NoBuyer(models.TextChoices):
    EXTEND = "extend", _("延长挂牌（延牌）")
    RELIST = "relist", _("交由经办人重新挂牌")
    TERMINATE = "terminate", _("终结挂牌")


class TradingTerms(models.Model):
    """How one project trades (交易规则): who may apply, what they file, how the
    qualification is reviewed, what happens without buyers, and the auction's numbers.
    Created on demand with the defaults of `trading.conf`; staff edit them."""

    project = models.OneToOneField(
        "listings.Project", verbose_name=_("项目"), on_delete=models.CASCADE, related_name="trading_terms"
    )
    allow_consortium = models.BooleanField(_("接受联合受让（联合体）"), default=False)
    require_bid_floor = models.BooleanField(_("须填写意向报价（不低于转让底价）"), default=True)
    seller_opinion_required = models.BooleanField(_("资格确认须征求转让方意见"), default=False)
    joint_review = models.BooleanField(_("双人审核（两名经办人）"), default=False)
    on_no_buyer = models.CharField(
        _("未征集到竞买人时"), max_length=10, choices=NoBuyer.choices, default=NoBuyer.EXTEND
    )
    increment = MoneyField(_("加价幅度（元）"))
    countdown_seconds = models.PositiveIntegerField(_("限时报价倒计时（秒）"), default=180)
    free_period_seconds = models.PositiveIntegerField(_("自由报价期/竞价时长（秒）"), default=3600)
    window_seconds = models.PositiveIntegerField(_("延时触发窗口 W（秒）"), default=120)
    extension_seconds = models.PositiveIntegerField(_("延时时长 E（秒）"), default=300)
    materials = models.JSONField(_("须提交的材料"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("交易规则")
        verbose_name_plural = _("交易规则")
        constraints = [models.CheckConstraint(condition=Q(increment__gt=0), name="trading_terms_increment_positive")]

    def __str__(self) -> str:
        return str(self.project)


class PriorityHolder(models.Model):
    """A pre-emption holder (优先购买权人) of a project: may match the highest bid; higher rank wins."""

    terms = models.ForeignKey(
        TradingTerms, verbose_name=_("交易规则"), on_delete=models.CASCADE, related_name="holders"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT)
    rank = models.PositiveSmallIntegerField(_("顺位"), default=1, help_text=_("数字越大顺位越高"))

    class Meta:
        verbose_name = _("优先购买权人")
        verbose_name_plural = _("优先购买权人")
        constraints = [
            models.UniqueConstraint(fields=["terms", "member"], name="trading_holder_once"),
            models.CheckConstraint(condition=Q(rank__gt=0), name="trading_holder_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.member} #{self.rank}"


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待资格审核")
    SECOND_REVIEW = "second_review", _("待复核")
    QUALIFIED = "qualified", _("资格已确认，待交保证金")
    REJECTED = "rejected", _("资格未通过")
    DEPOSIT_CONFIRMED = "deposit_confirmed", _("竞买人（保证金已到账）")
    LAPSED = "lapsed", _("逾期未交保证金")
    WITHDRAWN = "withdrawn", _("已撤回")
    WINNER = "winner", _("受让方（竞得）")
    LOSER = "loser", _("未竞得")
    FORFEITED = "forfeited", _("未应价，保证金已没收")
    CLOSED = "closed", _("已关闭")


class CommitmentMethod(models.TextChoices):
    ONLINE = "online", _("在线确认")
    UPLOAD = "upload", _("上传签署的承诺函")


# One of these per member, project and round (a DB constraint): a second application is refused.
ACTIVE_STATUSES = (Status.SUBMITTED, Status.SECOND_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED, Status.WINNER)
IN_REVIEW = (Status.SUBMITTED, Status.SECOND_REVIEW)


class Application(models.Model):
    """A member's application to buy a project (受让申请/意向登记) in one listing round."""

    project = models.ForeignKey(
        "listings.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="applications"
    )
    round = models.PositiveSmallIntegerField(_("挂牌轮次"), default=1)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("意向受让方"), on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    bid_floor = MoneyField(_("意向报价（元）"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_consortium = models.BooleanField(_("联合受让"), default=False)
    commitment_method = models.CharField(
        _("承诺方式"), max_length=10, choices=CommitmentMethod.choices, default=CommitmentMethod.ONLINE
    )
    commitment_version = models.CharField(_("承诺函版本"), max_length=20)
    commitment_accepted_at = models.DateTimeField(_("承诺时间"))
    # online: the exact text the applicant accepted and its SHA-256 (hex, of the UTF-8 text)
    commitment_text = models.TextField(_("承诺函文本"), blank=True)
    commitment_sha256 = models.CharField(_("承诺函文本摘要（SHA-256）"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    review_due_at = models.DateTimeField(_("审核时限"), null=True, blank=True)
    first_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("初审人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    seller_opinion = models.CharField(
        _("转让方意见"),
        max_length=10,
        blank=True,
        choices=[("agree", _("同意")), ("disagree", _("有异议"))],
    )
    seller_note = models.CharField(_("转让方意见说明"), max_length=300, blank=True)
    seller_opinion_at = models.DateTimeField(_("转让方意见时间"), null=True, blank=True)
    reject_reasons = models.JSONField(_("不予确认的理由"), default=list, blank=True)
    decision_note = models.CharField(_("审核说明"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("资格审核时间"), null=True, blank=True)
    qualified_at = models.DateTimeField(_("资格确认时间"), null=True, blank=True)
    deposit_instruction_id = models.PositiveBigIntegerField(_("保证金记录ID"), null=True, blank=True)
    deposit_due_at = models.DateTimeField(_("保证金截止时间"), null=True, blank=True)
    deposit_confirmed_at = models.DateTimeField(_("保证金到账时间"), null=True, blank=True)
    auction_id = models.PositiveBigIntegerField(_("竞价会ID"), null=True, blank=True)
    bidder_no = models.CharField(_("竞买号"), max_length=12, blank=True)
    rank = models.PositiveSmallIntegerField(_("优先购买权顺位"), default=0)
    closed_reason = models.CharField(_("关闭/撤回原因"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.SUBMITTED: frozenset(
            {Status.SECOND_REVIEW, Status.QUALIFIED, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED}
        ),
        Status.SECOND_REVIEW: frozenset({Status.QUALIFIED, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED}),
        Status.QUALIFIED: frozenset({Status.DEPOSIT_CONFIRMED, Status.LAPSED, Status.WITHDRAWN, Status.CLOSED}),
        Status.LAPSED: frozenset({Status.DEPOSIT_CONFIRMED}),  # paid late, matched by finance by hand
        Status.DEPOSIT_CONFIRMED: frozenset(
            {Status.WINNER, Status.LOSER, Status.WITHDRAWN, Status.FORFEITED, Status.CLOSED}
        ),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.WINNER: frozenset(),
        Status.LOSER: frozenset(),
        Status.FORFEITED: frozenset(),
        Status.CLOSED: frozenset(),
    }

    class Meta:
        verbose_name = _("受让申请")
        verbose_name_plural = _("受让申请")
        ordering = ["-submitted_at", "-pk"]
        permissions = [
            ("review_application", _("可以审核受让资格")),
            ("manage_outcome", _("可以处理披露期满后的交易组织")),
        ]
        indexes = [
            models.Index(fields=["project", "round", "status"], name="trading_app_project"),
            models.Index(fields=["status", "submitted_at"], name="trading_app_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "round", "applicant"],
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="trading_one_active_application",
            ),
            models.CheckConstraint(
                condition=Q(bid_floor__isnull=True) | Q(bid_floor__gt=0), name="trading_bid_floor_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reasons=[]), name="trading_rejection_has_reasons"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.applicant}"

    def get_absolute_url(self) -> str:
        return reverse("trading:application", args=[self.pk])


def material_kinds() -> list[tuple[str, Any]]:
    return list(MATERIAL_LABELS.items())


class Material(models.Model):
    """One file of an application (营业执照、承诺函、资信证明…), checked by content."""

    application = models.ForeignKey(
        Application, verbose_name=_("受让申请"), on_delete=models.CASCADE, related_name="materials"
    )
    kind = models.CharField(_("材料"), max_length=30, choices=material_kinds)
    file = models.FileField(_("文件"), upload_to=uploads.ServerName("trading"))
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def label(self) -> str:
        return str(MATERIAL_LABELS.get(self.kind, self.kind))


class MaterialDraft(models.Model):
    """A file a member uploaded for an application not filed yet (kept across a failed form,
    uploaded as it is chosen). Its member's only: nobody else may see it or attach it. Filing
    the application turns it into a `Material` (the same stored file); unused ones are removed
    after TRADING_DRAFT_MAX_AGE_HOURS (`services.drafts_clean`)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.CASCADE, related_name="material_drafts"
    )
    project = models.ForeignKey("listings.Project", verbose_name=_("项目"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("材料"), max_length=30)
    file = models.FileField(_("文件"), upload_to=uploads.ServerName("trading"))
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("申请材料草稿")
        verbose_name_plural = _("申请材料草稿")
        ordering = ["uploaded_at", "pk"]
        indexes = [
            models.Index(fields=["member", "project"], name="trading_draft_owner"),
            models.Index(fields=["uploaded_at"], name="trading_draft_age"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def label(self) -> str:
        return str(MATERIAL_LABELS.get(self.kind, self.kind))


class ConsortiumMember(models.Model):
    """A member of a consortium (联合体) applying together; shares sum to 100%."""

    application = models.ForeignKey(
        Application, verbose_name=_("受让申请"), on_delete=models.CASCADE, related_name="consortium"
    )
    name = models.CharField(_("名称"), max_length=100)
    id_number = models.CharField(_("证件号码"), max_length=30)
    share = models.DecimalField(_("受让比例（%）"), max_digits=5, decimal_places=2)
    is_lead = models.BooleanField(_("牵头方"), default=False)

    class Meta:
        verbose_name = _("联合体成员")
        verbose_name_plural = _("联合体成员")
        ordering = ["application", "-is_lead", "pk"]
        constraints = [models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=100), name="trading_share_range")]

    def __str__(self) -> str:
        return f"{self.name} {self.share}%"


class Review(models.Model):
    """One decision on an application (append-only): staff review steps and the seller's opinion."""

    class Step(models.TextChoices):
        FIRST = "first", _("资格审核")
        SECOND = "second", _("复核")
        SELLER = "seller", _("转让方意见")

    application = models.ForeignKey(
        Application, verbose_name=_("受让申请"), on_delete=models.CASCADE, related_name="reviews"
    )
    step = models.CharField(_("环节"), max_length=10, choices=Step.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办理人"), on_delete=models.PROTECT)
    decision = models.CharField(
        _("意见"),
        max_length=10,
        choices=[
            ("qualify", _("资格确认")),
            ("reject", _("不予确认")),
            ("agree", _("同意")),
            ("disagree", _("有异议")),
        ],
    )
    reasons = models.JSONField(_("理由"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("资格审核记录")
        verbose_name_plural = _("资格审核记录")
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_step_display()} · {self.get_decision_display()}"


class Outcome(models.Model):
    """What became of one listing round after disclosure (交易组织结果), decided once."""

    class Decision(models.TextChoices):
        EXTENDED = "extended", _("延牌")
        RELIST_PENDING = "relist_pending", _("待重新挂牌")
        TERMINATED = "terminated", _("终结")
        AGREEMENT = "agreement", _("协议成交")
        AUCTION = "auction", _("网络竞价")
        SOLE_AUCTION = "sole_auction", _("单一竞买人竞价")

    class Result(models.TextChoices):
        PENDING = "", _("进行中")
        SOLD = "sold", _("成交")
        FAILED = "failed", _("流拍")

    project = models.ForeignKey("listings.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("挂牌轮次"))
    cycle = models.PositiveSmallIntegerField(_("延牌周期"), default=0, help_text=_("决定时已延牌的周期数"))
    decision = models.CharField(_("处理方式"), max_length=20, choices=Decision.choices)
    bidders = models.PositiveSmallIntegerField(_("竞买人数"), default=0)
    auction_id = models.PositiveBigIntegerField(_("竞价会ID"), null=True, blank=True, unique=True)
    auction_starts_at = models.DateTimeField(_("竞价开始时间"), null=True, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, default=Result.PENDING, blank=True)
    price = MoneyField(_("成交价"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"))
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交易组织结果")
        verbose_name_plural = _("交易组织结果")
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "round", "cycle"], name="trading_one_outcome_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_decision_display()}"
