"""Back office for reference data, plus the unfold look and Excel export for the
third-party models that ship their own admin (audit log, lockouts, tasks, groups)."""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.filters import CIDFilter
from auditlog.models import LogEntry
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from unfold.contrib.filters.admin import RangeDateFilter

from exchange.core import audit_labels
from exchange.core.admin_base import ExchangeModelAdmin, ReadOnlyAdminMixin, pairs_table
from exchange.core.models import Heartbeat, HolidayOverride, Region


@admin.register(Region)
class RegionAdmin(ExchangeModelAdmin):
    list_display = ["code", "name", "level", "full_name"]
    list_filter = ["level"]
    search_fields = ["code", "name", "full_name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(ExchangeModelAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind", ("date", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["note"]
    date_hierarchy = "date"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdminMixin, ExchangeModelAdmin):
    list_display = ["process", "beat_at", "detail"]
    list_filter = ["process"]
    search_fields = ["process", "detail"]


def _rebase(model: type, original: type, *mixins: type, **attrs: object) -> None:
    """Re-register a third-party admin with our base (unfold look, export, audit history)."""
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(original.__name__, (*mixins, ExchangeModelAdmin, original), dict(attrs)))


# The audit trail is never edited or deleted. auditlog's own search names `actor__first_name` and
# `actor__last_name`, which our user model lacks (every search was a 500): search the actor's
# own fields instead.
class ChineseLogEntryMixin:
    """auditlog shows "2 changes: status, decided_at" and raw None/True/False: name the fields
    by their Chinese verbose names and write the values as a person reads them."""

    @admin.display(description=_("修改内容"))
    def msg_short(self, obj: LogEntry) -> str:
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        model = obj.content_type.model_class()
        names = [audit_labels.field_label(model, f) for f in obj.changes_dict]
        text = "、".join(names)
        if len(text) > 60:
            text = text[:60].rsplit("、", 1)[0] + "…"
        return str(_("%(n)d 项：%(fields)s") % {"n": len(names), "fields": text})

    @admin.display(description=_("修改内容"))
    def msg(self, obj: LogEntry) -> str:
        return pairs_table((label, f"{old} → {new}") for label, old, new in audit_labels.changes(obj))


class ResourceTypeFilter(admin.SimpleListFilter):
    """auditlog's filter lists content types by their model code ("deal"): name them."""

    title = _("对象类型")
    parameter_name = "resource_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        ids = model_admin.get_queryset(request).values_list("content_type_id", flat=True).distinct()
        named = []
        for content_type in ContentType.objects.filter(pk__in=set(ids)):
            model = content_type.model_class()
            named.append((str(content_type.pk), str(model._meta.verbose_name) if model else content_type.model))
        return sorted(named, key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(content_type_id=self.value()) if self.value() else queryset


_rebase(
    LogEntry,
    LogEntryAdmin,
    ReadOnlyAdminMixin,
    ChineseLogEntryMixin,
    search_fields=["object_repr", "changes", "actor__name", "actor__phone", "actor__email", "actor__member_no"],
    list_filter=["action", ResourceTypeFilter, CIDFilter],
    export_exclude=("serialized_data",),  # the object's whole JSON snapshot: the machine's record
)
_rebase(AccessAttempt, AccessAttemptAdmin)
_rebase(AccessLog, AccessLogAdmin)
_rebase(AccessFailureLog, AccessFailureLogAdmin)
_rebase(DBTaskResult, DBTaskResultAdmin, search_fields=["task_path", "exception_class_path", "queue_name"])
_rebase(
    Group,
    GroupAdmin,
    list_display=["name"],
    list_filter=[("permissions__content_type__app_label", admin.AllValuesFieldListFilter)],
)
LogEntry._meta.verbose_name = _("审计日志")
LogEntry._meta.verbose_name_plural = _("审计日志")
