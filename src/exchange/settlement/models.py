"""Settlement: the double-entry escrow ledger, deposits, bank statements, payouts, fees.

Sign convention of the ledger: an `Entry.amount` is positive for a debit and negative
for a credit; the entries of one posting sum to zero. `Account.balance` is the balance on
the account's normal side (debit-normal kinds: balance = Σ amounts; credit-normal kinds:
balance = −Σ amounts), so a member's deposit reads as a positive number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exchange.core import uploads

ZERO = Decimal("0.00")


class InsertOnlyError(Exception):
    """Raised when code tries to change or delete a ledger record (a correction is a reversing posting)."""


class InsertOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise InsertOnlyError("ledger records are insert-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise InsertOnlyError("ledger records are insert-only")


class InsertOnlyModel(models.Model):
    """Rows are written once; the database triggers (migration 0002) back this guard up."""

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise InsertOnlyError("ledger records are insert-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise InsertOnlyError("ledger records are insert-only")


class AccountKind(models.TextChoices):
    BANK = "bank", _("银行结算账户")
    DEPOSIT = "deposit", _("会员保证金子账户")
    PRICE = "price", _("受让方价款")
    SELLER_PAYABLE = "seller_payable", _("应付转让方款项")
    FEE_INCOME = "fee_income", _("服务费收入")
    DISCOUNT_EXPENSE = "discount_expense", _("优惠券/折扣支出")
    FORFEIT_INCOME = "forfeit_income", _("没收保证金")
    REFUNDS_PAYABLE = "refunds_payable", _("应退款项")
    SUSPENSE = "suspense", _("待查明款项")


DEBIT_NORMAL = frozenset({AccountKind.BANK, AccountKind.DISCOUNT_EXPENSE})
MEMBER_KINDS = frozenset({AccountKind.DEPOSIT, AccountKind.PRICE, AccountKind.SELLER_PAYABLE})


class Account(models.Model):
    """A ledger account. System accounts have no owner; member accounts belong to one
    member and one project. `balance` and `frozen` are caches kept in the same
    transaction as the entries (the verifier checks them against the entries)."""

    key = models.CharField(_("账户键"), max_length=80, unique=True, editable=False)
    kind = models.CharField(_("类别"), max_length=20, choices=AccountKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("所属会员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True, db_index=True)
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True)
    balance = models.DecimalField(_("余额"), max_digits=18, decimal_places=2, default=ZERO)
    frozen = models.DecimalField(_("冻结金额"), max_digits=18, decimal_places=2, default=ZERO)
    created_at = models.DateTimeField(_("开立时间"))

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(frozen__gte=0), name="settlement_account_frozen_nonneg"),
            models.CheckConstraint(
                condition=Q(frozen=0) | Q(frozen__lte=F("balance")), name="settlement_account_frozen_le_balance"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(k.value for k in MEMBER_KINDS)) | Q(balance__gte=0),
                name="settlement_member_account_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sign(self) -> int:
        """+1 for debit-normal accounts, −1 for credit-normal ones."""
        return 1 if self.kind in DEBIT_NORMAL else -1

    @property
    def available(self) -> Decimal:
        return self.balance - self.frozen


def posting_reasons() -> list[tuple[str, Any]]:
    """What moves money, in words (资金日报, 记账凭证, exports)."""
    return [
        ("bank_in_suspense", _("来款待查明")),
        ("deposit_in", _("保证金到账")),
        ("return_in", _("来款转待退回")),
        ("deposit_refund", _("保证金退还")),
        ("deposit_forfeit", _("保证金没收")),
        ("deposit_convert", _("保证金转为价款")),
        ("price_in", _("价款到账")),
        ("price_release", _("价款划转转让方")),
        ("manual", _("手工记账")),
        ("reversal", _("冲正")),
        *((f"{kind.value}_paid", kind.label) for kind in PaymentItem.Kind),  # a paid item: its kind
    ]


class Posting(InsertOnlyModel):
    """One balanced movement of money: its entries sum to zero. Insert-only; the
    idempotency key makes a repeated request (double submission, re-import, retry) a no-op."""

    key = models.CharField(_("幂等键"), max_length=120, unique=True)
    reason = models.CharField(_("事由"), max_length=40, db_index=True, choices=posting_reasons)
    reference = models.CharField(_("业务参考"), max_length=120, db_index=True, blank=True)
    memo = models.CharField(_("摘要"), max_length=300, blank=True)
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True, db_index=True)
    reverses = models.ForeignKey(
        "self", verbose_name=_("冲正对象"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记账人"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("记账时间"), db_index=True)

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-pk"]
        permissions = [("post_manual_posting", _("手工记账"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo or self.reason}"


class Entry(InsertOnlyModel):
    """One line of a posting: a signed amount (debit +, credit −) on one account."""

    posting = models.ForeignKey(Posting, verbose_name=_("凭证"), on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="settlement_entry_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


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
    minimum = models.DecimalField(_("最低收费"), max_digits=18, decimal_places=2, default=ZERO)
    maximum = models.DecimalField(_("最高收费"), max_digits=18, decimal_places=2, null=True, blank=True)
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
    lower = models.DecimalField(_("下限（元）"), max_digits=18, decimal_places=2)
    upper = models.DecimalField(
        _("上限（元）"), max_digits=18, decimal_places=2, null=True, blank=True, help_text=_("留空表示无上限")
    )
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
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("固定收费项")
        verbose_name_plural = _("固定收费项")

    def __str__(self) -> str:
        return self.name


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
    amount = models.DecimalField(_("保证金金额"), max_digits=18, decimal_places=2)
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
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2, default=ZERO)
    reason = models.CharField(_("原因"), max_length=300)
    occurred_at = models.DateTimeField(_("发生时间"))

    class Meta:
        verbose_name = _("信用事件")
        verbose_name_plural = _("信用事件")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member_id}"


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
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
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
    total = models.DecimalField(_("合计金额"), max_digits=18, decimal_places=2, default=ZERO)
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
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
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
    price = models.DecimalField(_("成交价"), max_digits=18, decimal_places=2)
    buyer_fee = models.DecimalField(_("受让方服务费"), max_digits=18, decimal_places=2, default=ZERO)
    buyer_fee_discount = models.DecimalField(_("服务费优惠"), max_digits=18, decimal_places=2, default=ZERO)
    seller_fee = models.DecimalField(_("转让方服务费"), max_digits=18, decimal_places=2, default=ZERO)
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
    principal = models.DecimalField(_("本金"), max_digits=18, decimal_places=2)
    interest = models.DecimalField(_("利息"), max_digits=18, decimal_places=2, default=ZERO)
    paid = models.DecimalField(_("已付"), max_digits=18, decimal_places=2, default=ZERO)
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
