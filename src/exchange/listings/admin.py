"""Back office of the listings app.

Projects are changed through services only (the staff project page, linked from each
row), so their admin is a read-only register with export and the Excel/CSV import of the
old website's projects (dry-run preview with per-row errors, then confirm).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.widgets import ForeignKeyWidget
from unfold.contrib.import_export.forms import ImportForm

from exchange.accounts.models import User
from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin, pairs_table
from exchange.core.errors import DomainError
from exchange.core.models import Region
from exchange.listings import categories, services
from exchange.listings.categories import Category
from exchange.listings.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Answer,
    Attachment,
    Follow,
    Notice,
    Project,
    ProjectChange,
    ProjectReview,
    Question,
    Status,
    TradingMethod,
)

IMPORTABLE_STATUSES = (Status.DRAFT, *PUBLIC_STATUSES)


def _by_label(choices: Any, value: str) -> str:
    """Accept a choice by key or by its Chinese label (the old website's export uses labels)."""
    value = (value or "").strip()
    for key, label in choices:
        if value in (key, str(label)):
            return str(key)
    return value


class _Lookup(ForeignKeyWidget):
    """A foreign key by a natural key; an unknown value is a row's validation error."""

    def __init__(self, model: Any, field: str, message: Any) -> None:
        super().__init__(model, field)
        self.message = message

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except ObjectDoesNotExist:
            raise ValueError(str(self.message) % {"value": value}) from None


class ProjectImportResource(resources.ModelResource):
    """Columns of the import file (Excel/CSV). Category, status and trading method may be
    given by key or Chinese label; attributes as JSON or `key=value; key=value`."""

    seller = fields.Field(
        attribute="seller",
        column_name="seller_phone",
        widget=_Lookup(User, "phone", _("没有手机号为 %(value)s 的会员。")),
    )
    region = fields.Field(
        attribute="region",
        column_name="region_code",
        widget=_Lookup(Region, "code", _("行政区划代码 %(value)s 不存在。")),
    )

    class Meta:
        model = Project
        import_id_fields = ("code",)
        fields = (
            "code", "title", "category", "status", "seller", "region", "valuation", "floor_price", "deposit_amount",
            "trading_method", "buyer_conditions", "payment_terms", "description", "disclosure_wd", "disclosure_start",
            "disclosure_end", "attributes", "state_owned",
        )  # fmt: skip
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        row["category"] = _by_label(Category.choices, str(row.get("category") or ""))
        row["status"] = _by_label(Status.choices, str(row.get("status") or "")) or Status.DISCLOSURE_ENDED
        row["trading_method"] = _by_label(TradingMethod.choices, str(row.get("trading_method") or ""))
        raw = row.get("attributes") or ""
        if isinstance(raw, str) and raw.strip() and not raw.strip().startswith("{"):
            pairs = [p.split("=", 1) for p in raw.replace("；", ";").split(";") if "=" in p]
            row["attributes"] = json.dumps({k.strip(): v.strip() for k, v in pairs}, ensure_ascii=False)

    def validate_instance(
        self, instance: Project, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        if not instance.code:
            errors["code"] = ValidationError(_("请填写项目编号。"))
        if instance.status not in IMPORTABLE_STATUSES:
            errors["status"] = ValidationError(_("导入的项目状态只能是草稿或已披露的状态。"))
        if instance.category in Category.values:
            if not isinstance(instance.attributes, dict):
                errors["attributes"] = ValidationError(_("品种属性格式错误。"))
            else:
                try:
                    services._derive(instance)
                except DomainError as exc:
                    errors["attributes"] = ValidationError(exc.message)
        if instance.disclosure_end:
            instance.ends_at = services._end_at(instance.disclosure_end)
        instance.is_open = instance.status in OPEN_STATUSES
        if instance.status in PUBLIC_STATUSES:
            instance.is_public = True
            if not (instance.disclosure_start and instance.disclosure_end):
                errors["disclosure_start"] = ValidationError(_("已披露项目须填写披露起止日期。"))
            elif instance.first_disclosed_at is None:
                instance.first_disclosed_at = services._at(instance.disclosure_start, 9)
                instance.cycle_started_at = instance.first_disclosed_at
        if instance.seller_id and instance.seller.is_staff:
            errors["seller"] = ValidationError(_("转让方须为会员账户。"))
        super().validate_instance(instance, errors, validate_unique)


class StatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Status.choices

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Project)
class ProjectAdmin(ImportMixin, ExchangeModelAdmin):
    resource_classes: list[type[resources.ModelResource]] = []  # export: the model's own fields (ExchangeModelAdmin)
    import_form_class = ImportForm
    import_formats = [XLSX, CSV]
    list_display = ["code", "title", "category", "status", "seller", "floor_price", "ends_at", "handle_link"]
    list_filter = [StatusFilter, "category", "trading_method", "state_owned", "is_open", "is_public"]
    search_fields = ["code", "title", "seller__name", "seller__phone"]
    list_select_related = ["seller"]
    date_hierarchy = "created_at"
    exclude = ["attributes"]
    export_display = {"attributes": "attributes_display"}
    readonly_fields = [*(f.name for f in Project._meta.fields if f.name != "attributes"), "attributes_display"]
    show_full_result_count = False

    @admin.display(description=_("品种属性"))
    def attributes_display(self, obj: Project) -> str:
        return pairs_table(categories.display_attributes(obj.category, obj.attributes or {}))

    def get_import_resource_classes(self, request: HttpRequest) -> list[type[resources.ModelResource]]:
        return [ProjectImportResource]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("listings.import_project")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # projects are created by sellers (seller center) or imported

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a project's history is kept: terminate it instead

    @admin.display(description=_("办理"))
    def handle_link(self, obj: Project) -> str:
        return format_html('<a href="{}">{}</a>', reverse("listings:staff_project", args=[obj.pk]), _("办理"))


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project", "kind", "original_name", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["project__code", "original_name"]
    list_select_related = ["project", "uploaded_by"]


@admin.register(ProjectReview)
class ProjectReviewAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project", "step_label", "decision", "actor", "decided_at", "comment"]
    list_filter = ["decision", "step"]
    search_fields = ["project__code", "project__title", "comment"]
    list_select_related = ["project", "actor"]


@admin.register(ProjectChange)
class ProjectChangeAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["project", "reason", "status", "current_step", "proposed_by", "proposed_at"]
    list_filter = ["status", "current_step"]
    search_fields = ["project__code", "project__title", "reason"]
    list_select_related = ["project", "proposed_by"]
    exclude = ["changes"]
    readonly_fields = ["changes_display"]
    export_display = {"changes": "changes_display"}

    @admin.display(description=_("变更内容"))
    def changes_display(self, obj: ProjectChange) -> str:
        rows = []
        for name, values in (obj.changes or {}).items():
            try:
                label = getattr(Project._meta.get_field(name), "verbose_name", name)
            except FieldDoesNotExist:
                label = name
            old, new = [*values, "", ""][:2] if isinstance(values, list | tuple) else ("", values)
            rows.append((label, _("原：%(old)s；新：%(new)s") % {"old": old or "—", "new": new or "—"}))
        return pairs_table(rows)


@admin.register(Notice)
class NoticeAdmin(ExchangeModelAdmin):
    """Notices are generated by services; staff may correct the wording before publication."""

    list_display = ["number", "title", "kind", "publish_at", "published_at", "period_end", "withdrawn_at", "view_link"]
    list_filter = ["kind", ("published_at", admin.EmptyFieldListFilter), ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["number", "title", "project__code"]
    list_select_related = ["project"]
    fields = [
        "project", "kind", "number", "title", "body", "publish_at", "published_at", "period_end",
        "withdrawn_at", "withdrawn_by", "withdraw_reason",
    ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Notice | None = None) -> list[str]:
        # withdrawal goes through services.notice_withdraw (the staff project page), never a form edit
        locked = ["project", "kind", "number", "publish_at", "published_at", "period_end", "withdrawn_at",
                  "withdrawn_by", "withdraw_reason"]  # fmt: skip
        if obj is not None and obj.published_at is not None and obj.published_at <= timezone.now():
            return [*locked, "title", "body"]  # a published notice is a public record
        return locked

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("公开页面"))
    def view_link(self, obj: Notice) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.number) if obj.number else "—"


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["body", "answered_by", "answered_at", "by_exchange"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(ExchangeModelAdmin):
    list_display = ["project", "body", "asker", "status", "asked_at"]
    list_filter = ["status"]
    search_fields = ["project__code", "body"]
    list_select_related = ["project", "asker"]
    fields = ["project", "asker", "body", "status", "asked_at", "moderated_by", "moderated_at", "notice"]
    readonly_fields = ["project", "asker", "body", "asked_at", "moderated_by", "moderated_at", "notice"]
    inlines = [AnswerInline]
    actions = ["publish_selected", "hide_selected"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        services.question_moderate(
            question_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            publish=obj.status == Question.Status.PUBLISHED,
        )

    @admin.action(description=_("公开所选问题"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: Any) -> None:
        for question in queryset:
            services.question_moderate(question_id=question.pk, actor=request.user, publish=True)  # type: ignore[arg-type]

    @admin.action(description=_("屏蔽所选问题"), permissions=["change"])
    def hide_selected(self, request: HttpRequest, queryset: Any) -> None:
        for question in queryset:
            services.question_moderate(question_id=question.pk, actor=request.user, publish=False)  # type: ignore[arg-type]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["question", "answered_by", "by_exchange", "answered_at"]
    list_filter = ["by_exchange"]
    search_fields = ["question__project__code", "body"]
    list_select_related = ["question", "answered_by"]


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["user", "project", "created_at"]
    list_filter = ["project__category"]
    search_fields = ["project__code", "user__phone", "user__name"]
    list_select_related = ["user", "project"]
