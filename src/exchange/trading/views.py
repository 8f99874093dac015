"""Pages of the buyer side. Thin: parse → one service → render.

Members: apply (报名受让), their applications with timeline and deposit instruction,
withdraw. Sellers: the applicants of their own project and their opinion. Staff: the
review queue (counts, SLA deadlines), the review page, a project's trading terms.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exchange.core import clock, uploads
from exchange.core.errors import DomainError
from exchange.core.money import parse_money
from exchange.core.text import PlainTextField
from exchange.core.widgets import MoneyInput, MoneyNumberInput
from exchange.listings.models import Project
from exchange.trading import conf, selectors, services
from exchange.trading.models import IN_REVIEW, Application, Material, NoBuyer, Status


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


def _raise_http(exc: DomainError) -> None:
    if exc.status == 404:
        raise Http404 from exc
    if exc.code == "permission_denied":
        raise PermissionDenied from exc


# --------------------------------------------------------------------------- member: apply


class ApplyForm(forms.Form):
    bid_floor = forms.CharField(label=gettext_lazy("意向报价（元）"), required=False, max_length=24, widget=MoneyInput)
    contact_name = PlainTextField(label=gettext_lazy("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False)
    accept_commitment = forms.BooleanField(label=gettext_lazy("我已阅读并接受《受让资格承诺函》"), required=False)


def _consortium(post: Any) -> list[services.Partner]:
    partners = []
    names, numbers, shares = post.getlist("c_name"), post.getlist("c_id"), post.getlist("c_share")
    for name, number, share in zip(names, numbers, shares, strict=False):
        if not (name or number or share):
            continue
        try:
            value = Decimal(share.strip() or "0")
        except Exception:
            value = Decimal("-1")
        partners.append(services.Partner(name=name, id_number=number, share=value))
    return partners


@login_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """报名受让: materials, 意向报价, commitment letter, consortium (where allowed)."""
    project = get_object_or_404(Project, pk=pk, is_public=True)
    terms = services.terms_ensure(project_id=project.pk)
    kinds = services.required_materials(terms, request.user)  # type: ignore[arg-type]
    refusal = services.applicant_refusal(project, request.user)
    if refusal and request.method == "GET":  # say it before the buyer fills in anything
        messages.error(request, refusal)
        return redirect(project.get_absolute_url())
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            raw = form.cleaned_data["bid_floor"].replace(",", "").strip()
            bid_floor = parse_money(raw) if raw else None
            app = services.application_submit(
                project_id=project.pk,
                applicant=request.user,  # type: ignore[arg-type]
                materials={k: f for k in request.FILES if k in conf.MATERIAL_LABELS and (f := request.FILES.get(k))},
                commitment_accepted=form.cleaned_data["accept_commitment"],
                bid_floor=bid_floor,
                consortium=_consortium(request.POST) if terms.allow_consortium else (),
                contact_name=form.cleaned_data["contact_name"],
                contact_phone=form.cleaned_data["contact_phone"],
            )
            messages.success(request, _("受让申请已提交，请等待交易中心资格审核。"))
            return redirect("trading:application", pk=app.pk)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            field = {"commitment": "accept_commitment"}.get(exc.data.get("field", ""), exc.data.get("field"))
            form.add_error(field if field in form.fields else None, exc.message)
    commitment = _commitment_text(project)
    return render(
        request,
        "trading/apply.html",
        {
            "project": project,
            "terms": terms,
            "form": form,
            "kinds": [(k, conf.MATERIAL_LABELS[k]) for k in kinds],
            "commitment_text": commitment,
            "commitment_version": conf.get("TRADING_COMMITMENT_VERSION"),
            "conditions": services.condition_items(project.buyer_conditions),
            "existing": selectors.application_for(project.pk, request.user.pk or 0),
        },
    )


def _commitment_text(project: Project) -> str:
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils.translation import get_language

    chinese = (get_language() or "zh").startswith("zh")
    name = settings.EXCHANGE_NAME if chinese else settings.EXCHANGE_NAME_EN
    return render_to_string("trading/commitment.txt", {"project": project, "exchange_name": name}).strip()


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    """我的受让申请."""
    return render(request, "trading/my_applications.html", {"applications": selectors.my_applications(request.user)})


def _own(request: HttpRequest, pk: int) -> Application:
    app = get_object_or_404(Application.objects.select_related("project", "applicant"), pk=pk)
    if app.applicant_id != request.user.pk and not request.user.has_perm("trading.view_application"):
        raise Http404
    return app


@login_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: status timeline, deposit instruction, bidder number, auction link."""
    app = _own(request, pk)
    auction_url = ""
    if app.auction_id:
        from exchange.bidding.services import auction_url as url_of

        auction_url = url_of(app.auction_id)
    from exchange.settlement import conf as settlement_conf

    return render(
        request,
        "trading/application.html",
        {
            "app": app,
            "timeline": selectors.timeline(app),
            "instruction": selectors.deposit_instruction(app),
            "bank": settlement_conf.settlement_bank(),
            "auction_url": auction_url,
            "materials": app.materials.all(),
            "consortium": app.consortium.all(),
            "can_withdraw": app.applicant_id == request.user.pk
            and not app.auction_id
            and app.status in (*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED),
            "now": clock.now(),
        },
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.application_withdraw(
            application_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("受让申请已撤回。"))
    except DomainError as exc:
        if exc.status == 404:  # missing or someone else's: the same answer (no existence oracle)
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect("trading:application", pk=pk)


@login_required
def material(request: HttpRequest, pk: int) -> FileResponse:
    """A material file: to the applicant, staff with `view_material`, and the project's seller
    side only while the application awaits the seller's opinion the terms ask for."""
    item = get_object_or_404(Material.objects.select_related("application__project"), pk=pk)
    app = item.application
    allowed = (
        app.applicant_id == request.user.pk
        or request.user.has_perm("trading.view_material")
        or _seller_may_see(request.user, app)
    )
    if not allowed:
        raise Http404
    # type sniffed from the stored bytes, nosniff, a sandboxing CSP; images inline, else a download
    response = uploads.serve(item.file, filename=item.original_name)
    response["Cache-Control"] = "private, no-store"
    return response


def _seller_side(user: Any, project: Project) -> bool:
    from exchange.listings.services import is_seller_side

    return is_seller_side(project, user)


def _seller_may_see(user: Any, app: Application) -> bool:
    """The seller side sees an applicant only while it awaits the seller's opinion."""
    return _seller_side(user, app.project) and selectors.awaiting_seller_opinion(app.project).filter(pk=app.pk).exists()


# --------------------------------------------------------------------------- seller


@login_required
def seller_applicants(request: HttpRequest, pk: int) -> HttpResponse:
    """The applications awaiting the seller's opinion — only where the terms ask for it, only
    during the review; nobody else (and no bidder before the result) is shown to the seller."""
    project = get_object_or_404(Project, pk=pk)
    if not _seller_side(request.user, project):
        raise Http404
    terms = services.terms_ensure(project_id=project.pk)
    return render(
        request,
        "trading/seller_applicants.html",
        {"project": project, "terms": terms, "applications": selectors.awaiting_seller_opinion(project)},
    )


@login_required
@require_POST
def seller_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(Application.objects.select_related("project"), pk=pk)
    if not _seller_side(request.user, app.project):
        raise Http404
    try:
        services.seller_opinion_give(
            application_id=pk,
            actor=request.user,  # type: ignore[arg-type]
            agree=request.POST.get("agree") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("意见已提交。"))
    except DomainError as exc:
        _raise_http(exc)
        messages.error(request, exc.message)
    return redirect("trading:seller_applicants", pk=app.project_id)


# --------------------------------------------------------------------------- staff


@staff_perm("trading.view_application")
def staff_queue(request: HttpRequest) -> HttpResponse:
    """待审核的受让申请 (oldest first, overdue marked) and rounds without buyers."""
    now = clock.now()
    rows = list(selectors.review_queue())
    for app in rows:
        app.overdue = bool(app.review_due_at and app.review_due_at < now)  # type: ignore[attr-defined]
    return render(
        request,
        "trading/staff_queue.html",
        {
            "applications": rows,
            "overdue": sum(1 for a in rows if getattr(a, "overdue", False)),
            "relist": selectors.relist_queue().select_related("project"),
            "tab": request.GET.get("tab", ""),
            "sla": conf.get("TRADING_REVIEW_SLA_WORKDAYS"),
            "now": now,
        },
    )


@staff_perm("trading.view_application")
def staff_application(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page: applicant, materials, consortium, seller opinion, decision form."""
    app = get_object_or_404(Application.objects.select_related("project", "applicant", "first_reviewer"), pk=pk)
    error = ""
    if request.method == "POST":
        if not request.user.has_perm("trading.review_application"):
            raise PermissionDenied
        try:
            services.application_review(
                application_id=pk,
                actor=request.user,  # type: ignore[arg-type]
                decision=request.POST.get("decision", ""),
                reasons=request.POST.getlist("reasons"),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("审核意见已保存。"))
            return redirect("trading:staff_application", pk=pk)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            error = exc.message
    terms = services.terms_ensure(project_id=app.project_id)
    return render(
        request,
        "trading/staff_application.html",
        {
            "app": app,
            "terms": terms,
            "conditions": services.condition_items(app.project.buyer_conditions),
            "materials": app.materials.all(),
            "consortium": app.consortium.all(),
            "reviews": app.reviews.select_related("actor"),
            "timeline": selectors.timeline(app),
            "instruction": selectors.deposit_instruction(app),
            "can_review": request.user.has_perm("trading.review_application") and app.status in IN_REVIEW,
            "error": error,
            "applicants": selectors.project_applicants(app.project_id),
        },
    )


class TermsForm(forms.Form):
    allow_consortium = forms.BooleanField(label=gettext_lazy("接受联合受让（联合体）"), required=False)
    require_bid_floor = forms.BooleanField(label=gettext_lazy("须填写意向报价（不低于转让底价）"), required=False)
    seller_opinion_required = forms.BooleanField(label=gettext_lazy("资格确认须征求转让方意见"), required=False)
    joint_review = forms.BooleanField(label=gettext_lazy("双人审核（两名经办人）"), required=False)
    on_no_buyer = forms.ChoiceField(label=gettext_lazy("未征集到竞买人时"), choices=NoBuyer.choices)
    increment = forms.DecimalField(
        label=gettext_lazy("加价幅度（元）"), min_value=Decimal("0.01"), decimal_places=2, widget=MoneyNumberInput
    )
    countdown_seconds = forms.IntegerField(label=gettext_lazy("限时报价倒计时（秒）"), min_value=1)
    free_period_seconds = forms.IntegerField(label=gettext_lazy("自由报价期/竞价时长（秒）"), min_value=1)
    window_seconds = forms.IntegerField(label=gettext_lazy("延时触发窗口 W（秒）"), min_value=1)
    extension_seconds = forms.IntegerField(label=gettext_lazy("延时时长 E（秒）"), min_value=1)
    materials = forms.MultipleChoiceField(
        label=gettext_lazy("须提交的材料"),
        choices=list(conf.MATERIAL_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    holders = forms.CharField(
        label=gettext_lazy("优先购买权人"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一人：会员手机号或会员编号, 顺位（数字越大顺位越高）"),
    )


def _parse_holders(text: str) -> list[tuple[int, int]]:
    from django.db.models import Q

    from exchange.accounts.models import User

    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 2 or not parts[1].isdigit():
            raise services.InvalidInput(_("优先购买权人格式：手机号或会员编号, 顺位。"), field="holders")
        user = User.objects.filter(Q(phone=parts[0]) | Q(member_no=parts[0])).first()
        if user is None:
            raise services.InvalidInput(_("找不到会员：%(m)s。") % {"m": parts[0]}, field="holders")
        out.append((user.pk, int(parts[1])))
    return out


@staff_perm("trading.view_tradingterms")
def staff_terms(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's trading terms (交易规则), edited by 业务审核 / 部门经理."""
    project = get_object_or_404(Project, pk=pk)
    terms = services.terms_ensure(project_id=project.pk)
    holders = terms.holders.select_related("member")
    initial = {f: getattr(terms, f) for f in services._TERM_FIELDS}
    initial["holders"] = "\n".join(f"{h.member.phone}, {h.rank}" for h in holders)
    form = TermsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.user.has_perm("trading.change_tradingterms"):
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                parsed = _parse_holders(data.pop("holders"))
                services.terms_update(project_id=project.pk, actor=request.user, holders=parsed, **data)
                messages.success(request, _("交易规则已保存。"))
                return redirect("trading:staff_terms", pk=pk)
            except DomainError as exc:
                field = exc.data.get("field")
                form.add_error(field if field in form.fields else None, exc.message)
    return render(request, "trading/staff_terms.html", {"project": project, "terms": terms, "form": form})
