"""Back office of deals: read-only lists (deals change only through the services and the
staff deal pages, so the rules cannot be bypassed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin, pairs_table
from exchange.deals.models import Certificate, Contract, Deal


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project_code", "project_title", "buyer", "seller", "price", "status", "sign_deadline", "opened_at"]
    list_filter = ["status", "kind"]
    search_fields = ["project_code", "project_title", "buyer__name", "seller__name", "bidder_no"]
    list_select_related = ["buyer", "seller"]
    # result_notice_facts: what the published result notice said (a public record, shown on the
    # notice itself), never edited here
    exclude = ["buyer_fee_working", "seller_fee_working", "result_notice_facts"]
    readonly_fields = ["buyer_fee_display", "seller_fee_display"]
    export_exclude = (
        "buyer_fee_working",
        "seller_fee_working",
        "result_notice_facts",
    )  # the fees themselves are exported

    @admin.display(description=_("受让方服务费计算过程"))
    def buyer_fee_display(self, obj: Deal) -> str:
        return _fee_working(obj.buyer_fee_working)

    @admin.display(description=_("转让方服务费计算过程"))
    def seller_fee_display(self, obj: Deal) -> str:
        return _fee_working(obj.seller_fee_working)

    def view_on_site(self, obj: Any) -> str:
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
    exclude = ["check_code", "facts"]
    readonly_fields = ["facts_display"]
    export_exclude = ("check_code",)
    export_display = {"facts": "facts_display"}

    @admin.display(description=_("凭证内容"))
    def facts_display(self, obj: Certificate) -> str:
        facts = obj.facts or {}
        return pairs_table((label, facts[key]) for key, label in FACT_LABELS if facts.get(key) not in (None, ""))


# The facts of a certificate, as the verification page names them.
FACT_LABELS = [
    ("project_code", _("项目编号")),
    ("project_title", _("项目名称")),
    ("category", _("交易品种")),
    ("seller", _("转让方")),
    ("buyer", _("受让方")),
    ("kind", _("成交方式")),
    ("price_text", _("成交价款")),
    ("price_upper", _("成交价款（大写）")),
    ("deal_date", _("成交日期")),
    ("contract_number", _("合同编号")),
    ("effective_on", _("合同生效日期")),
    ("paid_on", _("价款结清日期")),
    ("exchange", _("出具机构")),
]


def _fee_working(working: dict[str, Any]) -> str:
    """The fee's band-by-band working, as members see it on their deal page."""
    return render_to_string("deals/_fee_working.html", {"w": working}) if working else "—"
