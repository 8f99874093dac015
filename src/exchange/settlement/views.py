"""Finance (结算) pages and the member's own statement. Thin: parse → one service → render.

Every finance page checks a settlement permission (roles: 结算 acts, 监管 only reads);
lists export to Excel with `?format=xlsx`. The member statement shows only the caller's
own accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from exchange.core import clock, spreadsheet, uploads
from exchange.core.errors import DomainError
from exchange.core.money import parse_money
from exchange.core.widgets import MoneyInput
from exchange.settlement import conf, ledger, references, selectors, services, statements
from exchange.settlement.models import (
    Account,
    BankProfile,
    PaymentBatch,
    PaymentItem,
    StatementImport,
    StatementLine,
    StatementUpload,
)
from exchange.settlement.statements import StatementInvalid


def _bank_file(upload: UploadedFile, *, field: str) -> uploads.Accepted:
    """A bank statement or receipt through the upload policy (exchange.core.uploads): CSV text
    or Excel by content, at most UPLOAD_MAX_DOCUMENT_BYTES. It is parsed, never stored."""
    return uploads.accept(
        upload,
        formats=("csv", "xlsx"),
        max_bytes=settings.UPLOAD_MAX_DOCUMENT_BYTES,
        field=field,
        label=_("银行文件"),
    )


def staff_perm(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged-in users with `perm` only (anonymous → login page, others → 403)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], filename: str) -> HttpResponse:
    response = HttpResponse(spreadsheet.xlsx_bytes(title, header, rows), content_type=spreadsheet.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _report(
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
        return _xlsx(title, header, rows, filename)
    context = {"title": title, "header": header, "rows": rows, "export_url": "?format=xlsx", **(extra or {})}
    return render(request, template, context)


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


# --- finance home and reports -----------------------------------------------------------------


@staff_perm("settlement.view_depositinstruction")
def finance_home(request: HttpRequest) -> HttpResponse:
    deposits, items = selectors.refunds_due()
    context = {
        "exceptions": selectors.exceptions().count(),
        "refunds_due": deposits.count() + items.count(),
        "batches_waiting": PaymentBatch.objects.filter(status=PaymentBatch.Status.DRAFT).count(),
        "recent_imports": StatementImport.objects.select_related("imported_by")[:5],
        "bank": conf.settlement_bank(),
    }
    return render(request, "settlement/finance_home.html", context)


@staff_perm("settlement.view_depositinstruction")
def deposits_held(request: HttpRequest) -> HttpResponse:
    rows = [
        (r["project_code"], r["project_title"], r["held"], r["total"], r["awaited"], r["refunding"])
        for r in selectors.deposits_held_by_project()
    ]
    header = [_("项目编号"), _("项目名称"), _("已冻结笔数"), _("冻结金额（元）"), _("待交纳笔数"), _("退款中笔数")]
    sheets = [(r["project_id"], r["project_code"]) for r in selectors.deposits_held_by_project()]
    extra = {"sheets": sheets if request.user.has_perm("settlement.view_posting") else []}
    return _report(
        request, title=_("在管保证金（按项目）"), header=header, rows=rows, filename="deposits-held", extra=extra
    )


@staff_perm("settlement.view_depositinstruction")
def refunds_due(request: HttpRequest) -> HttpResponse:
    deposits, items = selectors.refunds_due()
    rows: list[Sequence[Any]] = [
        (_("保证金待退"), d.project_code, d.member.name, d.amount, d.refund_due_on, d.payer_account, "")
        for d in deposits
    ]
    rows += [
        (
            i.get_kind_display(),
            i.project_code,
            i.payee_name,
            i.amount,
            i.due_on,
            i.payee_account,
            i.get_status_display(),
        )
        for i in items
    ]
    header = [_("类型"), _("项目编号"), _("收款人"), _("金额（元）"), _("应付日期"), _("收款账号"), _("状态")]
    extra = {"actions": "refunds", "can_prepare": request.user.has_perm("settlement.prepare_paymentbatch")}
    return _report(request, title=_("今日应退款项"), header=header, rows=rows, filename="refunds-due", extra=extra)


@staff_perm("settlement.view_posting")
def cash_report(request: HttpRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else clock.today()
    except ValueError:
        day = clock.today()
    data = selectors.bank_movements(day)
    refs = references.describe(e.posting.reference for e in data["rows"])
    rows = [
        (
            _local(e.posting.created_at),
            references.reason_label(e.posting.reason),
            e.posting.memo,
            e.amount if e.amount > 0 else "",
            -e.amount if e.amount < 0 else "",
            refs.get(e.posting.reference, ""),
        )
        for e in data["rows"]
    ]
    header = [_("时间"), _("事由"), _("摘要"), _("收入（元）"), _("支出（元）"), _("业务参考")]
    return _report(
        request,
        title=_("资金日报 %(day)s") % {"day": day.isoformat()},
        header=header,
        rows=rows,
        filename=f"cash-{day.isoformat()}",
        extra={"cash": data, "day": day},
    )


@staff_perm("settlement.view_account")
def trial_balance(request: HttpRequest) -> HttpResponse:
    tb = ledger.trial_balance()
    rows = [(r["label"], r["accounts"], r["debit"] or "", r["credit"] or "") for r in tb]
    debit = sum((r["debit"] for r in tb), Decimal(0))
    credit = sum((r["credit"] for r in tb), Decimal(0))
    rows.append((_("合计"), "", debit, credit))
    header = [_("科目"), _("账户数"), _("借方余额（元）"), _("贷方余额（元）")]
    report = ledger.ledger_verify() if request.GET.get("verify") else None
    return _report(
        request,
        title=_("试算平衡表"),
        header=header,
        rows=rows,
        filename="trial-balance",
        extra={"balanced": debit == credit, "verify": report},
    )


@staff_perm("settlement.view_statementline")
def exceptions(request: HttpRequest) -> HttpResponse:
    lines = list(selectors.exceptions())
    rows = [
        (
            _local(line.booked_at),
            line.payer_name,
            line.payer_account,
            line.amount,
            line.virtual_account,
            line.get_problem_display(),
            line.remark,
        )
        for line in lines
    ]
    header = [_("到账时间"), _("付款户名"), _("付款账号"), _("金额（元）"), _("收款子账号"), _("异常类型"), _("摘要")]
    return _report(
        request,
        title=_("来款异常队列"),
        header=header,
        rows=rows,
        filename="exceptions",
        extra={"lines": lines},
        template="settlement/exceptions.html",
    )


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("match", gettext_lazy("匹配到保证金")),
            ("match_price", gettext_lazy("匹配为价款")),
            ("return", gettext_lazy("退回付款人")),
        ]
    )
    instruction = forms.IntegerField(required=False)
    plan = forms.IntegerField(required=False)
    note = forms.CharField(label=gettext_lazy("处理说明"), max_length=300, required=False)


@require_http_methods(["GET", "POST"])
@staff_perm("settlement.view_statementline")
def exception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine.objects.select_related("statement", "instruction", "plan"), pk=pk)
    form = ResolveForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("settlement.resolve_statementline"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "match":
                    if not data["instruction"]:
                        raise services.InvalidInput(_("请选择要匹配的保证金。"))
                    services.statement_line_match(
                        line_id=line.pk, instruction_id=data["instruction"], actor=request.user, note=data["note"]
                    )
                    messages.success(request, _("已匹配，保证金已确认并冻结。"))
                elif data["action"] == "match_price":
                    if not data["plan"]:
                        raise services.InvalidInput(_("请选择要匹配的价款支付计划。"))
                    services.statement_line_match_price(
                        line_id=line.pk, plan_id=data["plan"], actor=request.user, note=data["note"]
                    )
                    messages.success(request, _("已匹配为价款，已计入受让方价款账户。"))
                else:
                    services.statement_line_return(line_id=line.pk, actor=request.user, note=data["note"])
                    messages.success(request, _("已转入待退款项，将随下一代发批次退回。"))
                return redirect("settlement:exceptions")
            except DomainError as exc:
                form.add_error(None, exc.message)
    context = {
        "line": line,
        "form": form,
        "candidates": selectors.match_candidates(line) if line.status == StatementLine.Status.EXCEPTION else [],
        "plans": selectors.price_match_candidates(line) if line.status == StatementLine.Status.EXCEPTION else [],
        "can_resolve": request.user.has_perm("settlement.resolve_statementline"),
    }
    return render(request, "settlement/exception_detail.html", context)


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
@staff_perm("settlement.add_statementimport")
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
@staff_perm("settlement.add_statementimport")
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


@staff_perm("settlement.view_statementimport")
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: who, when, what it did, and each line it recorded with what became of it."""
    statement = get_object_or_404(StatementImport.objects.select_related("profile", "imported_by"), pk=pk)
    entries = [(line, _line_outcome(line)) for line in selectors.statement_lines(statement)]
    upload = StatementUpload.objects.filter(statement=statement).exclude(file="").first()
    rows = [
        (
            line.line_no,
            _local(line.booked_at),
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
    return _report(
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


@login_required
def statement_file(request: HttpRequest, pk: int) -> FileResponse:
    """The original file of an import (kept from the upload), as a download."""
    if not request.user.has_perm("settlement.view_statementimport"):
        raise PermissionDenied
    upload = StatementUpload.objects.filter(statement_id=pk).exclude(file="").first()
    if upload is None:
        raise Http404
    return uploads.serve(upload.file, filename=upload.original_name, inline=False)


@staff_perm("settlement.view_bankprofile")
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


# --- payment batches ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_perm("settlement.view_paymentbatch")
def batches(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("settlement.prepare_paymentbatch"):
            raise PermissionDenied
        try:
            batch = services.payment_batch_prepare(actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("settlement:batches")
        messages.success(request, _("已生成代发批次 %(code)s，待另一位结算人员审批。") % {"code": batch.code})
        return redirect("settlement:batch", pk=batch.pk)
    waiting = PaymentItem.objects.filter(status__in=[PaymentItem.Status.PENDING, PaymentItem.Status.FAILED])
    context = {
        "batches": PaymentBatch.objects.select_related("prepared_by", "approved_by")[:50],
        "waiting": waiting.order_by("due_on", "pk")[:200],
        "can_prepare": request.user.has_perm("settlement.prepare_paymentbatch"),
    }
    return render(request, "settlement/batches.html", context)


@require_http_methods(["GET", "POST"])
@staff_perm("settlement.view_paymentbatch")
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PaymentBatch.objects.select_related("prepared_by", "approved_by"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.payment_batch_approve(batch_id=batch.pk, actor=request.user)
                messages.success(request, _("批次已审批。"))
            elif action == "cancel":
                services.payment_batch_cancel(batch_id=batch.pk, actor=request.user)
                messages.success(request, _("批次已撤销，款项回到待代发队列。"))
            elif action == "export":
                content = services.payment_batch_export(batch_id=batch.pk, actor=request.user)
                response = HttpResponse(content, content_type="text/csv; charset=gbk")
                response["Content-Disposition"] = f'attachment; filename="{batch.code}.csv"'
                return response
            elif action == "confirm":
                upload = request.FILES.get("result")
                if upload is None:
                    raise services.InvalidInput(_("请选择银行回执文件。"))
                accepted = _bank_file(upload, field="result")
                services.payment_batch_confirm(batch_id=batch.pk, data=accepted.upload.read(), actor=request.user)
                messages.success(request, _("银行回执已导入。"))
            else:
                raise Http404
        except StatementInvalid as exc:
            lines = "；".join(_("第 %(n)d 行：%(r)s") % {"n": n, "r": r} for n, r in exc.errors[:5])
            messages.error(request, f"{exc.message} {lines}")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("settlement:batch", pk=batch.pk)
    user = request.user
    context = {
        "batch": batch,
        "items": batch.payments.order_by("pk"),
        "can_approve": user.has_perm("settlement.approve_paymentbatch") and batch.prepared_by_id != user.pk,
        "is_preparer": batch.prepared_by_id == user.pk,
        "can_prepare": user.has_perm("settlement.prepare_paymentbatch"),
    }
    return render(request, "settlement/batch_detail.html", context)


# --- manual posting ------------------------------------------------------------------------------


class ManualPostingForm(forms.Form):
    debit = forms.ModelChoiceField(label=gettext_lazy("借方账户"), queryset=Account.objects.filter(owner=None))
    credit = forms.ModelChoiceField(label=gettext_lazy("贷方账户"), queryset=Account.objects.filter(owner=None))
    amount = forms.CharField(label=gettext_lazy("金额（元）"), widget=MoneyInput)
    memo = forms.CharField(label=gettext_lazy("摘要"), max_length=300)
    key = forms.CharField(widget=forms.HiddenInput)


@require_http_methods(["GET", "POST"])
@staff_perm("settlement.post_manual_posting")
def manual_posting(request: HttpRequest) -> HttpResponse:
    import secrets

    form = ManualPostingForm(request.POST or None, initial={"key": secrets.token_hex(8)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = parse_money(data["amount"])
            posting = services.manual_posting_create(
                actor=request.user,
                key=data["key"],
                memo=data["memo"],
                lines=[(data["debit"].pk, amount), (data["credit"].pk, -amount)],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已记账：凭证 #%(id)s") % {"id": posting.pk})
            return redirect("settlement:trial_balance")
    return render(request, "settlement/manual_posting.html", {"form": form})


# --- PDFs ----------------------------------------------------------------------------------------


def _pdf(template: str, context: dict[str, Any], filename: str) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string(template, context)
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@staff_perm("settlement.view_posting")
def project_sheet(request: HttpRequest, project_id: int) -> HttpResponse:
    data = selectors.project_settlement(project_id)
    if not data["deposits"] and not data["plan"] and not data["entries"]:
        raise Http404
    context = {**data, "now": clock.now(), "bank": conf.settlement_bank()}
    return _pdf("settlement/pdf/project_sheet.html", context, f"settlement-{data['code']}")


def _member_context(request: HttpRequest) -> dict[str, Any]:
    entries = list(selectors.member_entries(request.user))
    return {
        "member": request.user,
        "deposits": selectors.member_deposits(request.user),
        "entries": entries,
        "accounts": Account.objects.filter(owner_id=request.user.pk).order_by("pk"),
        "now": clock.now(),
        "bank": conf.settlement_bank(),
    }


@login_required
def member_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "settlement/member_statement.html", _member_context(request))


@login_required
def member_statement_pdf(request: HttpRequest) -> HttpResponse:
    return _pdf("settlement/pdf/member_statement.html", _member_context(request), "statement")


@require_POST
@staff_perm("settlement.manage_depositinstruction")
def run_refunds(request: HttpRequest) -> HttpResponse:
    """Run the refund job now (it also runs hourly)."""
    count = services.refunds_due_run()
    messages.success(request, _("已处理 %(n)d 笔到期退款。") % {"n": count})
    return redirect("settlement:refunds_due")
