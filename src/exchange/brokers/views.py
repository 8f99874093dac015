"""Member pages of the brokers app. Thin: parse → one service → render.

A firm asks for broker status (经纪会员资格) with its documents; a broker asks sellers for
mandates (委托) and sees their state; a seller accepts, declines or revokes the mandates it
received. Staff review broker requests in the back office (admin.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange.brokers import selectors, services
from exchange.brokers.forms import BrokerApplyForm, MandateRequestForm, ReasonForm
from exchange.brokers.models import BrokerApplication
from exchange.core import clock, uploads
from exchange.core.errors import DomainError


def _attach(form: Any, exc: DomainError) -> None:
    field = exc.data.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """经纪会员资格: the request with the firm's documents, and its status."""
    user: Any = request.user
    latest = selectors.latest_application(user)
    initial = {"firm_name": user.real_name, "uscc": user.id_number}
    form = BrokerApplyForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.broker_apply(
                user=user,
                firm_name=data["firm_name"],
                uscc=data["uscc"],
                licence=data["licence"],
                business_document=data["business_document"],
                scope_note=data["scope_note"],
            )
        except DomainError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("申请已提交，交易中心将审核您的机构资料。"))
            return redirect("brokers:apply")
    can_apply = (
        not user.is_staff
        and user.member_type == "entity"
        and user.is_verified
        and not (latest and latest.status in (BrokerApplication.Status.PENDING, BrokerApplication.Status.APPROVED))
    )
    return render(request, "brokers/apply.html", {"form": form, "latest": latest, "can_apply": can_apply})


@login_required
@require_GET
def document(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A document of a broker-status request: to its member and staff who may see requests."""
    application = get_object_or_404(BrokerApplication, pk=pk)
    if application.user_id != request.user.pk and not request.user.has_perm("brokers.view_brokerapplication"):
        raise Http404
    file = {"licence": application.licence, "business": application.business_document}.get(kind)
    if not file:
        raise Http404
    return uploads.serve(file)  # type sniffed from the stored bytes, nosniff, sandboxing CSP


@login_required
@require_http_methods(["GET", "POST"])
def mandates_given(request: HttpRequest) -> HttpResponse:
    """The broker's page: request a mandate from a seller; the mandates asked for and their state."""
    user: Any = request.user
    broker = selectors.is_broker(user)
    today = clock.today()
    form = MandateRequestForm(request.POST or None, initial={"starts_on": today})
    if request.method == "POST":
        if not broker:
            messages.error(request, _("只有经审核的经纪会员可以申请委托。"))
            return redirect("brokers:apply")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.mandate_request(
                    broker=user,
                    seller=data["seller"],
                    subject=data["subject"],
                    category=data["category"],
                    max_projects=data["max_projects"],
                    may_sign=data["may_sign"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except DomainError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("委托申请已发送，等待委托人在线确认。"))
                return redirect("brokers:mandates_given")
    mandates = list(selectors.mandates_given(user))
    for m in mandates:
        m.state = m.state_label(today)  # type: ignore[attr-defined]
        m.in_force = m.in_force_on(today)  # type: ignore[attr-defined]
        m.has_room = m.in_force and len(m.projects.all()) < m.max_projects  # type: ignore[attr-defined]
    return render(
        request,
        "brokers/mandates_given.html",
        {"form": form, "mandates": mandates, "is_broker": broker, "latest": selectors.latest_application(user)},
    )


@login_required
@require_GET
def mandates_received(request: HttpRequest) -> HttpResponse:
    """The seller's page: the mandates brokers asked for, to accept, decline or revoke."""
    today = clock.today()
    mandates = list(selectors.mandates_received(request.user))
    for m in mandates:
        m.state = m.state_label(today)  # type: ignore[attr-defined]
        m.in_force = m.in_force_on(today)  # type: ignore[attr-defined]
    return render(request, "brokers/mandates_received.html", {"mandates": mandates, "reason_form": ReasonForm()})


@login_required
@require_POST
def mandate_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """accept / decline / revoke one of the seller's mandates (someone else's: 404)."""
    actions = {
        "accept": (lambda: services.mandate_accept(mandate_id=pk, seller=request.user), _("已确认委托。")),  # type: ignore[arg-type]
        "decline": (
            lambda: services.mandate_decline(mandate_id=pk, seller=request.user, reason=request.POST.get("reason", "")),  # type: ignore[arg-type]
            _("已拒绝委托。"),
        ),
        "revoke": (
            lambda: services.mandate_revoke(mandate_id=pk, seller=request.user, reason=request.POST.get("reason", "")),  # type: ignore[arg-type]
            _("委托已撤销，经纪会员不能再代您办理。"),
        ),
    }
    if decision not in actions:
        raise Http404
    call, done = actions[decision]
    try:
        call()
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("brokers:mandates_received")
