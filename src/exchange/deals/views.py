"""Pages of the deals app: the member's 我的成交 (contract, signing, fees, payment,
certificate), the public certificate verification page, and the staff deal desk.
Thin: parse → one service → render; every page checks ownership or a permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exchange.brokers.selectors import may_act
from exchange.core import audit, clock
from exchange.core.errors import DomainError
from exchange.core.money import parse_money
from exchange.core.permissions import staff_required
from exchange.deals import documents, selectors, services
from exchange.deals.models import Certificate, Deal
from exchange.settlement import conf as settlement_conf
from exchange.settlement import selectors as settlement_selectors
from exchange.settlement.selectors import price_payment_account


def _side(deal: Deal, user: Any) -> str:
    """The caller's side of a deal: buyer / seller (incl. the seller's broker while its
    mandate is in force) / ""."""

    if user.pk == deal.buyer_id:
        return "buyer"
    if user.pk == deal.seller_id or may_act(user, deal.project):
        return "seller"
    return ""


def _party_deal(request: HttpRequest, pk: int, staff_perm_name: str = "deals.view_deal") -> tuple[Deal, str]:
    """The deal if the caller is a party (or staff with the permission); 404 otherwise, so
    that deal numbers reveal nothing."""
    deal = get_object_or_404(Deal.objects.select_related("project", "buyer", "seller", "contract"), pk=pk)
    side = _side(deal, request.user)
    if not side and not request.user.has_perm(staff_perm_name):
        raise Http404
    return deal, side


def _plan(deal: Deal) -> Any:
    return settlement_selectors.price_plan_for_project(deal.project_id)


def _paid_in(deal: Deal) -> Any:
    """What is in the buyer's price account for this project (converted deposit + payments)."""
    return settlement_selectors.price_account_balance(member_id=deal.buyer_id, project_id=deal.project_id)


def _valid_certificate(deal: Deal) -> Certificate | None:
    return deal.certificates.filter(revoked_at__isnull=True).order_by("-issued_at").first()


def _verify_url(request: HttpRequest, cert: Certificate) -> str:
    return request.build_absolute_uri(reverse("deals:certificate_verify", args=[cert.number, cert.check_code]))


def _deal_context(request: HttpRequest, deal: Deal, side: str) -> dict[str, Any]:
    plan = _plan(deal)
    today = clock.today()
    paid_in = _paid_in(deal)
    amount_due = plan.amount_due if plan else deal.total_buyer_pays
    settled = bool(plan) and plan.status in SETTLED_PLAN_STATUSES
    return {
        "deal": deal,
        "side": side,
        "project": deal.project,
        "plan": plan,
        "instalments": list(plan.instalments.all()) if plan else [],
        "amount_due": amount_due,
        "paid_in": paid_in,
        # once settled the price account is emptied by the release: nothing is owed any more
        "outstanding": 0 if settled else amount_due - (paid_in or 0),
        "settled": settled,
        "payable": bool(plan) and plan.status == "open",
        "plan_status_label": _buyer_plan_status(plan),
        "bank": settlement_conf.settlement_bank(),
        "pay_to_account": price_payment_account(deal.project_id, deal.buyer_id) if side == "buyer" else "",
        "certificate": _valid_certificate(deal),
        "certificates": list(deal.certificates.order_by("-issued_at")),
        "buyer_working": deal.buyer_fee_working,
        "seller_working": deal.seller_fee_working,
        "can_sign": bool(side)
        and deal.status == Deal.Status.OPEN
        and today <= deal.sign_deadline
        and ((side == "buyer" and not deal.buyer_signed_at) or (side == "seller" and not deal.seller_signed_at)),
        "sign_late": deal.status == Deal.Status.OPEN and today > deal.sign_deadline,
        "steps": _steps(deal),
    }


SETTLED_PLAN_STATUSES = ("paid", "release_scheduled", "released")


def _buyer_plan_status(plan: Any) -> str:
    """The price plan's status in the buyer's words (settlement's labels are finance's:
    待划转 means the exchange has yet to pass the money on to the seller)."""
    if plan is None:
        return ""
    if plan.status == "paid":
        return str(_("已结清"))
    if plan.status == "release_scheduled":
        if plan.release_due_on:
            return str(_("已结清，待向转让方划转（预计 %(d)s）") % {"d": plan.release_due_on.strftime("%Y-%m-%d")})
        return str(_("已结清，待向转让方划转"))
    if plan.status == "released":
        return str(_("已结清，已划转转让方"))
    return str(plan.get_status_display())


ACTION_LABELS = {
    "deal.open": "成交", "contract.sign": "确认签署合同", "contract.approve": "合同审核通过",
    "contract.return": "合同退回", "deal.paid": "价款付清", "certificate.issue": "出具交易凭证",
    "certificate.revoke": "撤销交易凭证", "deal.funds_released": "价款已划转", "deal.close": "交易完成",
    "deal.default": "认定违约", "deal.relist": "重新挂牌",
}  # fmt: skip

STEPS = [
    (Deal.Status.OPEN, "待签约"),
    (Deal.Status.CONTRACT_SIGNED, "待审核"),
    (Deal.Status.EFFECTIVE, "待付款"),
    (Deal.Status.PAID, "已付清"),
    (Deal.Status.CERTIFICATE_ISSUED, "已出凭证"),
    (Deal.Status.FUNDS_RELEASED, "已划转"),
    (Deal.Status.CLOSED, "已完成"),
]


def _steps(deal: Deal) -> list[dict[str, Any]]:
    order = [s for s, _label in STEPS]
    current = order.index(deal.status) if deal.status in order else -1  # type: ignore[arg-type]
    return [{"label": _(label), "done": i < current, "current": i == current} for i, (_s, label) in enumerate(STEPS)]


