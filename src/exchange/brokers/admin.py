"""Back office: broker-status requests (review: approve / reject / revoke) and mandates (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action, display

from exchange.brokers import services
from exchange.brokers.forms import ReasonForm
from exchange.brokers.models import BrokerApplication, Mandate, MandateProject
from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.core.errors import DomainError

_STATUS_LABELS = {"pending": "warning", "approved": "success", "accepted": "success", "rejected": "danger",
                  "revoked": "danger", "declined": "danger"}  # fmt: skip


@admin.register(BrokerApplication)
class BrokerApplicationAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    """Review queue: pending requests oldest first; 审核 opens the decision page."""

    list_display = ["firm_name", "uscc", "user", "status_badge", "submitted_at", "reviewed_by", "reviewed_at",
                    "review_link"]  # fmt: skip
    list_filter = ["status", ("submitted_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["firm_name", "uscc", "user__member_no", "user__phone"]
    list_select_related = ["user", "reviewed_by"]
    ordering = ["status", "submitted_at"]
    actions_detail = ["review"]
    readonly_fields = ["user", "firm_name", "uscc", "documents", "scope_note", "status", "reason", "submitted_at",
                       "reviewed_by", "reviewed_at"]  # fmt: skip
    exclude = ["licence", "business_document"]

    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(services.REVIEW_PERM))

    @display(description=_("状态"), label=_STATUS_LABELS)
    def status_badge(self, obj: BrokerApplication) -> Any:
        return obj.status, obj.get_status_display()

    @display(description=_("操作"))
    def review_link(self, obj: BrokerApplication) -> Any:
        if obj.status not in (BrokerApplication.Status.PENDING, BrokerApplication.Status.APPROVED):
            return "—"
        url = reverse("admin:brokers_brokerapplication_review", args=[obj.pk])
        label = _("审核") if obj.status == BrokerApplication.Status.PENDING else _("撤销资格")
        return format_html('<a class="font-semibold text-primary-600" href="{}">{}</a>', url, label)

    @display(description=_("机构文件"))
    def documents(self, obj: BrokerApplication) -> Any:
        return _documents(obj)

    @action(description=_("审核"), url_path="review", permissions=["review"])
    def review(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The decision page (URL name admin:brokers_brokerapplication_review)."""
        if not object_id.isdigit():
            raise Http404
        return self.review_view(request, int(object_id))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Approve, reject (with reason) or revoke (with reason). The services enforce the rules."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        application = get_object_or_404(BrokerApplication.objects.select_related("user"), pk=pk)
        form = ReasonForm(request.POST or None)
        if request.method == "POST":
            decision = request.POST.get("decision", "")
            reason = request.POST.get("reason", "")
            try:
                if decision == "approve":
                    services.broker_approve(application_id=pk, actor=request.user)  # type: ignore[arg-type]
                elif decision == "reject":
                    services.broker_reject(application_id=pk, actor=request.user, reason=reason)  # type: ignore[arg-type]
                elif decision == "revoke":
                    services.broker_revoke(application_id=pk, actor=request.user, reason=reason)  # type: ignore[arg-type]
                else:
                    raise Http404
                self.message_user(request, _("已处理：%(n)s") % {"n": application.firm_name}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:brokers_brokerapplication_changelist"))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": _("审核经纪会员资格：%(name)s") % {"name": application.firm_name},
            "opts": self.model._meta,
            "application": application,
            "documents": _documents(application),
            "form": form,
        }
        return TemplateResponse(request, "admin/brokers/review.html", context)


def _documents(obj: BrokerApplication) -> Any:
    return format_html(
        '<a class="text-primary-600" href="{}" target="_blank">{}</a> · <a class="text-primary-600" href="{}" '
        'target="_blank">{}</a>',
        reverse("brokers:document", args=[obj.pk, "licence"]),
        _("营业执照"),
        reverse("brokers:document", args=[obj.pk, "business"]),
        _("经纪业务资质文件"),
    )


class MandateProjectInline(admin.TabularInline):
    model = MandateProject
    extra = 0
    can_delete = False
    readonly_fields = ["project", "filed_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    """Mandates are given and revoked by the parties on the member pages; staff read them here."""

    list_display = ["seller", "broker", "subject", "category", "max_projects", "may_sign", "starts_on", "ends_on",
                    "status_badge", "requested_at"]  # fmt: skip
    list_filter = ["status", "may_sign", "category", "ends_on"]
    search_fields = ["subject", "seller__name", "seller__phone", "broker__name", "broker__phone"]
    list_select_related = ["seller", "broker"]
    inlines = [MandateProjectInline]

    @display(description=_("状态"), label=_STATUS_LABELS)
    def status_badge(self, obj: Mandate) -> Any:
        return obj.status, obj.get_status_display()


@admin.register(MandateProject)
class MandateProjectAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["mandate", "project", "filed_at"]
    list_filter = ["mandate__status", ("filed_at", RangeDateTimeFilter)]
    list_select_related = ["mandate", "project"]
    search_fields = ["project__code", "project__title"]
