"""The ledger's accounts: kinds, the debit/credit convention, insert-only records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from exchange.core.fields import MoneyField

ZERO = Decimal("0.00")


class InsertOnlyError(Exception):
    """Raised when code tries to change or delete a ledger record (a correction is a reversing posting)."""


class InsertOnlyQuerySet(models.QuerySet[Any]):
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
    balance = MoneyField(_("余额"), default=ZERO)
    frozen = MoneyField(_("冻结金额"), default=ZERO)
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
