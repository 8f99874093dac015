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
from import_export.resources import ModelResource, modelresource_factory
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import SelectableFieldsExportForm

from exchange.core import spreadsheet

# Never leaves the database in an export: password hashes and token digests.
SECRET_FIELDS = frozenset({"password", "digest"})


class SafeXLSX(XLSX):
    """Excel export with text always written as text (exchange.core.spreadsheet), never as a
    formula. (django-import-export's own escaping drops one leading "=" only.)"""

    def export_data(self, dataset: Any, **kwargs: Any) -> bytes:
        return spreadsheet.xlsx_bytes(dataset.title or "export", dataset.headers or [], list(dataset))


class SafeCSV(CSV):
    """CSV export with formula-like text neutralised (exchange.core.spreadsheet.csv_safe)."""

    def export_data(self, dataset: Any, **kwargs: Any) -> str:
        return spreadsheet.csv_bytes(dataset.headers, list(dataset)).decode("utf-8-sig")


class ExchangeModelAdmin(AuditlogHistoryAdminMixin, ExportActionMixin, ModelAdmin):
    export_formats = [SafeXLSX, SafeCSV]
    export_form_class = SelectableFieldsExportForm
    list_per_page = 50
    auditlog_history_per_page = 30
    warn_unsaved_form = True

    def get_export_resource_classes(self, request: HttpRequest) -> list[type[ModelResource]]:
        """The model's own fields with their Chinese verbose names, secrets left out."""
        if self.resource_classes:
            return list(self.resource_classes)
        names = {f.name for f in self.model._meta.get_fields()}
        meta = {"exclude": sorted(SECRET_FIELDS & names), "use_natural_foreign_keys": False}
        return [modelresource_factory(self.model, meta_options=meta)]

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
