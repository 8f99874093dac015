"""Back office of settlement. Money records are read-only here (they change only through
the services); fee schedules and bank statement layouts are maintained by finance."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.widgets import UnfoldAdminTextInputWidget

from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.settlement import references, statements
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
    StatementUpload,
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


class PostingReasonFilter(admin.SimpleListFilter):
    title = _("事由")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(references.REASONS.items())

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["id", "created_at", "reason_display", "memo", "reference_display", "created_by"]
    list_filter = [PostingReasonFilter]
    search_fields = ["memo", "reference", "key"]
    list_select_related = ["created_by"]
    inlines = [EntryInline]
    # the idempotency key is the machine's business: searchable, not shown
    fields = ["created_at", "reason_display", "memo", "reference_display", "project_id", "reverses", "created_by"]
    readonly_fields = ["reason_display", "reference_display"]
    export_exclude = ("key",)
    export_display = {"reference": "reference_display"}

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # one query per kind for the page's references; shared by concurrent requests, which is
        # harmless: a reference always reads the same, and one missing here is looked up alone
        changelist = super().get_changelist_instance(request)
        self._refs = references.describe(p.reference for p in changelist.result_list)
        return changelist

    @admin.display(description=_("事由"), ordering="reason")
    def reason_display(self, obj: Posting) -> str:
        return references.reason_label(obj.reason)

    @admin.display(description=_("业务参考"), ordering="reference")
    def reference_display(self, obj: Posting) -> str:
        refs = getattr(self, "_refs", {})
        ref = refs.get(obj.reference) or references.describe([obj.reference]).get(obj.reference)
        if ref is None:
            return "—"
        return format_html('<a href="{}">{}</a>', ref.url, ref.label) if ref.url else ref.label


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

    def view_on_site(self, obj: StatementImport) -> str:
        return reverse("settlement:statement_detail", args=[obj.pk])  # its lines, on the finance pages


@admin.register(StatementUpload)
class StatementUploadAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["original_name", "profile", "status", "line_count", "uploaded_by", "uploaded_at", "statement"]
    list_select_related = ["profile", "uploaded_by", "statement"]
    list_filter = ["status", "profile"]
    search_fields = ["original_name", "sha256"]
    exclude = ["file"]  # the original is downloaded from the import's page (finance), not here


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


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[,，、;；\n]", text or "") if n.strip()]


def _profile_form_fields() -> dict[str, forms.Field]:
    """Per statement field: its heading in this bank's file and the other headings it may have."""
    out: dict[str, forms.Field] = {}
    for name in statements.FIELDS:
        label = statements.FIELD_LABELS[name]
        out[f"col_{name}"] = forms.CharField(
            label=format_lazy("{}：{}", label, _("列名")),
            max_length=60,
            required=False,
            widget=UnfoldAdminTextInputWidget,
            help_text=statements.FIELD_HELP[name],
        )
        out[f"syn_{name}"] = forms.CharField(
            label=format_lazy("{}：{}", label, _("其他可能的列名")),
            max_length=300,
            required=False,
            widget=UnfoldAdminTextInputWidget,
            help_text=format_lazy(
                "{}{}", _("用顿号或逗号分隔；已内置："), "、".join(statements.COMMON_SYNONYMS.get(name, ()))
            ),
        )
    return out


class _BankProfileFormBase(forms.ModelForm):
    """The layout as one heading (and its synonyms) per field, instead of raw JSON."""

    class Meta:
        model = BankProfile
        fields = ["code", "name", "date_format", "time_format", "header_contains", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = dict(self.instance.columns or {})
        synonyms = dict(self.instance.synonyms or {})
        for name in statements.FIELDS:
            self.fields[f"col_{name}"].initial = columns.get(name, "")
            extra = synonyms.get(name) or []
            self.fields[f"syn_{name}"].initial = "、".join(extra if isinstance(extra, list) else [str(extra)])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in statements.REQUIRED:
            if not data.get(f"col_{name}"):
                self.add_error(f"col_{name}", _("必填字段的列名不能为空。"))
        return data

    def save(self, commit: bool = True) -> Any:
        data = self.cleaned_data
        self.instance.columns = {n: data[f"col_{n}"].strip() for n in statements.FIELDS if data.get(f"col_{n}")}
        self.instance.synonyms = {
            n: _split_names(data.get(f"syn_{n}", ""))
            for n in statements.FIELDS
            if _split_names(data.get(f"syn_{n}", ""))
        }
        return super().save(commit)


# the per-field inputs become declared fields of the form (the admin requires that)
BankProfileForm = type("BankProfileForm", (_BankProfileFormBase,), _profile_form_fields())


@admin.register(BankProfile)
class BankProfileAdmin(ExchangeModelAdmin):
    form = BankProfileForm
    list_display = ["code", "name", "date_format", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["layout_display"]
    export_exclude = ("synonyms",)
    export_display = {"columns": "layout_display"}
    _basics = ("code", "name", "date_format", "time_format", "header_contains", "is_active")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": [*self._basics, "layout_display"]})]
        columns = [f"{kind}_{name}" for name in statements.FIELDS for kind in ("col", "syn")]
        return [(None, {"fields": list(self._basics)}), (_("列名与同义列名"), {"fields": columns})]

    @admin.display(description=_("列名与同义列名"))
    def layout_display(self, obj: BankProfile) -> str:
        accepted = statements.accepted_headings(obj)
        rows = format_html_join(
            "",
            '<tr><td class="pr-4 py-1 whitespace-nowrap">{}</td><td class="pr-4 py-1 whitespace-nowrap">'
            '<strong>{}</strong></td><td class="py-1">{}</td></tr>',
            (
                (statements.FIELD_LABELS[n], (obj.columns or {}).get(n, "—"), "、".join(accepted[n][1:]))
                for n in statements.FIELDS
            ),
        )
        return format_html('<table class="w-full"><tbody>{}</tbody></table>', rows)

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
