"""Back office of settlement. Money records are read-only here (they change only through
the services); fee schedules and bank statement layouts are maintained by finance."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import TabularInline

from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.settlement.models import (
    Account,
    BankProfile,
    CreditEvent,
    DepositInstruction,
    Entry,
    FeeBand,
    FeeFixedItem,
    FeeSchedule,
    Instalment,
    PaymentBatch,
    PaymentItem,
    Posting,
    PricePlan,
    StatementImport,
    StatementLine,
)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ["account", "amount"]
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["name", "kind", "owner", "project_code", "balance", "frozen"]
    list_filter = ["kind"]
    search_fields = ["name", "project_code", "owner__name", "owner__member_no"]
    list_select_related = ["owner"]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["id", "created_at", "reason", "memo", "reference", "created_by"]
    list_filter = ["reason"]
    search_fields = ["memo", "reference", "key"]
    list_select_related = ["created_by"]
    inlines = [EntryInline]


@admin.register(DepositInstruction)
class DepositInstructionAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project_code", "project_title", "member", "amount", "virtual_account", "due_at", "status"]
    list_filter = ["status"]
    search_fields = ["project_code", "project_title", "virtual_account", "member__name", "member__member_no"]
    list_select_related = ["member"]


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = [
        "file_name",
        "profile",
        "imported_at",
        "imported_by",
        "new_count",
        "duplicate_count",
        "matched_count",
        "exception_count",
    ]
    list_select_related = ["profile", "imported_by"]
    list_filter = ["profile"]
    search_fields = ["file_name", "file_sha256"]


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["booked_at", "payer_name", "amount", "virtual_account", "status", "problem", "resolved_by"]
    list_filter = ["status", "problem"]
    search_fields = ["payer_name", "payer_account", "virtual_account", "remark", "bank_txn_id"]
    list_select_related = ["resolved_by"]


class PaymentItemInline(ReadOnlyInline):
    model = PaymentItem
    fields = ["reference", "kind", "payee_name", "payee_account", "amount", "status"]
    readonly_fields = fields


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["code", "status", "item_count", "total", "prepared_by", "approved_by", "prepared_at"]
    list_filter = ["status"]
    search_fields = ["code", "payments__reference", "payments__payee_name"]
    list_select_related = ["prepared_by", "approved_by"]
    inlines = [PaymentItemInline]


@admin.register(PaymentItem)
class PaymentItemAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["reference", "kind", "payee_name", "amount", "status", "due_on", "paid_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "payee_name", "payee_account", "project_code"]


class FeeBandInline(TabularInline):
    model = FeeBand
    extra = 1


class FeeFixedItemInline(TabularInline):
    model = FeeFixedItem
    extra = 0


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ExchangeModelAdmin):
    list_display = ["name", "category", "method", "side", "effective_from", "minimum", "maximum"]
    list_filter = ["method", "side", "category"]
    search_fields = ["name", "category", "notes"]
    inlines = [FeeBandInline, FeeFixedItemInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # versions are history: add a newer one instead


@admin.register(BankProfile)
class BankProfileAdmin(ExchangeModelAdmin):
    list_display = ["code", "name", "date_format", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # imports refer to it; deactivate instead


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["occurred_at", "member", "kind", "project_code", "amount", "reason"]
    list_filter = ["kind"]
    search_fields = ["member__name", "member__member_no", "project_code", "reason"]
    list_select_related = ["member"]


class InstalmentInline(ReadOnlyInline):
    model = Instalment
    fields = ["seq", "due_on", "principal", "interest", "paid", "overdue_since"]
    readonly_fields = fields


@admin.register(PricePlan)
class PricePlanAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project_code", "buyer", "seller", "price", "mode", "status", "release_due_on"]
    list_filter = ["mode", "status"]
    search_fields = ["project_code", "project_title", "buyer__name", "seller__name"]
    list_select_related = ["buyer", "seller"]
    inlines = [InstalmentInline]
