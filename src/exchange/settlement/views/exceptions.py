"""The exceptions queue: incoming payments that matched nothing, and resolving one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from exchange.core import permissions
from exchange.core.errors import DomainError, InvalidInput
from exchange.core.permissions import staff_required
from exchange.settlement import selectors, services
from exchange.settlement.models import (
    StatementLine,
)
from exchange.settlement.views.common import local_time, report_page


@staff_required("settlement.view_statementline")
def exceptions(request: HttpRequest) -> HttpResponse:
    lines = list(selectors.exceptions())
    rows = [
        (
            local_time(line.booked_at),
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
    return report_page(
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
@staff_required("settlement.view_statementline")
def exception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(StatementLine.objects.select_related("statement", "instruction", "plan"), pk=pk)
    form = ResolveForm(request.POST or None)
    if request.method == "POST":
        if not permissions.has(request.user, "settlement.resolve_statementline"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "match":
                    if not data["instruction"]:
                        raise InvalidInput(_("请选择要匹配的保证金。"))
                    services.statement_line_match(
                        line_id=line.pk, instruction_id=data["instruction"], actor=request.user, note=data["note"]
                    )
                    messages.success(request, _("已匹配，保证金已确认并冻结。"))
                elif data["action"] == "match_price":
                    if not data["plan"]:
                        raise InvalidInput(_("请选择要匹配的价款支付计划。"))
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
        "can_resolve": permissions.has(request.user, "settlement.resolve_statementline"),
    }
    return render(request, "settlement/exception_detail.html", context)
