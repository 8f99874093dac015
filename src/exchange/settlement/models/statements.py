"""Bank statements: the layouts of the banks' files, imports, their lines and pending uploads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads
from exchange.core.fields import MoneyField
from exchange.settlement.models.deposits import DepositInstruction


class BankProfile(models.Model):
    """How one bank's statement file is laid out: which column holds what (see docs/settlement.md)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("银行"), max_length=100)
    columns = models.JSONField(
        _("列映射"), help_text=_('字段 → 表头名称，如 {"amount": "贷方发生额", "virtual_account": "收款子账号"}')
    )
    date_format = models.CharField(_("日期格式"), max_length=40, default="%Y-%m-%d")
    time_format = models.CharField(_("时间格式"), max_length=40, default="%H:%M:%S")
    header_contains = models.CharField(
        _("表头行标识"), max_length=40, blank=True, help_text=_("表头所在行包含的文字；留空表示第一行")
    )
    synonyms = models.JSONField(
        _("同义列名"),
        default=dict,
        blank=True,
        help_text=_("字段 → 该银行文件中也可能出现的其他表头名称（常见同义列名已内置）"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("银行对账单格式")
        verbose_name_plural = _("银行对账单格式")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StatementImport(models.Model):
    """One uploaded bank statement file and what importing it did."""

    profile = models.ForeignKey(BankProfile, verbose_name=_("对账单格式"), on_delete=models.PROTECT)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    line_count = models.PositiveIntegerField(_("行数"), default=0)
    new_count = models.PositiveIntegerField(_("新增行"), default=0)
    duplicate_count = models.PositiveIntegerField(_("重复行"), default=0)
    matched_count = models.PositiveIntegerField(_("自动匹配"), default=0)
    exception_count = models.PositiveIntegerField(_("异常行"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, on_delete=models.PROTECT
    )
    imported_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("对账单导入")
        verbose_name_plural = _("对账单导入")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class StatementLine(models.Model):
    """One incoming bank transaction. Its fingerprint is unique: a line imported twice
    (same file, overlapping statements) is recognised and credits nothing the second time."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("已自动匹配")
        EXCEPTION = "exception", _("待处理")
        RESOLVED = "resolved", _("已人工匹配")
        RETURNED = "returned", _("已退回")
        IGNORED = "ignored", _("非入账款项")

    class Problem(models.TextChoices):
        NONE = "", _("无")
        UNKNOWN = "unknown", _("无法识别的款项")
        PARTIAL = "partial", _("金额不足")
        EXCESS = "excess", _("金额超额")
        LATE = "late", _("逾期到账")
        NOT_PENDING = "not_pending", _("重复或已处理的交款")
        PRICE_EXCESS = "price_excess", _("超过应付价款余额")
        NO_PLAN = "no_plan", _("无待付价款（付款计划未开立或已终止）")

    statement = models.ForeignKey(
        StatementImport, verbose_name=_("对账单"), on_delete=models.PROTECT, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("行号"))
    fingerprint = models.CharField(_("指纹"), max_length=64, unique=True)
    bank_txn_id = models.CharField(_("银行流水号"), max_length=60, blank=True)
    booked_at = models.DateTimeField(_("到账时间"), db_index=True)
    amount = MoneyField(_("金额"))
    payer_name = models.CharField(_("付款户名"), max_length=200, blank=True)
    payer_account = models.CharField(_("付款账号"), max_length=40, blank=True)
    payer_bank = models.CharField(_("付款行"), max_length=120, blank=True)
    virtual_account = models.CharField(_("收款子账号"), max_length=24, blank=True, db_index=True)
    remark = models.CharField(_("摘要/附言"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    problem = models.CharField(_("异常类型"), max_length=12, choices=Problem.choices, blank=True)
    instruction = models.ForeignKey(
        DepositInstruction,
        verbose_name=_("对应保证金"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    plan = models.ForeignKey(
        "PricePlan",
        verbose_name=_("对应价款计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        help_text=_("汇入受让方虚拟子账号的价款"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("银行流水")
        verbose_name_plural = _("银行流水")
        ordering = ["-booked_at", "-pk"]
        permissions = [("resolve_statementline", _("处理异常款项"))]

    def __str__(self) -> str:
        return f"{self.booked_at:%Y-%m-%d} {self.amount} {self.payer_name}"


class StatementUpload(models.Model):
    """A statement file uploaded for import, kept (under the upload policy) between the
    preview and finance's confirmation; nothing is imported until it is confirmed. After
    the import it stays as the original of that import; a discarded or expired upload's
    file is deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        IMPORTED = "imported", _("已导入")
        DISCARDED = "discarded", _("已放弃")
        EXPIRED = "expired", _("已过期")

    profile = models.ForeignKey(BankProfile, verbose_name=_("对账单格式"), on_delete=models.PROTECT)
    file = models.FileField(_("文件"), upload_to=uploads.ServerName("statements"), blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小（字节）"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    line_count = models.PositiveIntegerField(_("明细行数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    statement = models.OneToOneField(
        StatementImport,
        verbose_name=_("导入记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="upload",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))
    closed_at = models.DateTimeField(_("确认/放弃时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待导入对账单")
        verbose_name_plural = _("待导入对账单")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
