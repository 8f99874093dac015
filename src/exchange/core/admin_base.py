"""The one ModelAdmin base class of the back office.

Every admin in the project derives from `ExchangeModelAdmin`, which gives:
- the unfold look (Chinese via Django's own admin translations plus ours);
- Excel/CSV export of the (filtered) list, for whoever may view it, with Chinese column
  names and choices, yes/no and related objects written out (never codes or numbers);
- the audit trail as the object's "history" page (django-auditlog entries with
  actor, time, action and every field's from → to).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from html import unescape
from typing import Any

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.translation import gettext_lazy as _
from import_export import widgets
from import_export.admin import ExportActionMixin
from import_export.fields import Field
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


class ChoiceLabelWidget(widgets.Widget):
    """A field with choices exports its label (“待确认”), not its code (“pending”)."""

    def __init__(self, choices: Any) -> None:
        super().__init__()
        self.labels = dict(choices)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return force_str(self.labels.get(value, value))


class YesNoWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else force_str(_("是") if value else _("否"))


class RelatedNameWidget(widgets.Widget):
    """A foreign key exports what the object is called (its `str`), not its number."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else force_str(value)


class RelatedNamesWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "、".join(force_str(v) for v in value.all()) if value is not None else ""


class ChineseModelResource(ModelResource):
    """Columns headed by the fields' Chinese verbose names; choices, yes/no and related objects
    written as a person reads them."""

    @classmethod
    def field_from_django_field(cls, field_name: str, django_field: Any, readonly: bool) -> Field:
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = getattr(django_field, "verbose_name", None) or field_name
        if getattr(django_field, "choices", None):
            field.widget = ChoiceLabelWidget(django_field.flatchoices)
        elif isinstance(django_field, models.BooleanField):
            field.widget = YesNoWidget()
        elif django_field.many_to_many:
            field.attribute, field.widget = field_name, RelatedNamesWidget()
        elif django_field.is_relation:
            field.attribute, field.widget = field_name, RelatedNameWidget()
        return field


class ExportForm(SelectableFieldsExportForm):
    """The export page lists the columns by their Chinese names (the package shows field names)."""

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return force_str(field.column_name) if field is not None else field_name


def export_text(html: Any) -> str:
    """A display method's HTML as one line of text for a spreadsheet cell (table rows become
    "名称：值；…")."""
    text = re.sub(r"</t[hd]>\s*<td[^>]*>", "：", force_str(html))
    text = re.sub(r"</tr>", "；", text)
    return unescape(strip_tags(text)).strip().rstrip("；")


class ExchangeModelAdmin(AuditlogHistoryAdminMixin, ExportActionMixin, ModelAdmin):
    export_formats = [SafeXLSX, SafeCSV]
    export_form_class = ExportForm
    # Model fields left out of exports (machine data: idempotency keys, …) and fields exported
    # through one of the admin's display methods (codes and JSON written as a person reads them).
    export_exclude: tuple[str, ...] = ()
    export_display: Mapping[str, str] = {}
    list_per_page = 50
    auditlog_history_per_page = 30
    warn_unsaved_form = True

    def get_export_resource_classes(self, request: HttpRequest) -> list[type[ModelResource]]:
        """The model's own fields with their Chinese verbose names, secrets left out."""
        if self.resource_classes:
            return list(self.resource_classes)
        names = {f.name for f in self.model._meta.get_fields()}
        meta = {
            "exclude": sorted((SECRET_FIELDS & names) | set(self.export_exclude)),
            "use_natural_foreign_keys": False,
        }
        shown = {field: self._export_cell(name) for field, name in self.export_display.items()}
        return [
            modelresource_factory(
                self.model, resource_class=ChineseModelResource, meta_options=meta, dehydrate_methods=shown
            )
        ]

    def _export_cell(self, name: str) -> Callable[[Any], str]:
        method = getattr(self, name)
        return lambda obj: export_text(method(obj))

    def get_export_queryset(self, request: HttpRequest) -> Any:
        """The related objects an export names, fetched with the rows (one query, not one per row)."""
        queryset = super().get_export_queryset(request)
        related = [
            f.name for f in self.model._meta.fields if f.is_relation and f.many_to_one and not f.name.startswith("_")
        ]
        return queryset.select_related(*related) if related else queryset

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


# Read-only displays of JSON data in the back office: what a person reads, never the raw JSON.


def text_list(values: Iterable[Any] | None, labels: Mapping[Any, Any] | None = None) -> str:
    """["id_proof", "commitment"] → "营业执照或身份证明、受让资格承诺函"; empty → "—"."""
    items = [force_str((labels or {}).get(v, v)) for v in values or []]
    return "、".join(items) if items else "—"


def pairs_table(rows: Iterable[tuple[Any, Any]]) -> str:
    """(label, value) rows as a small table; no rows → "—"."""
    rows = list(rows)
    if not rows:
        return "—"
    body = format_html_join(
        "",
        '<tr><th scope="row" style="text-align:left;padding:2px 16px 2px 0;font-weight:500">{}</th><td>{}</td></tr>',
        ((force_str(k), force_str(v)) for k, v in rows),
    )
    return format_html("<table>{}</table>", body)
