"""Back office for members, staff and real-name verification review."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from exchange.accounts import services
from exchange.accounts.forms import AdminLoginForm, RejectForm
from exchange.accounts.models import ApiToken, SmsCode, User, Verification
from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.core.errors import DomainError


class VerifiedFilter(admin.SimpleListFilter):
    title = _("实名认证")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", str(_("已认证"))), ("no", str(_("未认证")))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(verified_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ExchangeModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["-date_joined"]
    list_display = [
        "member_no",
        "name",
        "phone",
        "email",
        "member_type",
        "verified_badge",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [
        "member_type",
        VerifiedFilter,
        "is_staff",
        "is_active",
        "groups",
        ("date_joined", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["member_no", "name", "phone", "email", "real_name"]
    readonly_fields = ["member_no", "real_name", "id_number", "verified_at", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("member_no", "phone", "email", "password")}),
        (_("会员信息"), {"fields": ("name", "member_type")}),
        (_("实名认证"), {"fields": ("real_name", "id_number", "verified_at")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "email", "name", "member_type", "password1", "password2")}),
    )
    filter_horizontal = ["groups"]

    @display(description=_("实名认证"), label={True: "success", False: "warning"})
    def verified_badge(self, obj: User) -> Any:
        return obj.is_verified, (_("已认证") if obj.is_verified else _("未认证"))


@admin.register(Verification)
class VerificationAdmin(ExchangeModelAdmin):
    """Review queue: pending requests oldest first; 审核 opens the decision page."""

    list_display = [
        "name",
        "member_type",
        "masked_id",
        "status_badge",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_link",
    ]
    list_filter = ["status", "member_type", ("submitted_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["name", "id_number", "user__member_no", "user__phone"]
    list_select_related = ["user", "reviewed_by"]
    ordering = ["status", "submitted_at"]
    actions_detail = ["review"]
    readonly_fields = [
        "user", "member_type", "name", "id_number", "legal_representative", "documents",
        "status", "reject_reason", "submitted_at", "reviewed_by", "reviewed_at",
    ]  # fmt: skip
    exclude = ["document_front", "document_back"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # members submit; staff only decide

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions go through the review page (services), never a raw edit

    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("accounts.review_verification"))

    @display(description=_("证件号码"))
    def masked_id(self, obj: Verification) -> str:
        return obj.masked_id_number

    @display(
        description=_("状态"),
        label={
            Verification.Status.PENDING: "warning",
            Verification.Status.APPROVED: "success",
            Verification.Status.REJECTED: "danger",
        },
    )
    def status_badge(self, obj: Verification) -> Any:
        return obj.status, obj.get_status_display()

    @display(description=_("操作"))
    def review_link(self, obj: Verification) -> Any:
        if obj.status != Verification.Status.PENDING:
            return "—"
        url = reverse("admin:accounts_verification_review", args=[obj.pk])
        return format_html('<a class="font-semibold text-primary-600" href="{}">{}</a>', url, _("审核"))

    @display(description=_("证件图片"))
    def documents(self, obj: Verification) -> Any:
        return _document_images(obj)

    @action(description=_("审核"), url_path="review", permissions=["review"])
    def review(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The decision page (a detail action: URL name admin:accounts_verification_review)."""
        if not object_id.isdigit():
            raise Http404
        return self.review_view(request, int(object_id))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Approve or reject one request. Calls the services; they enforce the rules."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        verification = get_object_or_404(Verification.objects.select_related("user"), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST":
            try:
                if request.POST.get("decision") == "approve":
                    services.verification_approve(verification_id=pk, reviewer=request.user)  # type: ignore[arg-type]
                    self.message_user(
                        request, _("已通过 %(name)s 的实名认证。") % {"name": verification.name}, messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:accounts_verification_changelist"))
                if request.POST.get("decision") == "reject" and form.is_valid():
                    services.verification_reject(
                        verification_id=pk,
                        reviewer=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                    self.message_user(
                        request, _("已驳回 %(name)s 的实名认证。") % {"name": verification.name}, messages.WARNING
                    )
                    return HttpResponseRedirect(reverse("admin:accounts_verification_changelist"))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": _("审核实名认证：%(name)s") % {"name": verification.name},
            "opts": self.model._meta,
            "verification": verification,
            "documents": _document_images(verification),
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/verification_review.html", context)


def _document_images(obj: Verification) -> Any:
    rows = [
        (reverse("accounts:verification_document", args=[obj.pk, side]), side)
        for side, image in (("front", obj.document_front), ("back", obj.document_back))
        if image
    ]
    images = format_html_join(
        "",
        '<a href="{0}" target="_blank"><img src="{0}" alt="{1}" '
        'style="max-height:220px;max-width:340px;border-radius:6px;border:1px solid #ddd"></a>',
        rows,
    )
    return format_html('<div style="display:flex;gap:12px;flex-wrap:wrap">{}</div>', images)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["prefix", "user", "created_at", "expires_at", "last_used_at"]
    list_filter = [("created_at", RangeDateTimeFilter), ("expires_at", RangeDateTimeFilter)]
    search_fields = ["prefix", "user__member_no", "user__phone"]
    exclude = ["digest"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser  # revoke a token


@admin.register(SmsCode)
class SmsCodeAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    """What customer service needs for "I got no code": when, for what, whether it went out,
    how many wrong tries. Never the code (not stored) nor its salt and digest."""

    list_display = ["masked_phone", "purpose", "created_at", "outcome", "sent_at", "attempts", "used_at"]
    list_filter = ["purpose", "outcome", ("created_at", RangeDateTimeFilter)]
    search_fields = ["=phone"]
    fields = ["masked_phone", "purpose", "created_at", "expires_at", "outcome", "sent_at", "attempts", "used_at",
              "requested_from"]  # fmt: skip
    readonly_fields = fields

    @display(description=_("手机号码"))
    def masked_phone(self, obj: SmsCode) -> str:
        return obj.masked_phone


# the back office's login takes a phone number or an e-mail, bounded like the site's (forms.AdminLoginForm)
admin.site.login_form = AdminLoginForm
