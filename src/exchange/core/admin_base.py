"""The one ModelAdmin base class of the back office.

Every admin in the project derives from `ExchangeModelAdmin`, which gives:
- the unfold look (Chinese via Django's own admin translations plus ours);
- Excel/CSV export of the (filtered) list, for whoever may view it;
- the audit trail as the object's "history" page (django-auditlog entries with
  actor, time, action and every field's from → to).
"""

from __future__ import annotations

from typing import Any

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.http import HttpRequest, HttpResponse
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import SelectableFieldsExportForm


class ExchangeModelAdmin(AuditlogHistoryAdminMixin, ExportActionMixin, ModelAdmin):
    export_formats = [XLSX, CSV]
    export_form_class = SelectableFieldsExportForm
    list_per_page = 50
    auditlog_history_per_page = 30
    warn_unsaved_form = True

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Show the audit trail (auditlog) where Django would show its thin admin log."""
        return self.auditlog_history_view(request, object_id, extra_context)


class ReadOnlyAdminMixin:
    """For records written only by services (audit entries, heartbeats, decisions)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
