"""Pages of the listings app: the public hall and project pages, notices, the roadshow Q&A,
the seller center and the staff review / disclosure pages. Thin: parse, call one service
or selector, render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from exchange.accounts.models import User
from exchange.core import audit, clock, uploads, workdays
from exchange.core.errors import DomainError, InvalidInput
from exchange.core.permissions import staff_required
from exchange.listings import categories, conf, selectors, services
from exchange.listings.categories import Category
from exchange.listings.forms import AnswerForm, AttachmentForm, ProjectForm, QuestionForm, ReviewForm
from exchange.listings.models import (
    EDITABLE_STATUSES,
    IN_REVIEW_STATUSES,
    Attachment,
    Notice,
    Project,
    ProjectChange,
    Question,
    Status,
    TradingMethod,
)

# --------------------------------------------------------------------------- public


@require_GET
def project_hall(request: HttpRequest) -> HttpResponse:
    """项目大厅: category channels, filters, sorting, pagination."""
    filters = selectors.HallFilters.parse(request.GET)
    page = selectors.HallPaginator(selectors.hall_projects(filters), conf.get("LISTINGS_HALL_PAGE_SIZE")).get_page(
        request.GET.get("page")
    )
    _label(page.object_list)
    context = {
        "page": page,
        "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filters": filters,
        "categories": Category.choices,
        "regions": selectors.hall_regions(),
        "methods": TradingMethod.choices,
        "statuses": [("open", _("披露中")), ("disclosure_ended", _("披露期满")), ("all", _("全部"))],
        "sorts": [
            ("new", _("最新挂牌")),
            ("ending", _("即将截止")),
            ("price_asc", _("价格从低到高")),
            ("price_desc", _("价格从高到低")),
            ("unit_price", _("单价")),
        ],
        "category_label": Category(filters.category).label if filters.category else "",
        "detail_prefix": reverse("listings:project_detail", args=[0])[:-2],  # "/projects/"
    }
    return render(request, "listings/hall.html", context)


def _label(projects: Any) -> None:
    """Set plain-text labels once per page: `get_FOO_display()` re-translates every choice
    of the field on each call, which dominated the hall's render time."""
    labels = {
        "category": {k: str(v) for k, v in Category.choices},
        "status": {k: str(v) for k, v in Status.choices},
        "trading_method": {k: str(v) for k, v in TradingMethod.choices},
    }
    for p in projects:
        p.category_label = labels["category"].get(p.category, p.category)
        p.status_label = labels["status"].get(p.status, p.status)
        p.method_label = labels["trading_method"].get(p.trading_method, p.trading_method)


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_for_page(pk, request.user)
    if project is None:
        raise Http404
    if project.is_public:
        services.project_viewed(project_id=project.pk)
    following = request.user.is_authenticated and project.follows.filter(user=request.user).exists()
    attachments = selectors.project_attachments(project, request.user)
    sections = _sections(project)
    context = {
        "project": project,
        "attributes": categories.display_attributes(project.category, project.attributes, section=categories.MAIN),
        "sections": [s for s in sections if s.key != categories.CONTACT],
        "contact": [s for s in sections if s.key == categories.CONTACT],
        "photos": [a for a in attachments if a.kind == Attachment.Kind.PHOTO],
        "videos": [a for a in attachments if a.kind == Attachment.Kind.VIDEO],
        "files": [a for a in attachments if a.kind not in (Attachment.Kind.PHOTO, Attachment.Kind.VIDEO)],
        "notices": selectors.project_notices(project),
        "questions": selectors.project_questions(project, request.user),
        "following": following,
        "question_form": QuestionForm(),
        "answer_form": AnswerForm(),
        "is_seller_side": services.is_seller_side(project, request.user),
        "now": clock.now(),
    }
    return render(request, "listings/detail.html", context)