# --------------------------------------------------------------------------- member pages


@login_required
def member_deals(request: HttpRequest) -> HttpResponse:
    deals = list(selectors.member_deals(request.user))
    rows = [{"deal": d, "side": _side(d, request.user)} for d in deals]
    return render(request, "deals/member_deals.html", {"rows": rows})


@login_required
def member_deal(request: HttpRequest, pk: int) -> HttpResponse:
    deal, side = _party_deal(request, pk)
    if not side:
        return redirect("deals:staff_deal", pk=deal.pk)
    return render(request, "deals/member_deal.html", _deal_context(request, deal, side))


@require_POST
@login_required
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    deal, side = _party_deal(request, pk)
    wanted = request.POST.get("side") or side
    try:
        services.contract_sign(deal_id=deal.pk, actor=request.user, side=wanted)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认签署产权交易合同。"))
    return redirect("deals:member_deal", pk=deal.pk)


@login_required
def contract(request: HttpRequest, pk: int) -> HttpResponse:
    deal, side = _party_deal(request, pk, "deals.view_contract")
    context = {
        **documents.contract_context(deal),
        "side": side,
        "can_sign": _deal_context(request, deal, side)["can_sign"],
    }
    return render(request, "deals/contract.html", context)


@login_required
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    deal, _side_name = _party_deal(request, pk, "deals.view_contract")
    response = HttpResponse(documents.contract_pdf(deal), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{deal.contract.number}.pdf"'
    return response


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    deal, _side_name = _party_deal(request, pk, "deals.view_certificate")
    cert = _valid_certificate(deal)
    if cert is None:
        raise Http404
    data = documents.certificate_pdf(cert, verify_url=_verify_url(request, cert))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
    return response


def certificate_verify(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """Public: the facts of a certificate, reached only with its number *and* check code."""
    cert = selectors.certificate_for_verification(number, code)
    if cert is None:  # its own page: say that nothing valid matches, and what to do (status 404)
        response = render(request, "deals/certificate_invalid.html", {"number": number[:60]}, status=404)
        response["X-Robots-Tag"] = "noindex"
        return response
    response = render(request, "deals/certificate_verify.html", {"cert": cert, "facts": cert.facts})
    response["X-Robots-Tag"] = "noindex"
    return response


# --------------------------------------------------------------------------- staff pages


@staff_required("deals.view_deal")
def staff_deals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queue = request.GET.get("queue", "")
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.staff_deals(status=status if status in Deal.Status.values else "", queue=queue, q=q)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "queue": queue,
        "q": q,
        "statuses": Deal.Status.choices,
        "counts": selectors.queue_counts(),
        "today": clock.today(),
    }
    return render(request, "deals/staff_deals.html", context)


@staff_required("deals.view_deal")
def staff_deal(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal.objects.select_related("project", "buyer", "seller", "contract"), pk=pk)

    context = _deal_context(request, deal, "")
    history = list(audit.history(deal)[:30])
    for entry in history:
        action = (entry.additional_data or {}).get("action", "")
        entry.label = _(ACTION_LABELS[action]) if action in ACTION_LABELS else action
    context["history"] = history
    context["relistable"] = deal.status == Deal.Status.DEFAULTED and deal.relisted_at is None
    context["approval_documents"] = deal.project.attachments.filter(kind="approval_document")
    return render(request, "deals/staff_deal.html", context)


def _act(request: HttpRequest, pk: int, action: Callable[[], Any], done: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("deals:staff_deal", pk=pk)


@require_POST
@staff_required("deals.review_contract")
def staff_review(request: HttpRequest, pk: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    done = _("合同已审核通过，已生效。") if decision == "approve" else _("合同已退回。")
    return _act(
        request,
        pk,
        lambda: services.contract_review(deal_id=pk, actor=request.user, decision=decision, reason=reason),
        done,
    )


@require_POST
@staff_required("settlement.resolve_statementline")
def staff_payment(request: HttpRequest, pk: int) -> HttpResponse:
    def record() -> None:
        amount = parse_money(request.POST.get("amount", ""))
        services.deal_payment_record(
            deal_id=pk, amount=amount, reference=request.POST.get("reference", ""), actor=request.user
        )

    return _act(request, pk, record, _("已登记价款到账。"))


@require_POST
@staff_required("deals.record_default")
def staff_default(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda: services.deal_default(deal_id=pk, actor=request.user, reason=reason),
        _("已认定受让方违约。"),
    )


@require_POST
@staff_required("listings.manage_disclosure")
def staff_relist(request: HttpRequest, pk: int) -> HttpResponse:
    def relist() -> None:
        floor = parse_money(request.POST.get("floor_price", ""), field="floor_price")
        consent = request.POST.get("consent_attachment_id") or None
        services.deal_relist(
            deal_id=pk,
            actor=request.user,
            floor_price=floor,
            consent_attachment_id=int(consent) if consent and consent.isdigit() else None,
        )

    return _act(request, pk, relist, _("已重新挂牌，重新挂牌公告将于下一工作日发布。"))


@require_POST
@staff_required("deals.issue_certificate")
def staff_certificate_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda: services.certificate_issue(deal_id=pk, actor=request.user), _("交易凭证已出具。"))


@require_POST
@staff_required("deals.revoke_certificate")
def staff_certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    cert = _valid_certificate(deal)
    if cert is None:
        raise Http404
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda: services.certificate_revoke(certificate_id=cert.pk, actor=request.user, reason=reason),
        _("交易凭证已撤销。"),
    )
