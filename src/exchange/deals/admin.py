"""Back office of deals: read-only lists (deals change only through the services and the
staff deal pages, so the rules cannot be bypassed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.deals.models import Certificate, Contract, Deal


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project_code", "project_title", "buyer", "seller", "price", "status", "sign_deadline", "opened_at"]
    list_filter = ["status", "kind"]
    search_fields = ["project_code", "project_title", "buyer__name", "seller__name", "bidder_no"]
    list_select_related = ["buyer", "seller"]

    def view_on_site(self, obj: Any) -> str:
        from django.urls import reverse

        return reverse("deals:staff_deal", args=[obj.pk])


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["number", "deal", "template", "created_at"]
    list_filter = ["template"]
    search_fields = ["number", "deal__project_code", "deal__project_title"]
    list_select_related = ["deal"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["number", "deal", "issued_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["number", "deal__project_code", "deal__project_title"]
    list_select_related = ["deal"]
    exclude = ["check_code"]
