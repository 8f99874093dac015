"""Bank statement import: upload, preview, confirm or discard; an import's lines; the
original file; empty templates of each bank's layout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from exchange.core import permissions, spreadsheet, uploads
from exchange.core.errors import DomainError
from exchange.core.permissions import staff_required
from exchange.settlement import selectors, services, statements
from exchange.settlement.models import (
    BankProfile,
    StatementImport,
    StatementLine,
    StatementUpload,
)
from exchange.settlement.statements import StatementInvalid
from exchange.settlement.views.common import local_time, report_page


class ImportForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=gettext_lazy("对账单格式"), queryset=BankProfile.objects.filter(is_active=True), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("对账单文件"), help_text=gettext_lazy("CSV（UTF-8 或 GBK 编码）或 Excel（.xlsx）")
    )


def _profile_guides() -> list[dict[str, Any]]:
    """Per active profile: the columns it expects (with the accepted synonyms) and its templates."""
    guides = []
    for profile in BankProfile.objects.filter(is_active=True):
        _header, notes = statements.template_rows(profile)
        guides.append({"profile": profile, "columns": notes})
    return guides


def _import_page(request: HttpRequest, form: ImportForm, **extra: Any) -> HttpResponse:
    context = {
        "form": form,
        "errors": [],
        "layout": None,
        "guides": _profile_guides(),
        "imports": StatementImport.objects.select_related("imported_by", "profile")[:20],
        "pending": StatementUpload.objects.filter(status=StatementUpload.Status.PENDING).select_related(
            "profile", "uploaded_by"
        )[:10],
        **extra,
    }
    return render(request, "settlement/import.html", context)


@require_http_methods(["GET", "POST"])
@staff_required("settlement.add_statementimport")
def statement_upload(request: HttpRequest) -> HttpResponse:
    """Step 1 of an import: choose the format and the file. Nothing is imported here: a file
    that reads is kept and previewed (step 2); one that does not is refused with its lines."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.statement_upload_create(
                profile_id=form.cleaned_data["profile"].pk, upload=form.cleaned_data["file"], actor=request.user
            )
        except StatementInvalid as exc:
            form.add_error(None, _("文件有误，未导入任何记录。"))
            return _import_page(request, form, errors=exc.errors, layout=exc.layout)
        except DomainError as exc:
            form.add_error(exc.data.get("field") if exc.data.get("field") in form.fields else None, exc.message)
        else:
            return redirect("settlement:statement_preview", pk=record.pk)
    return _import_page(request, form)


@require_http_methods(["GET", "POST"])
@staff_required("settlement.add_statementimport")
def statement_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: how the file was understood (each column, the first lines), then 确认导入 or 放弃."""
    record = get_object_or_404(StatementUpload.objects.select_related("profile", "uploaded_by", "statement"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                statement = services.statement_upload_confirm(upload_id=record.pk, actor=request.user)
                messages.success(
                    request,
                    _("导入完成：新增 %(new)d 笔，重复 %(dup)d 笔，自动匹配 %(matched)d 笔，异常 %(exc)d 笔。")
                    % {
                        "new": statement.new_count,
                        "dup": statement.duplicate_count,
                        "matched": statement.matched_count,
                        "exc": statement.exception_count,
                    },
                )
                return redirect("settlement:statement_detail", pk=statement.pk)
            if action == "discard":
                services.statement_upload_discard(upload_id=record.pk, actor=request.user)
                messages.success(request, _("已放弃该文件，未导入任何记录。"))
                return redirect("settlement:statement_upload")
            raise Http404
        except StatementInvalid as exc:
            lines = "；".join(_("第 %(n)d 行：%(r)s") % {"n": n, "r": r} for n, r in exc.errors[:5])
            messages.error(request, f"{exc.message} {lines}")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("settlement:statement_preview", pk=record.pk)
    if record.status == StatementUpload.Status.IMPORTED and record.statement is not None:
        return redirect("settlement:statement_detail", pk=record.statement.pk)
    context: dict[str, Any] = {"record": record, "preview": None, "errors": [], "layout": None}
    if record.status == StatementUpload.Status.PENDING:
        try:
            context["preview"] = selectors.statement_upload_preview(record)
        except StatementInvalid as exc:
            context.update(errors=exc.errors, layout=exc.layout)
    return render(request, "settlement/import_preview.html", context)


@staff_required("settlement.view_statementimport")
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: who, when, what it did, and each line it recorded with what became of it."""
    statement = get_object_or_404(StatementImport.objects.select_related("profile", "imported_by"), pk=pk)
    entries = [(line, _line_outcome(line)) for line in selectors.statement_lines(statement)]
    upload = StatementUpload.objects.filter(statement=statement).exclude(file="").first()
    rows = [
        (
            line.line_no,
            local_time(line.booked_at),
            line.payer_name,
            line.payer_account,
            line.amount,
            line.virtual_account,
            line.get_status_display(),
            outcome,
        )
        for line, outcome in entries
    ]
    header = [
        _("行号"),
        _("到账时间"),
        _("付款户名"),
        _("付款账号"),
        _("金额（元）"),
        _("收款子账号"),
        _("状态"),
        _("说明"),
    ]
    return report_page(
        request,
        title=_("对账单导入 %(name)s") % {"name": statement.file_name},
        header=header,
        rows=rows,
        filename=f"statement-{statement.pk}",
        extra={"statement": statement, "entries": entries, "upload": upload},
        template="settlement/import_detail.html",
    )


def _line_outcome(line: StatementLine) -> str:
    """What became of a line, in words: the deposit or price it went to, or its problem."""
    if line.status == StatementLine.Status.IGNORED:
        return _("支出，不参与匹配")
    if line.plan_id and line.plan is not None:
        return _("价款：%(code)s") % {"code": line.plan.project_code}
    if line.instruction is not None and line.status in (StatementLine.Status.MATCHED, StatementLine.Status.RESOLVED):
        return _("保证金：%(code)s · %(name)s") % {
            "code": line.instruction.project_code,
            "name": line.instruction.member.name,
        }
    return str(line.get_problem_display()) if line.problem else ""


@login_required  # not staff_required: that types its views as returning HttpResponse, not a FileResponse
def statement_file(request: HttpRequest, pk: int) -> FileResponse:
    """The original file of an import (kept from the upload), as a download."""
    if not permissions.has(request.user, "settlement.view_statementimport"):
        raise PermissionDenied
    upload = StatementUpload.objects.filter(statement_id=pk).exclude(file="").first()
    if upload is None:
        raise Http404
    return uploads.serve(upload.file, filename=upload.original_name, inline=False)


@staff_required("settlement.view_bankprofile")
def statement_template(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """An empty statement in a profile's layout: the header row (CSV or Excel), and in Excel
    a second sheet explaining each column. Through exchange.core.spreadsheet (formula-safe)."""
    profile = get_object_or_404(BankProfile, code=code, is_active=True)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    header, notes = statements.template_rows(profile)
    filename = f"statement-template-{profile.code}"
    if fmt == "csv":
        response = HttpResponse(spreadsheet.csv_bytes(header, []), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    guide_header = [_("列名"), _("含义"), _("是否必填"), _("说明"), _("也可使用的列名")]
    content = spreadsheet.xlsx_book_bytes([(_("对账单"), header, []), (_("填写说明"), guide_header, notes)])
    response = HttpResponse(content, content_type=spreadsheet.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