def _sections(project: Project) -> list[categories.Section]:
    """The disclosure after 标的信息: company, shareholders, financials, valuation, and the
    contacts — the seller's, then the exchange's hotline (always there)."""
    sections = categories.disclosure_sections(
        project.category, project.attributes, valuation=project.valuation, valuation_date=project.valuation_date
    )
    contact = next((s for s in sections if s.key == categories.CONTACT), None)
    if contact is None:
        title = categories.spec(project.category).section_title(categories.CONTACT)
        contact = categories.Section(categories.CONTACT, title)
        sections.append(contact)
    contact.rows.append(categories.Row(_("交易中心咨询电话"), settings.EXCHANGE_HOTLINE))
    return sections


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(fallback)


@login_required
@require_POST
def project_follow(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        followed = services.follow_toggle(project_id=pk, user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("已关注该项目。") if followed else _("已取消关注。"))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect("listings:project_detail", pk=pk)


@login_required
@require_POST
def question_ask(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.question_ask(project_id=pk, actor=request.user, body=request.POST.get("body", ""))  # type: ignore[arg-type]
        messages.success(request, _("问题已提交，审核后公开。"))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect(f"/projects/{pk}/#qa")


@login_required
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = Question.objects.filter(pk=pk).only("project_id").first()
    if question is None:
        raise Http404
    try:
        services.question_answer(question_id=pk, actor=request.user, body=request.POST.get("body", ""))  # type: ignore[arg-type]
        messages.success(request, _("回答已保存。"))
    except DomainError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied from exc
        messages.error(request, exc.message)
    return redirect(f"/projects/{question.project_id}/#qa")


@login_required
@require_POST
def question_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    question = Question.objects.filter(pk=pk).only("project_id").first()
    if question is None:
        raise Http404
    try:
        services.question_moderate(question_id=pk, actor=request.user, publish=request.POST.get("publish") == "1")  # type: ignore[arg-type]
    except DomainError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied from exc
        messages.error(request, exc.message)
    return redirect(f"/projects/{question.project_id}/#qa")


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = Attachment.objects.select_related("project").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    project = attachment.project
    internal = selectors.can_see_internal(project, request.user)
    if not internal and not (project.is_public and attachment.is_public):
        raise Http404
    # type sniffed from the stored bytes, nosniff, a sandboxing CSP; only photos and videos inline
    cache = "private, no-store" if internal and not attachment.is_public else "private, max-age=3600"
    return uploads.serve(attachment.file, filename=attachment.original_name, cache_control=cache)


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """交易公告: every published notice, by kind and keyword, paginated."""

    kind = request.GET.get("kind", "")
    kind = kind if kind in Notice.Kind.values else ""
    q = selectors.notice_keyword(request.GET.get("q"))
    page = Paginator(selectors.published_notices(kind=kind, q=q), 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "kind": kind,
        "kinds": Notice.Kind.choices,
        "q": q,
        "q_max": conf.get("LISTINGS_NOTICE_SEARCH_MAX"),
        "query": urlencode({k: v for k, v in (("kind", kind), ("q", q)) if v}),  # kept by the page links
        "q_query": urlencode({"q": q}) if q else "",  # kept by the kind tabs
    }
    return render(request, "listings/notice_list.html", context)


@require_GET
def notice_detail(request: HttpRequest, number: str) -> HttpResponse:
    notice = Notice.objects.select_related("project").filter(number=number).first()
    if notice is None or (notice.published_at is None and not request.user.has_perm("listings.view_notice")):
        raise Http404
    context = {
        "notice": notice,
        "project": notice.project,
        "keep_until": services.notice_keep_until(notice),
        "show_body": not notice.is_withdrawn or request.user.has_perm("listings.view_notice"),
    }
    return render(request, "listings/notice_detail.html", context)


# --------------------------------------------------------------------------- seller center


def _seller_project(request: HttpRequest, pk: int) -> Project:
    project = Project.objects.select_related("region").filter(pk=pk).first()
    if project is None:
        raise Http404
    # the seller, its broker under a mandate in force, or staff who enter projects on a seller's behalf
    if not services.is_seller_side(project, request.user) and not request.user.has_perm("listings.change_project"):
        raise Http404
    return project


@login_required
@require_GET
def my_projects(request: HttpRequest) -> HttpResponse:
    projects = list(selectors.seller_projects(request.user))  # type: ignore[arg-type]
    groups = {
        "drafts": [p for p in projects if p.status in EDITABLE_STATUSES],
        "review": [p for p in projects if p.status in IN_REVIEW_STATUSES],
        "others": [p for p in projects if p.status not in (*EDITABLE_STATUSES, *IN_REVIEW_STATUSES)],
    }
    return render(request, "listings/seller/list.html", {"projects": projects, "groups": groups,
                                                         "categories": Category.choices})  # fmt: skip


def _apply_error(form: Any, exc: DomainError) -> None:
    field = exc.data.get("field")
    if field == "region_id":
        field = "region"
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    if category not in Category.values:
        return render(request, "listings/seller/choose.html", {"categories": Category.choices})
    form = ProjectForm(request.POST or None, category=category, initial={
        "disclosure_wd": services.minimum_periods(category, Decimal(0))[0], "extension_wd": 5,
        "max_extension_cycles": 3, "allow_extension": True, "pre_disclosure_wd": 0,
    })  # fmt: skip
    acts_for_others = request.user.has_perm("listings.add_project") or services.is_broker(request.user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            seller = None
            phone = request.POST.get("seller_phone", "").strip()
            if phone and acts_for_others:
                seller = User.objects.filter(phone=phone, is_staff=False).first()
                if seller is None:
                    raise InvalidInput(_("没有手机号为 %(phone)s 的会员。") % {"phone": phone[:20]})
            project = services.project_create(
                actor=request.user,  # type: ignore[arg-type]
                seller=seller,
                category=category,
                **form.service_data(),
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("草稿已保存，请上传评估报告等附件后提交审核。"))
            return redirect("listings:my_project", pk=project.pk)
    return render(
        request,
        "listings/seller/form.html",
        {"form": form, "category": Category(category), "acts_for_others": acts_for_others},
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _seller_project(request, pk)
    if project.status not in EDITABLE_STATUSES:
        messages.error(request, _("项目已提交或已发布，内容不能直接修改。"))
        return redirect("listings:my_project", pk=pk)
    form = ProjectForm(request.POST or None, category=project.category, initial=ProjectForm.initial_from(project))
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(project_id=pk, actor=request.user, **form.service_data())  # type: ignore[arg-type]
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("listings:my_project", pk=pk)
    return render(
        request, "listings/seller/form.html", {"form": form, "category": Category(project.category), "project": project}
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_project(request: HttpRequest, pk: int) -> HttpResponse:
    """The seller's view of one project: status timeline, review comments, attachments, actions."""
    project = _seller_project(request, pk)
    attachment_form = AttachmentForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "submit":
                services.project_submit(project_id=pk, actor=request.user)  # type: ignore[arg-type]
                messages.success(request, _("已提交审核。"))
            elif action == "upload":
                attachment_form = AttachmentForm(request.POST, request.FILES)
                if not attachment_form.is_valid():
                    raise services.AttachmentRejected(_("请选择附件类型和文件。"))
                services.attachment_add(
                    project_id=pk, actor=request.user, kind=attachment_form.cleaned_data["kind"],  # type: ignore[arg-type]
                    upload=attachment_form.cleaned_data["file"], caption=attachment_form.cleaned_data["caption"],
                )  # fmt: skip
                messages.success(request, _("附件已上传。"))
            elif action == "delete_attachment":
                services.attachment_delete(attachment_id=int(request.POST.get("attachment", 0)), actor=request.user)  # type: ignore[arg-type]
                messages.success(request, _("附件已删除。"))
            elif action == "withdraw":
                services.project_terminate(project_id=pk, actor=request.user, reason=_("转让方撤回申请"))  # type: ignore[arg-type]
                messages.success(request, _("申请已撤回。"))
            elif action == "change":
                services.change_propose(
                    project_id=pk, actor=request.user,  # type: ignore[arg-type]
                    changes={request.POST.get("field", ""): request.POST.get("value", "")},
                    reason=request.POST.get("reason", ""),
                )  # fmt: skip
                messages.success(request, _("变更申请已提交，审核通过后发布变更公告。"))
            else:
                messages.error(request, _("未知操作。"))
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("listings:my_project", pk=pk)
    context = {
        "project": project,
        "attributes": categories.display_attributes(project.category, project.attributes, section=categories.MAIN),
        "sections": _sections(project),
        "attachments": project.attachments.all(),
        "reviews": project.reviews.select_related("actor", "change"),
        "notices": project.notices.order_by("publish_at"),
        "changes": project.changes.all(),
        "history": _timeline(project),
        "attachment_form": attachment_form,
        "editable": project.status in EDITABLE_STATUSES,
        "changeable": project.status in (Status.PRE_DISCLOSURE, Status.DISCLOSURE, Status.EXTENDED),
        "change_fields": [
            ("payment_terms", _("价款支付方式")),
            ("buyer_conditions", _("受让方资格条件")),
            ("description", _("项目介绍")),
        ],
    }
    return render(request, "listings/seller/detail.html", context)


def _timeline(project: Project) -> list[dict[str, Any]]:
    """Status changes from the audit trail, oldest first."""

    out = []
    for entry in reversed(list(audit.history(project)[:100])):
        if entry.action == entry.Action.CREATE:
            continue  # shown as "创建草稿"
        change = entry.changes_dict if hasattr(entry, "changes_dict") else {}
        if "status" in change:
            new = change["status"][1]
            label = Status(new).label if new in Status.values else new
            out.append({"at": entry.timestamp, "label": label, "actor": entry.actor})
    return out


# --------------------------------------------------------------------------- staff


@staff_required("listings.view_project")
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """待我审核: applications and changes at the steps this staff member decides."""
    step = request.GET.get("step", "")
    context = selectors.review_queue(request.user, step)  # type: ignore[arg-type]
    now = clock.now()
    sla = dt.timedelta(hours=conf.get("LISTINGS_REVIEW_SLA_HOURS"))
    context["projects"] = list(context["projects"])
    for project in context["projects"]:
        project.overdue = bool(project.step_started_at and now - project.step_started_at > sla)
        project.current_step_label = services.current_step(project, project.category).label_display
    context["step"] = step
    context["sla_hours"] = conf.get("LISTINGS_REVIEW_SLA_HOURS")
    context["now"] = clock.now()
    return render(request, "listings/staff/queue.html", context)


@staff_required("listings.view_project")
@require_GET
def disclosure_calendar(request: HttpRequest) -> HttpResponse:
    """A month of disclosure ends (披露截止日历)."""
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        month = clock.today().replace(day=1)
    by_day = selectors.disclosure_calendar(month)
    first = month.replace(day=1)
    start = first - dt.timedelta(days=first.weekday())
    weeks = []
    day = start

    while True:
        week = []
        for _i in range(7):
            week.append({"date": day, "in_month": day.month == first.month, "projects": by_day.get(day, []),
                         "workday": workdays.is_workday(day)})  # fmt: skip
            day += dt.timedelta(days=1)
        weeks.append(week)
        if day.month != first.month and day > first:
            break
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    ended = Project.objects.filter(status=Status.DISCLOSURE_ENDED).only("pk", "code", "title", "ends_at")[:50]
    return render(request, "listings/staff/calendar.html", {
        "month": first, "weeks": weeks, "prev": prev_month, "next": next_month, "ended": ended,
    })  # fmt: skip


@staff_required("listings.view_project")
@require_http_methods(["GET", "POST"])
def staff_project(request: HttpRequest, pk: int) -> HttpResponse:
    """One project for staff: review decision, disclosure actions, notices; each POST calls one service."""
    project = Project.objects.select_related("region", "seller", "broker").filter(pk=pk).first()
    if project is None:
        raise Http404
    if request.method == "POST":
        _staff_action(request, project)
        return redirect("listings:staff_project", pk=pk)
    step = services.current_step(project, project.category) if project.status in IN_REVIEW_STATUSES else None
    today = clock.today()
    notices: list[Any] = list(project.notices.order_by("-publish_at"))
    for notice in notices:
        notice.project = project
        notice.keep_until = services.notice_keep_until(notice)  # the state-owned 成交公告's minimum
    context = {
        "project": project,
        "attributes": categories.display_attributes(project.category, project.attributes, section=categories.MAIN),
        "sections": _sections(project),
        "attachments": project.attachments.all(),
        "reviews": project.reviews.select_related("actor", "change"),
        "notices": notices,
        "withdrawable": [
            n for n in notices if n.published_at and not n.withdrawn_at and not (n.keep_until and n.keep_until >= today)
        ],
        "changes": project.changes.select_related("proposed_by"),
        "pending_change": project.changes.filter(status=ProjectChange.Status.PENDING).first(),
        "step": step,
        "can_review": step is not None and request.user.has_perm(step.permission),
        "review_form": ReviewForm(),
        "can_manage": request.user.has_perm("listings.manage_disclosure"),
        "can_publish": request.user.has_perm("listings.publish_notice"),
        "chain": conf.approval_chain(project.category),
        "resume_wd": services.resume_remaining_wd(project) if project.status == Status.SUSPENDED else None,
        "approval_docs": project.attachments.filter(kind=Attachment.Kind.APPROVAL_DOCUMENT),
        "history": _timeline(project),
        "today": today,
    }
    return render(request, "listings/staff/project.html", context)


def _staff_action(request: HttpRequest, project: Project) -> None:
    post = request.POST
    action = post.get("action", "")
    actor: Any = request.user
    try:
        if action == "review":
            services.project_review(project_id=project.pk, actor=actor, decision=post.get("decision", ""),
                                    comment=post.get("comment", ""))  # fmt: skip
        elif action == "review_change":
            services.change_review(change_id=int(post.get("change", 0)), actor=actor,
                                   decision=post.get("decision", ""), comment=post.get("comment", ""))  # fmt: skip
        elif action == "extend":
            services.project_extend(project_id=project.pk, actor=actor)
        elif action == "relist":
            services.project_relist(
                project_id=project.pk, actor=actor, floor_price=_decimal(post.get("floor_price", "")),
                consent_attachment_id=int(post.get("consent") or 0) or None,
                new_valuation=_decimal(post["new_valuation"]) if post.get("new_valuation") else None,
            )  # fmt: skip
        elif action == "suspend":
            services.project_suspend(project_id=project.pk, actor=actor, reason=post.get("reason", ""),
                                     until=dt.date.fromisoformat(post.get("until", "")))  # fmt: skip
        elif action == "resume":
            services.project_resume(project_id=project.pk, actor=actor)
        elif action == "terminate":
            services.project_terminate(project_id=project.pk, actor=actor, reason=post.get("reason", ""))
        elif action == "clarification":
            services.clarification_publish(project_id=project.pk, actor=actor, title=post.get("title", ""),
                                           body=post.get("body", ""))  # fmt: skip
        elif action == "qa_notice":
            services.qa_notice_publish(project_id=project.pk, actor=actor)
        elif action == "recompute":
            services.project_dates_recompute(project_id=project.pk, actor=actor)
        elif action == "withdraw_notice":
            notice_id = int(post.get("notice") or 0)
            if not Notice.objects.filter(pk=notice_id, project=project).exists():
                raise ValueError(notice_id)
            services.notice_withdraw(notice_id=notice_id, actor=actor, reason=post.get("reason", ""))
        else:
            messages.error(request, _("未知操作。"))
            return
        messages.success(request, _("操作成功。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValueError:
        messages.error(request, _("输入有误。"))


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(text) from None
