"""What the finance pages share: the upload check of bank files, the report page with its
Excel export, local times and PDFs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core import spreadsheet, uploads


def bank_file(upload: UploadedFile, *, field: str) -> uploads.Accepted:
    """A bank statement or receipt through the upload policy (exchange.core.uploads): CSV text
    or Excel by content, at most UPLOAD_MAX_DOCUMENT_BYTES. It is parsed, never stored."""
    return uploads.accept(
        upload,
        formats=("csv", "xlsx"),
        max_bytes=settings.UPLOAD_MAX_DOCUMENT_BYTES,
        field=field,
        label=_("银行文件"),
    )


def xlsx_response(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], filename: str) -> HttpResponse:
    response = HttpResponse(spreadsheet.xlsx_bytes(title, header, rows), content_type=spreadsheet.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def report_page(
    request: HttpRequest,
    *,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    filename: str,
    extra: dict[str, Any] | None = None,
    template: str = "settlement/report.html",
) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        return xlsx_response(title, header, rows, filename)
    context = {"title": title, "header": header, "rows": rows, "export_url": "?format=xlsx", **(extra or {})}
    return render(request, template, context)


def local_time(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def pdf_response(template: str, context: dict[str, Any], filename: str) -> HttpResponse:
    from weasyprint import HTML  # imported when a PDF is asked for: seconds to load, and native libraries

    html = render_to_string(template, context)
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response
