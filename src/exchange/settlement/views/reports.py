"""Finance home and the reports: deposits held, refunds due (and running them), the daily
cash report and the trial balance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exchange.core import clock, permissions
from exchange.core.permissions import staff_required
from exchange.settlement import conf, ledger, references, selectors, services
from exchange.settlement.models import (
    PaymentBatch,
    StatementImport,
)
from exchange.settlement.views.common import local_time, report_page


@staff_required("settlement.view_depositinstruction")
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


@staff_required("settlement.view_depositinstruction")
def deposits_held(request: HttpRequest) -> HttpResponse:
    rows = [
        (r["project_code"], r["project_title"], r["held"], r["total"], r["awaited"], r["refunding"])
        for r in selectors.deposits_held_by_project()
    ]
    header = [_("项目编号"), _("项目名称"), _("已冻结笔数"), _("冻结金额（元）"), _("待交纳笔数"), _("退款中笔数")]
    sheets = [(r["project_id"], r["project_code"]) for r in selectors.deposits_held_by_project()]
    extra = {"sheets": sheets if permissions.has(request.user, "settlement.view_posting") else []}
    return report_page(
        request, title=_("在管保证金（按项目）"), header=header, rows=rows, filename="deposits-held", extra=extra
    )


@staff_required("settlement.view_depositinstruction")
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
    extra = {"actions": "refunds", "can_prepare": permissions.has(request.user, "settlement.prepare_paymentbatch")}
    return report_page(request, title=_("今日应退款项"), header=header, rows=rows, filename="refunds-due", extra=extra)


@staff_required("settlement.view_posting")
def cash_report(request: HttpRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else clock.today()
    except ValueError:
        day = clock.today()
    data = selectors.bank_movements(day)
    refs = references.describe(e.posting.reference for e in data["rows"])
    rows = [
        (
            local_time(e.posting.created_at),
            references.reason_label(e.posting.reason),
            e.posting.memo,
            e.amount if e.amount > 0 else "",
            -e.amount if e.amount < 0 else "",
            refs.get(e.posting.reference, ""),
        )
        for e in data["rows"]
    ]
    header = [_("时间"), _("事由"), _("摘要"), _("收入（元）"), _("支出（元）"), _("业务参考")]
    return report_page(
        request,
        title=_("资金日报 %(day)s") % {"day": day.isoformat()},
        header=header,
        rows=rows,
        filename=f"cash-{day.isoformat()}",
        extra={"cash": data, "day": day},
    )


@staff_required("settlement.view_account")
def trial_balance(request: HttpRequest) -> HttpResponse:
    tb = ledger.trial_balance()
    rows = [(r["label"], r["accounts"], r["debit"] or "", r["credit"] or "") for r in tb]
    debit = sum((r["debit"] for r in tb), Decimal(0))
    credit = sum((r["credit"] for r in tb), Decimal(0))
    rows.append((_("合计"), "", debit, credit))
    header = [_("科目"), _("账户数"), _("借方余额（元）"), _("贷方余额（元）")]
    report = ledger.ledger_verify() if request.GET.get("verify") else None
    return report_page(
        request,
        title=_("试算平衡表"),
        header=header,
        rows=rows,
        filename="trial-balance",
        extra={"balanced": debit == credit, "verify": report},
    )


@require_POST
@staff_required("settlement.manage_depositinstruction")
def run_refunds(request: HttpRequest) -> HttpResponse:
    """Run the refund job now (it also runs hourly)."""
    count = services.refunds_due_run()
    messages.success(request, _("已处理 %(n)d 笔到期退款。") % {"n": count})
    return redirect("settlement:refunds_due")
