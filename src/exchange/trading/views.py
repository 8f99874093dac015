"""Pages of the buyer side. Thin: parse → one service → render.

Members: apply (报名受让), their applications with timeline and deposit instruction,
withdraw. Sellers: the applicants of their own project and their opinion. Staff: the
review queue (counts, SLA deadlines), the review page, a project's trading terms.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from exchange.accounts.models import User
from exchange.bidding.services import auction_url as url_of
from exchange.core import clock, uploads
from exchange.core.errors import DomainError, NotFound
from exchange.core.money import parse_money
from exchange.core.permissions import staff_required
from exchange.core.text import PlainTextField
from exchange.core.widgets import MoneyInput, MoneyNumberInput
from exchange.listings import selectors as listings_selectors
from exchange.listings.services import is_seller_side
from exchange.settlement import conf as settlement_conf
from exchange.trading import commitment, conf, selectors, services
from exchange.trading.models import (
    ACTIVE_STATUSES,
    IN_REVIEW,
    Application,
    CommitmentMethod,
    Material,
    MaterialDraft,
    NoBuyer,
    Status,
)

if TYPE_CHECKING:
    from exchange.listings.models import Project

ONLINE, UPLOAD = CommitmentMethod.ONLINE.value, CommitmentMethod.UPLOAD.value


def _project_or_404(pk: int, *, public_only: bool = False) -> Project:
    project = listings_selectors.project_get(pk, public_only=public_only)
    if project is None:
        raise Http404
    return project


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
    commitment_mode = forms.CharField(label=gettext_lazy("承诺方式"), max_length=10, required=False)  # online | upload
    accept_commitment = forms.BooleanField(label=gettext_lazy("我已阅读并接受上述《受让资格承诺函》"), required=False)


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


def _consortium_rows(post: Any) -> list[tuple[str, str, str]]:
    """The consortium table as typed (three rows at least), to show it again after an error."""
    rows = list(zip(post.getlist("c_name"), post.getlist("c_id"), post.getlist("c_share"), strict=False))[:10]
    return [(n[:100], i[:30], s[:10]) for n, i, s in rows] + [("", "", "")] * max(0, 3 - len(rows))


def _posted_drafts(request: HttpRequest, project: Project) -> dict[str, MaterialDraft]:
    """The drafts the form names (`draft_<kind>`): only the member's own drafts of this
    project, of that kind — any other id is a missing object (404)."""
    ids: dict[str, int] = {}
    for kind in conf.MATERIAL_LABELS:
        raw = (request.POST.get(f"draft_{kind}") or "").strip()
        if raw:
            if not raw.isdigit() or len(raw) > 18:
                raise Http404
            ids[kind] = int(raw)
    found = {d.pk: d for d in selectors.drafts_of(request.user.pk or 0, project.pk, list(ids.values()))}
    drafts = {}
    for kind, pk in ids.items():
        draft = found.get(pk)
        if draft is None or draft.kind != kind:
            raise Http404
        drafts[kind] = draft
    return drafts


def _keep_uploads(
    request: HttpRequest, project: Project, allowed: set[str], drafts: dict[str, MaterialDraft], form: ApplyForm
) -> dict[str, str]:
    """Files sent with the form (without JavaScript) are kept as drafts first, whatever else
    is wrong with the form, so that the page shows them again. Returns errors by kind."""
    errors: dict[str, str] = {}
    for kind in conf.MATERIAL_LABELS:
        upload = request.FILES.get(kind)
        if upload is None or kind not in allowed:
            continue
        try:
            drafts[kind] = services.draft_upload(
                project_id=project.pk,
                member=request.user,  # type: ignore[arg-type]
                kind=kind,
                upload=upload,
                replaces=drafts[kind].pk if kind in drafts else None,
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            if isinstance(exc, services.MaterialRejected | services.DraftLimit):
                errors[kind] = exc.message
            else:  # not allowed to apply, or not now: the same for every file
                form.add_error(None, exc.message)
                errors["__all__"] = exc.message
                break
    return errors


@login_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """报名受让: materials (uploaded as they are chosen, or with the form; kept as drafts
    across errors), 意向报价, the 受让资格承诺函 (accepted online or signed and uploaded),
    consortium (where allowed)."""
    project = _project_or_404(pk, public_only=True)
    terms = services.terms_ensure(project_id=project.pk)
    user: Any = request.user
    kinds = services.required_materials(terms, user)
    refusal = services.applicant_refusal(project, user)
    if refusal and request.method == "GET":  # say it before the buyer fills in anything
        messages.error(request, refusal)
        return redirect(project.get_absolute_url())
    existing = selectors.application_for(project.pk, user.pk or 0)
    form = ApplyForm(request.POST or None)
    file_errors: dict[str, str] = {}
    if request.method != "POST":
        drafts = selectors.latest_drafts(user.pk, project.pk)
    elif existing is not None and existing.status in ACTIVE_STATUSES:  # e.g. the form sent twice
        messages.info(request, _("您已报名本项目。"))
        return redirect("trading:application", pk=existing.pk)
    else:
        drafts = _posted_drafts(request, project)
        file_errors = _keep_uploads(request, project, {*kinds, conf.COMMITMENT}, drafts, form)
        removing = request.POST.get("remove_draft", "")
        if removing:  # the remove button without JavaScript: drop it, show the form again
            draft = next((d for d in drafts.values() if str(d.pk) == removing), None)
            if draft is None:
                raise Http404
            services.draft_remove(draft_id=draft.pk, member=user)
            drafts.pop(draft.kind)
            messages.success(request, _("已移除文件：%(name)s") % {"name": draft.original_name})
        elif form.is_valid() and not file_errors:
            online = (form.cleaned_data["commitment_mode"] or ONLINE) == ONLINE
            try:
                raw = form.cleaned_data["bid_floor"].replace(",", "").strip()
                bid_floor = parse_money(raw) if raw else None
                app = services.application_submit(
                    project_id=project.pk,
                    applicant=user,
                    drafts={k: d.pk for k, d in drafts.items() if k in kinds or (k == conf.COMMITMENT and not online)},
                    commitment_accepted=online and form.cleaned_data["accept_commitment"],
                    commitment_sha256=request.POST.get("commitment_sha256", "")[:64] if online else "",
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
                field = exc.data.get("field", "")
                if field == conf.COMMITMENT and online:
                    form.add_error("accept_commitment", exc.message)
                elif field in conf.MATERIAL_LABELS:
                    file_errors[field] = exc.message
                else:
                    form.add_error(field if field in form.fields else None, exc.message)
    mode = form["commitment_mode"].value() if form.is_bound else ONLINE
    return render(
        request,
        "trading/apply.html",
        {
            "project": project,
            "terms": terms,
            "form": form,
            "materials": [(k, conf.MATERIAL_LABELS[k], drafts.get(k), file_errors.get(k, "")) for k in kinds],
            "commitment_draft": drafts.get(conf.COMMITMENT),
            "commitment_error": file_errors.get(conf.COMMITMENT, ""),
            "commitment_mode": mode if mode in (ONLINE, UPLOAD) else ONLINE,
            "letter": commitment.letter(project, user),
            "conditions": services.condition_items(project.buyer_conditions),
            "consortium_rows": _consortium_rows(request.POST) if form.is_bound else [("", "", "")] * 3,
            "existing": existing,
            "material_types": ",".join(f".{t}" for t in conf.get("TRADING_MATERIAL_TYPES")),
            "material_max_bytes": conf.get("TRADING_MATERIAL_MAX_BYTES"),
        },
    )


def _draft_json(draft: MaterialDraft) -> dict[str, Any]:
    return {
        "id": draft.pk,
        "kind": draft.kind,
        "label": draft.label,
        "name": draft.original_name,
        "size": draft.size,
        "size_display": str(filesizeformat(draft.size)),
        "url": reverse("trading:draft", args=[draft.pk]),
        "remove_url": reverse("trading:draft_remove", args=[draft.pk]),
    }


def _json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def draft_upload(request: HttpRequest, pk: int) -> JsonResponse:
    """One file of the application form, uploaded as it is chosen: kept as the member's draft
    for the project (`services.draft_upload`); answers its id (JSON), or the refusal."""
    kind = (request.POST.get("kind") or "")[:30]
    upload = request.FILES.get("file")
    raw = (request.POST.get("replaces") or "").strip()
    try:
        if raw and (not raw.isdigit() or len(raw) > 18):
            raise NotFound(_("材料文件不存在，请重新上传。"))
        draft = services.draft_upload(
            project_id=pk,
            member=request.user,  # type: ignore[arg-type]
            kind=kind,
            upload=upload,
            replaces=int(raw) if raw else None,
        )
    except DomainError as exc:
        return _json_error(exc)
    return JsonResponse(_draft_json(draft), status=201, json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def draft_remove(request: HttpRequest, pk: int) -> JsonResponse:
    """Remove one of my drafts (JSON; the form's own remove button works without it)."""
    try:
        services.draft_remove(draft_id=pk, member=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        return _json_error(exc)
    return JsonResponse({"removed": pk})


@login_required
def draft(request: HttpRequest, pk: int) -> FileResponse:
    """A draft's file, to its member only (anyone else: 404, as for a missing one)."""
    item = get_object_or_404(MaterialDraft, pk=pk, member_id=request.user.pk)
    return uploads.serve(item.file, filename=item.original_name)


@login_required
def commitment_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The 受让资格承诺函 of this project as a PDF to sign (the text the form shows, with the
    member's name filled in)."""
    project = _project_or_404(pk, public_only=True)
    response = HttpResponse(commitment.letter_pdf(project, request.user), content_type="application/pdf")
    name = f"commitment-{project.code or project.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
        auction_url = url_of(app.auction_id)

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
    return is_seller_side(project, user)


def _seller_may_see(user: Any, app: Application) -> bool:
    """The seller side sees an applicant only while it awaits the seller's opinion."""
    return _seller_side(user, app.project) and selectors.awaiting_seller_opinion(app.project).filter(pk=app.pk).exists()


# --------------------------------------------------------------------------- seller


@login_required
def seller_applicants(request: HttpRequest, pk: int) -> HttpResponse:
    """The applications awaiting the seller's opinion — only where the terms ask for it, only
    during the review; nobody else (and no bidder before the result) is shown to the seller."""
    project = _project_or_404(pk)
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


@staff_required("trading.view_application")
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


@staff_required("trading.view_application")
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


@staff_required("trading.view_tradingterms")
def staff_terms(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's trading terms (交易规则), edited by 业务审核 / 部门经理."""
    project = _project_or_404(pk)
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
