"""Back office of the members app: messages and deliveries (read-only, failed ones can be
resent), notification preferences (read-only) and the 失信名单 (added and lifted only
through the services, so every change is checked and audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from exchange.core import clock
from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin
from exchange.core.errors import DomainError
from exchange.members import kinds, services
from exchange.members.models import BlacklistEntry, Delivery, Message, Preference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "address", "status", "attempts", "error", "sent_at", "failed_at")
    readonly_fields = ("channel", "address", "status", "attempts", "error", "sent_at", "failed_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageCategoryFilter(admin.SimpleListFilter):
    title = _("消息类别")
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(kinds.CATEGORIES.items())

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(kind__startswith=f"{value}.") if value else queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["subject", "recipient", "category_display", "created_at", "read_at"]
    list_filter = [MessageCategoryFilter, ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["subject", "kind", "recipient__name", "recipient__phone", "recipient__member_no", "dedupe_key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    exclude = ["kind", "dedupe_key"]  # codes for the machine (preferences, de-duplication); searchable
    readonly_fields = ["category_display"]
    export_exclude = ("dedupe_key",)
    export_display = {"kind": "category_display"}

    @admin.display(description=_("消息类别"), ordering="kind")
    def category_display(self, obj: Message) -> str:
        return kinds.category_label(obj.category)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["message", "recipient", "channel", "address", "status_badge", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "created_at"]
    search_fields = ["address", "message__subject", "message__recipient__name", "message__recipient__phone", "error"]
    list_select_related = ["message", "message__recipient"]
    actions = ["resend_selected"]

    @display(description=_("收件人"))
    def recipient(self, obj: Delivery) -> Any:
        return obj.message.recipient

    @display(
        description=_("状态"),
        label={Delivery.Status.QUEUED: "warning", Delivery.Status.SENT: "success", Delivery.Status.FAILED: "danger"},
    )
    def status_badge(self, obj: Delivery) -> Any:
        return obj.status, obj.get_status_display()

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("members.resend_delivery"))

    @admin.action(description=_("重新发送所选的失败通知"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for delivery in queryset.filter(status=Delivery.Status.FAILED):
            try:
                services.delivery_resend(delivery_id=delivery.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, _("已重新排队发送 %(n)d 条通知。") % {"n": done}, messages.SUCCESS)


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["member", "category_display", "channel", "enabled", "updated_at"]
    list_filter = ["channel", "enabled"]
    exclude = ["category"]
    readonly_fields = ["category_display"]
    export_display = {"category": "category_display"}

    @admin.display(description=_("消息类别"), ordering="category")
    def category_display(self, obj: Preference) -> str:
        return kinds.category_label(obj.category)

    search_fields = ["member__name", "member__phone", "member__member_no", "category"]
    list_select_related = ["member"]


class BlacklistAddForm(forms.ModelForm):
    class Meta:
        model = BlacklistEntry
        fields = ["member", "reason", "starts_on", "ends_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].required = False
        self.fields["starts_on"].help_text = _("留空为今天")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        member = data.get("member")
        if member is not None and not self.errors:
            try:
                services.blacklist_add_check(
                    member=member,
                    reason=data.get("reason", ""),
                    starts_on=data.get("starts_on") or clock.today(),
                    ends_on=data.get("ends_on"),
                )
            except DomainError as exc:
                field = exc.data.get("field")
                self.add_error(field if field in self.fields else None, exc.message)
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("解除原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class ActiveFilter(admin.SimpleListFilter):
    title = _("当前状态")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("active", _("生效中")), ("lifted", _("已解除")), ("expired", _("已到期")), ("future", _("未开始"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        today = clock.today()
        if self.value() == "active":
            return queryset.filter(BlacklistEntry.active_q(today))
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(lifted_at__isnull=True, ends_on__lt=today)
        if self.value() == "future":
            return queryset.filter(lifted_at__isnull=True, starts_on__gt=today)
        return queryset


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(ExchangeModelAdmin):
    list_display = [
        "member", "reason_short", "starts_on", "ends_on", "state_badge", "created_by", "lifted_at", "lift_link",
    ]  # fmt: skip
    list_filter = [ActiveFilter, "starts_on", "ends_on"]
    search_fields = ["member__name", "member__phone", "member__member_no", "member__id_number", "reason"]
    list_select_related = ["member", "created_by"]
    autocomplete_fields = ["member"]
    view_on_site = False
    actions_detail = ["lift"]
    readonly_fields = [
        "member", "reason", "starts_on", "ends_on", "created_by", "created_at",
        "lifted_at", "lifted_by", "lift_reason",
    ]  # fmt: skip

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = BlacklistAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else BlacklistAddForm.Meta.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and bool(request.user.has_perm("members.manage_blacklist"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries change only by lifting (the detail action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history of the 失信名单 is kept

    def has_lift_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("members.manage_blacklist"))

    def save_model(self, request: HttpRequest, obj: BlacklistEntry, form: Any, change: bool) -> None:
        entry = services.blacklist_add(
            member=obj.member,
            reason=obj.reason,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            actor=request.user,
        )
        obj.pk = entry.pk
        obj.starts_on = entry.starts_on
        obj.created_at = entry.created_at
        obj._state.adding = False

    @display(description=_("原因"))
    def reason_short(self, obj: BlacklistEntry) -> str:
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:39] + "…"

    @display(description=_("状态"), label={"active": "danger", "lifted": "success", "ended": "info"})
    def state_badge(self, obj: BlacklistEntry) -> Any:
        if obj.lifted_at is not None:
            return "lifted", _("已解除")
        if obj.is_active_on(clock.today()):
            return "active", _("生效中")
        return "ended", _("未生效/已到期")

    @display(description=_("操作"))
    def lift_link(self, obj: BlacklistEntry) -> Any:
        if obj.lifted_at is not None:
            return "—"
        url = reverse("admin:members_blacklistentry_lift", args=[obj.pk])
        return format_html('<a class="font-semibold text-primary-600" href="{}">{}</a>', url, _("解除"))

    @action(description=_("解除"), url_path="lift", permissions=["lift"])
    def lift(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not object_id.isdigit():
            raise Http404
        if not self.has_lift_permission(request):
            raise PermissionDenied
        entry = get_object_or_404(BlacklistEntry.objects.select_related("member"), pk=int(object_id))
        form = LiftForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.blacklist_lift(entry_id=entry.pk, reason=form.cleaned_data["reason"], actor=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, _("已将 %(name)s 移出失信名单。") % {"name": entry.member.name}, messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:members_blacklistentry_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("解除失信记录：%(name)s") % {"name": entry.member.name},
            "opts": self.model._meta,
            "entry": entry,
            "form": form,
        }
        return TemplateResponse(request, "members/admin/blacklist_lift.html", context)
