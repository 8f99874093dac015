"""Back office of trading: read-only lists (applications, terms, outcomes) with export and
the audit history. Decisions are made on the staff pages, which call the services, so the
rules (published conditions only, two reviewers, …) cannot be bypassed here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin, text_list
from exchange.trading.conf import MATERIAL_LABELS
from exchange.trading.models import (
    Application,
    ConsortiumMember,
    Material,
    Outcome,
    PriorityHolder,
    Review,
    TradingTerms,
)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MaterialInline(ReadOnlyInline):
    model = Material
    fields = ["kind", "original_name", "size", "uploaded_at"]
    readonly_fields = fields


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["step", "actor", "decision", "reasons_display", "note", "decided_at"]
    readonly_fields = fields

    @admin.display(description=_("理由"))
    def reasons_display(self, obj: Review) -> str:
        return text_list(obj.reasons)


class ConsortiumInline(ReadOnlyInline):
    model = ConsortiumMember
    fields = ["name", "id_number", "share", "is_lead"]
    readonly_fields = fields


class HolderInline(ReadOnlyInline):
    model = PriorityHolder
    fields = ["member", "rank"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project", "round", "applicant", "status", "bid_floor", "bidder_no", "submitted_at"]
    list_filter = ["status", "is_consortium", "project__category"]
    search_fields = ["project__code", "project__title", "applicant__name", "applicant__member_no", "bidder_no"]
    list_select_related = ["project", "applicant"]
    inlines = [MaterialInline, ConsortiumInline, ReviewInline]
    exclude = ["reject_reasons"]
    readonly_fields = ["reject_reasons_display"]
    export_display = {"reject_reasons": "reject_reasons_display"}

    @admin.display(description=_("不予确认的理由"))
    def reject_reasons_display(self, obj: Application) -> str:
        return text_list(obj.reject_reasons)


@admin.register(TradingTerms)
class TradingTermsAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = [
        "project",
        "on_no_buyer",
        "joint_review",
        "seller_opinion_required",
        "allow_consortium",
        "increment",
    ]
    list_filter = ["on_no_buyer", "joint_review", "seller_opinion_required", "allow_consortium"]
    search_fields = ["project__code", "project__title"]
    list_select_related = ["project"]
    inlines = [HolderInline]
    exclude = ["materials"]
    readonly_fields = ["materials_display"]
    export_display = {"materials": "materials_display"}

    @admin.display(description=_("须提交的材料"))
    def materials_display(self, obj: TradingTerms) -> str:
        return text_list(obj.materials, MATERIAL_LABELS)


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project", "round", "cycle", "decision", "bidders", "auction_id", "result", "price", "decided_at"]
    list_filter = ["decision", "result"]
    search_fields = ["project__code", "project__title"]
    list_select_related = ["project"]
