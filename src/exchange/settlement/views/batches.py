"""Payment batches (代发): the waiting payments, preparing, approving (four-eyes), the bank
file and the bank's result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from exchange.core import permissions
from exchange.core.errors import DomainError, InvalidInput
from exchange.core.permissions import staff_required
from exchange.settlement import services
from exchange.settlement.models import (
    PaymentBatch,
    PaymentItem,
)
from exchange.settlement.statements import StatementInvalid
from exchange.settlement.views.common import bank_file


@require_http_methods(["GET", "POST"])
@staff_required("settlement.view_paymentbatch")
def batches(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not permissions.has(request.user, "settlement.prepare_paymentbatch"):
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
        "can_prepare": permissions.has(request.user, "settlement.prepare_paymentbatch"),
    }
    return render(request, "settlement/batches.html", context)


@require_http_methods(["GET", "POST"])
@staff_required("settlement.view_paymentbatch")
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
                    raise InvalidInput(_("请选择银行回执文件。"))
                accepted = bank_file(upload, field="result")
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
        "can_approve": permissions.has(user, "settlement.approve_paymentbatch") and batch.prepared_by_id != user.pk,
        "is_preparer": batch.prepared_by_id == user.pk,
        "can_prepare": permissions.has(user, "settlement.prepare_paymentbatch"),
    }
    return render(request, "settlement/batch_detail.html", context)
