"""Commands that change projects (挂牌项目) and everything around them.

Every service is one transaction: it locks the project row (`_lock`), checks, writes and
audits; on any refusal (a DomainError) nothing is written. Status changes go through the
one guarded `_transition` over the `TRANSITIONS` map. Time comes from `core.clock`, dates
from `core.workdays` (China's calendar with 调休).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.accounts.models import User
from exchange.core import audit, clock, uploads, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.models import Region
from exchange.core.money import format_yuan, quantize_money
from exchange.core.text import clean_name
from exchange.listings import categories, conf
from exchange.listings.categories import Category
from exchange.listings.models import (
    EDITABLE_STATUSES,
    IN_REVIEW_STATUSES,
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Answer,
    Attachment,
    CodeCounter,
    Follow,
    Notice,
    Project,
    ProjectChange,
    ProjectReview,
    Question,
    Status,
    TradingMethod,
)

# --------------------------------------------------------------------------- errors


class PeriodTooShort(InvalidInput):
    code = "period_too_short"


class NotAWorkday(InvalidInput):
    code = "not_a_workday"


class FloorBelowValuation(InvalidInput):
    code = "floor_below_valuation"


class ConsentRequired(InvalidInput):
    code = "consent_required"


class AttachmentRejected(InvalidInput):
    code = "attachment_rejected"


class RelistStopped(IllegalTransition):
    code = "relist_stopped"


class PublicityPeriodRunning(IllegalTransition):
    code = "publicity_period_running"
    default_message = gettext_lazy("公告仍在法定公示期内，不能撤回。")


class ExtensionNotAllowed(IllegalTransition):
    code = "extension_not_allowed"


# --------------------------------------------------------------------------- state machine

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.TERMINATED}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.SCHEDULED, S.RETURNED, S.REJECTED, S.TERMINATED}),
    S.UNDER_REVIEW: frozenset({S.SCHEDULED, S.RETURNED, S.REJECTED, S.TERMINATED}),
    S.RETURNED: frozenset({S.SUBMITTED, S.TERMINATED}),
    S.REJECTED: frozenset(),
    S.SCHEDULED: frozenset({S.PRE_DISCLOSURE, S.DISCLOSURE, S.TERMINATED}),
    S.PRE_DISCLOSURE: frozenset({S.DISCLOSURE, S.TERMINATED}),
    S.DISCLOSURE: frozenset({S.DISCLOSURE_ENDED, S.SUSPENDED, S.TERMINATED}),
    S.EXTENDED: frozenset({S.DISCLOSURE_ENDED, S.SUSPENDED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.DISCLOSURE, S.EXTENDED, S.TERMINATED}),
    # buyer outcomes: 1 qualified → 协议成交 (DEAL); ≥2 → 网络竞价 (BIDDING)
    S.DISCLOSURE_ENDED: frozenset({S.EXTENDED, S.RELISTED, S.TERMINATED, S.BIDDING, S.DEAL}),
    S.RELISTED: frozenset({S.DISCLOSURE, S.TERMINATED}),
    S.TERMINATED: frozenset(),
    S.BIDDING: frozenset({S.DEAL, S.FAILED, S.TERMINATED}),
    S.FAILED: frozenset({S.RELISTED, S.TERMINATED}),
    # a defaulted deal (悔拍) is relisted; a completed one (funds released) is closed
    S.DEAL: frozenset({S.CLOSED, S.RELISTED, S.TERMINATED}),
    S.CLOSED: frozenset(),
}
# statuses a project may be relisted from (DEAL only after the winner defaulted: trading checks)
RELISTABLE_STATUSES = (S.DISCLOSURE_ENDED, S.FAILED, S.DEAL)
# the moves trading makes through `project_trade_move`
TRADE_MOVES = frozenset({S.BIDDING, S.DEAL, S.FAILED, S.CLOSED})
FINAL_STATUSES = frozenset(s for s, to in TRANSITIONS.items() if not to)


def _lock(project_id: int) -> Project:
    try:
        return Project.objects.select_for_update().get(pk=project_id)
    except Project.DoesNotExist:
        raise NotFound(_("项目不存在。")) from None


def _transition(project: Project, to: str, *, fields: tuple[str, ...] = (), **data: Any) -> None:
    """Move a locked project to `to` if TRANSITIONS allows it; save `fields` with it; audit.

    The caller holds the row lock (`_lock`) inside its transaction and has set the other
    fields it changes; the audit entry (django-auditlog, inside the caller's
    `audit.action`) records every field's from → to.
    """
    frm = project.status
    if to not in TRANSITIONS[frm]:
        raise IllegalTransition(
            _("项目当前状态为“%(frm)s”，不能变为“%(to)s”。") % {"frm": Status(frm).label, "to": Status(to).label},
            status=frm,
        )
    project.status = to
    if to in PUBLIC_STATUSES:
        project.is_public = True
    project.is_open = to in OPEN_STATUSES
    project.save(update_fields=sorted({"status", "is_public", "is_open", "updated_at", *fields}))


def is_seller_side(project: Project, user: Any) -> bool:
    """The seller, or the project's broker while its mandate (委托) is in force."""
    from exchange.brokers.selectors import may_act

    if not (user and user.is_authenticated):
        return False
    return bool(user.pk == project.seller_id or may_act(user, project))


def _require_seller_side(project: Project, user: Any) -> None:
    if not (is_seller_side(project, user) or (user and user.has_perm("listings.change_project"))):
        raise PermissionDenied(_("只有转让方、其经纪会员或交易中心员工可以操作此项目。"))


def _require_perm(user: Any, perm: str) -> None:
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied()


def is_broker(user: User) -> bool:
    """A broker member (合作商户) whose status staff approved (exchange.brokers); it files
    projects for a seller only under that seller's mandate in force."""
    from exchange.brokers.selectors import is_broker as approved_broker

    return approved_broker(user)


# --------------------------------------------------------------------------- rules


def minimum_periods(category: str, floor_price: Decimal) -> tuple[int, int]:
    """(minimum formal disclosure WD, minimum pre + formal WD) for a project type."""
    rule = categories.PERIOD_RULE.get(category, "asset")
    if rule == "equity":
        return conf.get("LISTINGS_MIN_WD_EQUITY"), 0
    if rule == "capital_increase":
        return conf.get("LISTINGS_MIN_WD_CAPITAL_INCREASE_FORMAL"), conf.get("LISTINGS_MIN_WD_CAPITAL_INCREASE_TOTAL")
    if floor_price > conf.get("LISTINGS_ASSET_LARGE_FLOOR"):
        return conf.get("LISTINGS_MIN_WD_ASSET_LARGE"), 0
    return conf.get("LISTINGS_MIN_WD_ASSET_SMALL"), 0


def check_periods(project: Project) -> None:
    """Refuse periods shorter than the rules (DOMAIN §2) and a start that is not a working day."""
    min_formal, min_total = minimum_periods(project.category, project.floor_price)
    if project.disclosure_wd < min_formal:
        raise PeriodTooShort(
            _("%(cat)s项目正式披露期不得少于%(n)s个工作日。")
            % {"cat": Category(project.category).label, "n": min_formal},
            field="disclosure_wd",
            minimum=min_formal,
        )
    control_change = bool(project.attributes.get("control_change"))
    if control_change and not project.pre_disclosure:
        raise PeriodTooShort(_("涉及实际控制权转移的项目必须进行预披露。"), field="pre_disclosure")
    pre = project.pre_disclosure_wd if project.pre_disclosure else 0
    min_pre = conf.get("LISTINGS_MIN_WD_PRE_DISCLOSURE")
    if project.pre_disclosure and pre < min_pre:
        raise PeriodTooShort(
            _("预披露期不得少于%(n)s个工作日。") % {"n": min_pre}, field="pre_disclosure_wd", minimum=min_pre
        )
    if min_total and pre + project.disclosure_wd < min_total:
        raise PeriodTooShort(
            _("增资项目预披露与正式披露合计不得少于%(n)s个工作日。") % {"n": min_total},
            field="disclosure_wd",
            minimum=min_total - pre,
        )
    if project.allow_extension and project.extension_wd < conf.get("LISTINGS_EXTENSION_MIN_WD"):
        raise PeriodTooShort(
            _("每个延牌周期不得少于%(n)s个工作日。") % {"n": conf.get("LISTINGS_EXTENSION_MIN_WD")},
            field="extension_wd",
        )
    if project.requested_start is not None:
        if not workdays.is_workday(project.requested_start):
            raise NotAWorkday(
                _("披露起始日 %(d)s 不是工作日（节假日或休息日），请另选。") % {"d": project.requested_start},
                field="requested_start",
            )
        if project.requested_start <= clock.today():
            raise InvalidInput(_("披露起始日须晚于今天。"), field="requested_start")


def check_ready(project: Project) -> None:
    """Everything a project needs before it can be submitted (or resubmitted)."""
    seller = project.seller
    if not seller.is_verified:
        raise InvalidInput(_("转让方须先完成实名认证才能提交挂牌申请。"), code_detail="seller_unverified")
    project.attributes = categories.clean_attributes(project.category, project.attributes, complete=True)
    if project.valuation <= 0:
        raise InvalidInput(_("请填写评估价。"), field="valuation")
    if project.round == 1 and project.floor_price < project.valuation:
        raise FloorBelowValuation(
            _("首次挂牌的转让底价（%(floor)s）不得低于评估价（%(val)s）。")
            % {"floor": format_yuan(project.floor_price), "val": format_yuan(project.valuation)},
            field="floor_price",
        )
    if project.deposit_amount > project.floor_price:
        raise InvalidInput(_("交易保证金不得高于转让底价。"), field="deposit_amount")
    check_periods(project)
    if not project.buyer_conditions.strip():
        raise InvalidInput(_("请填写受让方资格条件。"), field="buyer_conditions")
    if (
        conf.get("LISTINGS_REQUIRE_VALUATION_REPORT")
        and not project.attachments.filter(kind=Attachment.Kind.VALUATION_REPORT).exists()
    ):
        raise InvalidInput(_("请上传评估报告。"), field="attachments")


# --------------------------------------------------------------------------- field cleaning

_TEXT_FIELDS = {"title": 120, "description": 20000, "buyer_conditions": 5000, "payment_terms": 5000}
_MONEY_FIELDS = ("valuation", "floor_price", "deposit_amount")
EDITABLE_FIELDS = (
    "title", "description", "category", "region_id", "valuation", "valuation_date", "floor_price",
    "deposit_amount", "trading_method", "buyer_conditions", "payment_terms", "allow_extension",
    "max_extension_cycles", "extension_wd", "pre_disclosure", "pre_disclosure_wd", "disclosure_wd",
    "requested_start", "attributes", "state_owned",
)  # fmt: skip


def _clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in _TEXT_FIELDS:
            text = str(value or "").strip()
            if name == "title":  # a title others read: NFC, no invisible or control characters
                text = clean_name(text, field="title", label=_("项目名称"))
            if "\x00" in text or len(text) > _TEXT_FIELDS[name]:
                raise InvalidInput(_("内容无效或过长。"), field=name)
            if name == "title" and not text:
                raise InvalidInput(_("请填写项目名称。"), field="title")
            out[name] = text
        elif name in _MONEY_FIELDS:
            try:
                amount = quantize_money(value if isinstance(value, Decimal | int) else str(value))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("请输入正确的金额。"), field=name) from exc
            if amount < 0 or amount >= Decimal("1e16"):
                raise InvalidInput(_("请输入正确的金额。"), field=name)
            out[name] = amount
        elif name == "category":
            if value not in Category.values:
                raise InvalidInput(_("请选择交易品种。"), field="category")
            out[name] = value
        elif name == "trading_method":
            if value not in TradingMethod.values:
                raise InvalidInput(_("请选择交易方式。"), field="trading_method")
            out[name] = value
        elif name == "region_id":
            if value is None or not Region.objects.filter(pk=value).exists():
                raise InvalidInput(_("请选择标的所在地。"), field="region")
            out[name] = int(value)
        elif name in ("allow_extension", "pre_disclosure", "state_owned"):
            out[name] = bool(value)
        elif name in ("max_extension_cycles", "extension_wd", "pre_disclosure_wd", "disclosure_wd"):
            try:
                number = int(value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("请输入整数。"), field=name) from exc
            if not 0 <= number <= 250:
                raise InvalidInput(_("数值超出范围（0–250）。"), field=name)
            out[name] = number
        elif name in ("requested_start", "valuation_date"):
            if value in (None, ""):
                out[name] = None
            elif isinstance(value, dt.date):
                out[name] = value
            else:
                try:
                    out[name] = dt.date.fromisoformat(str(value))
                except ValueError as exc:
                    raise InvalidInput(_("请输入正确的日期。"), field=name) from exc
        elif name == "attributes":
            out[name] = dict(value or {})
    return out


def city_code(region_code: str) -> str:
    """The prefecture-level city of a region code (140121 → 140100), for the hall's filter."""
    return region_code[:4] + "00" if len(region_code) == 6 else ""


def _derive(project: Project) -> None:
    if project.region_id:
        project.region_code = Region.objects.filter(pk=project.region_id).values_list("code", flat=True).first() or ""
        project.city_code = city_code(project.region_code)
    project.attributes = categories.clean_attributes(project.category, project.attributes, complete=False)
    project.unit_price, project.unit_price_unit = categories.unit_price(
        project.category, project.attributes, project.floor_price
    )


def _assign_code(project: Project) -> None:
    if project.code:
        return
    prefix = f"{categories.CODE_PREFIX[project.category]}{clock.today().year}"
    CodeCounter.objects.get_or_create(prefix=prefix)
    counter = CodeCounter.objects.select_for_update().get(prefix=prefix)
    counter.last += 1
    counter.save(update_fields=["last"])
    project.code = f"{prefix}-{counter.last:04d}"


# --------------------------------------------------------------------------- application


def project_create(*, actor: User, seller: User | None = None, mandate_id: int | None = None, **data: Any) -> Project:
    """A draft project. The actor is the seller, a broker member acting for `seller` under
    the seller's mandate in force whose scope covers the category and has room
    (`brokers.services.mandate_file_project`, in this transaction; NoMandate otherwise), or
    staff (listings.add_project) entering it on the seller's behalf."""
    seller = seller or actor
    broker = None
    if seller.pk != actor.pk:
        if actor.has_perm("listings.add_project"):
            pass
        elif is_broker(actor):
            broker = actor
        else:
            raise PermissionDenied(_("只有经纪会员或交易中心员工可以代他人挂牌。"))
    if seller.is_staff:
        raise InvalidInput(_("转让方须为会员账户。"), field="seller")
    cleaned = _clean_fields(data)
    for required in ("title", "category", "region_id", "valuation", "floor_price", "deposit_amount", "trading_method"):
        if required not in cleaned:
            raise InvalidInput(_("请填写必填项。"), field=required.removesuffix("_id"))
    with transaction.atomic(), audit.action(actor, "project.create"):
        project = Project(seller=seller, broker=broker, created_by=actor, **cleaned)
        if "disclosure_wd" not in cleaned:
            project.disclosure_wd = minimum_periods(project.category, project.floor_price)[0]
        if "extension_wd" not in cleaned:
            project.extension_wd = conf.get("LISTINGS_EXTENSION_MIN_WD")
        _derive(project)
        project.save()
        if broker is not None:
            from exchange.brokers.services import mandate_file_project

            mandate_file_project(
                broker=broker, seller=seller, category=project.category, project_id=project.pk, mandate_id=mandate_id
            )
    return project


def project_update(*, project_id: int, actor: User, **data: Any) -> Project:
    """Edit a draft or returned project (content is frozen from submission on)."""
    cleaned = _clean_fields(data)
    with transaction.atomic(), audit.action(actor, "project.update"):
        project = _lock(project_id)
        _require_seller_side(project, actor)
        if project.status not in EDITABLE_STATUSES:
            raise IllegalTransition(_("项目已提交或已发布，内容不能直接修改；发布后请申请变更公告。"))
        for name, value in cleaned.items():
            setattr(project, name, value)
        _derive(project)
        project.save()
    return project


def project_submit(*, project_id: int, actor: User) -> Project:
    """Submit a draft (or a returned application) for internal approval.

    Validates the category's attributes, the minimum periods, floor ≥ valuation and the
    start date; assigns the project code (GQ2026-0001) the first time.
    """
    with transaction.atomic(), audit.action(actor, "project.submit"):
        project = _lock(project_id)
        _require_seller_side(project, actor)
        if project.status not in EDITABLE_STATUSES:
            raise IllegalTransition(_("只有草稿或被退回的申请可以提交。"))
        check_ready(project)
        _derive(project)
        _assign_code(project)
        now = clock.now()
        project.submitted_at = now
        project.current_step = conf.approval_chain(project.category)[0].key
        project.step_started_at = now
        _transition(
            project,
            Status.SUBMITTED,
            fields=("code", "submitted_at", "current_step", "step_started_at", "attributes", "unit_price",
                    "unit_price_unit"),
        )  # fmt: skip
    return project


def current_step(project: Project | ProjectChange, category: str) -> conf.ApprovalStep:
    chain = conf.approval_chain(category)
    for step in chain:
        if step.key == project.current_step:
            return step
    return chain[0]


def _review_common(
    *, target: Project | ProjectChange, category: str, actor: User, decision: str, comment: str, since: Any
) -> tuple[conf.ApprovalStep, bool]:
    """Checks shared by application and change reviews; returns (step, is last step)."""
    if decision not in ProjectReview.Decision.values:
        raise InvalidInput(_("请选择审核意见。"), field="decision")
    comment = comment.strip()
    if decision != ProjectReview.Decision.APPROVE and not comment:
        raise InvalidInput(_("退回或不予挂牌时必须填写说明。"), field="comment")
    if len(comment) > 2000 or "\x00" in comment:
        raise InvalidInput(_("说明过长。"), field="comment")
    step = current_step(target, category)
    if not actor.has_perm(step.permission):
        raise PermissionDenied(_("您没有“%(step)s”环节的审核权限。") % {"step": step.label_display})
    project = target if isinstance(target, Project) else target.project
    if actor.pk in (project.seller_id, project.broker_id):
        raise PermissionDenied(_("不能审核自己的项目。"))
    reviews = ProjectReview.objects.filter(project=project, decided_at__gte=since)
    reviews = reviews.filter(change=target) if isinstance(target, ProjectChange) else reviews.filter(change=None)
    if reviews.filter(actor=actor, decision=ProjectReview.Decision.APPROVE).exists():
        raise PermissionDenied(_("同一人不能审核同一申请的两个环节。"))
    chain = conf.approval_chain(category)
    return step, chain[-1].key == step.key


def project_review(*, project_id: int, actor: User, decision: str, comment: str = "") -> Project:
    """Decide the current approval step: approve (next step, or scheduled for disclosure
    after the last), return to the seller with comments, or reject for good."""
    with transaction.atomic(), audit.action(actor, f"project.review.{decision}", comment=comment):
        project = _lock(project_id)
        if project.status not in IN_REVIEW_STATUSES:
            raise IllegalTransition(_("该项目不在审核中。"))
        step, last = _review_common(
            target=project,
            category=project.category,
            actor=actor,
            decision=decision,
            comment=comment,
            since=project.submitted_at,
        )
        now = clock.now()
        ProjectReview.objects.create(
            project=project,
            step=step.key,
            step_label=step.label,
            actor=actor,
            decision=decision,
            comment=comment.strip(),
            decided_at=now,
        )
        if decision == ProjectReview.Decision.RETURN:
            project.current_step = ""
            _transition(project, Status.RETURNED, fields=("current_step",))
        elif decision == ProjectReview.Decision.REJECT:
            project.current_step = ""
            _transition(project, Status.REJECTED, fields=("current_step",))
        elif last:
            project.current_step = ""
            _schedule(project, actor=actor, kind=Notice.Kind.LISTING, to=Status.SCHEDULED)
        else:
            chain = conf.approval_chain(project.category)
            index = [s.key for s in chain].index(step.key)
            project.current_step = chain[index + 1].key
            project.step_started_at = now
            if project.status == Status.SUBMITTED:
                _transition(project, Status.UNDER_REVIEW, fields=("current_step", "step_started_at"))
            else:
                project.save(update_fields=["current_step", "step_started_at", "updated_at"])
    return project


# --------------------------------------------------------------------------- calendar


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _end_at(day: dt.date) -> dt.datetime:
    return _at(day, conf.get("LISTINGS_DISCLOSURE_END_HOUR"))


def disclosure_dates(
    *, start: dt.date, pre_wd: int, formal_wd: int
) -> tuple[dt.date | None, dt.date | None, dt.date, dt.date, bool]:
    """(pre start, pre end, formal start, formal end, provisional) counting working days
    inclusively from `start` (a working day, or the next one)."""
    first = workdays.next_workday(start, include_self=True)
    provisional = False
    pre_start = pre_end = None
    formal_start = first
    if pre_wd:
        pre_start = first
        r = workdays.add_workdays_detailed(first, pre_wd - 1)
        pre_end, provisional = r.date, r.provisional
        formal_start = workdays.next_workday(pre_end)
    r = workdays.add_workdays_detailed(formal_start, formal_wd - 1)
    return pre_start, pre_end, formal_start, r.date, provisional or r.provisional


def _schedule(project: Project, *, actor: Any, kind: str, to: str, extra: dict[str, Any] | None = None) -> Notice:
    """Compute the disclosure dates from the next working day (or the requested start) and
    create the notice that the worker publishes on the first day."""
    first = workdays.next_workday(clock.today())
    start = project.requested_start if project.requested_start and project.requested_start >= first else first
    pre_wd = project.pre_disclosure_wd if project.pre_disclosure and project.round == 1 else 0
    pre_start, pre_end, formal_start, formal_end, provisional = disclosure_dates(
        start=start, pre_wd=pre_wd, formal_wd=project.disclosure_wd
    )
    project.pre_start, project.pre_end = pre_start, pre_end
    project.disclosure_start, project.disclosure_end = formal_start, formal_end
    project.ends_at = _end_at(formal_end)
    project.dates_provisional = provisional
    _transition(
        project,
        to,
        fields=("current_step", "pre_start", "pre_end", "disclosure_start", "disclosure_end", "ends_at",
                "dates_provisional"),
    )  # fmt: skip
    return _notice_create(
        project=project,
        kind=kind,
        actor=actor,
        publish_at=_at(pre_start or formal_start, conf.get("LISTINGS_NOTICE_HOUR")),
        extra=extra,
    )


def _require_system_or_perm(actor: Any, perm: str) -> None:
    """Services other apps and the worker call as the system (actor None); a user actor needs `perm`."""
    if actor is not None:
        _require_perm(actor, perm)


def project_dates_recompute(*, project_id: int, actor: Any = None) -> Project:
    """Recompute provisional dates once staff entered the official calendar of the year.
    Staff need `listings.manage_disclosure` (actor None: the system)."""
    _require_system_or_perm(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.dates_recompute"):
        project = _lock(project_id)
        if not project.dates_provisional or project.disclosure_start is None:
            return project
        if project.status in (Status.SCHEDULED, Status.RELISTED, Status.PRE_DISCLOSURE):
            start = project.pre_start or project.disclosure_start
            pre_wd = project.pre_disclosure_wd if project.pre_start else 0
            dates = disclosure_dates(start=start, pre_wd=pre_wd, formal_wd=project.disclosure_wd)
            project.pre_start, project.pre_end, project.disclosure_start, project.disclosure_end, prov = dates
        elif project.status in (Status.DISCLOSURE, Status.EXTENDED):
            assert project.disclosure_end is not None
            total = workdays.workdays_between(project.disclosure_start, project.disclosure_end)
            r = workdays.add_workdays_detailed(project.disclosure_start, total)
            project.disclosure_end, prov = r.date, r.provisional
        else:
            return project
        project.ends_at = _end_at(project.disclosure_end)
        project.dates_provisional = prov
        project.save(
            update_fields=["pre_start", "pre_end", "disclosure_start", "disclosure_end", "ends_at", "dates_provisional"]
        )
    return project


# --------------------------------------------------------------------------- notices


def _notice_number(notice: Notice) -> str:
    return f"GG{timezone.localtime(notice.publish_at).year}{notice.pk:06d}"


def _notice_create(
    *, project: Project, kind: str, actor: Any, publish_at: dt.datetime | None = None, title: str = "", body: str = "",
    extra: dict[str, Any] | None = None,
) -> Notice:  # fmt: skip
    """A notice generated from `listings/notices/<kind>.txt` (or the given body).

    Published at once when publish_at is now or past (the worker publishes later ones).
    """
    now = clock.now()
    publish_at = publish_at or now
    context = {"project": project, "attributes": categories.display_attributes(project.category, project.attributes),
               "extra": extra or {}, "today": clock.today()}  # fmt: skip
    if not body:
        body = render_to_string(f"listings/notices/{kind}.txt", context).strip()
    if not title:
        title = f"{project.title}{Notice.Kind(kind).label}"
    notice = Notice.objects.create(
        project=project,
        kind=kind,
        title=title[:200],
        body=body,
        publish_at=publish_at,
        published_at=now if publish_at <= now else None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    notice.number = _notice_number(notice)
    notice.save(update_fields=["number"])
    return notice


def notice_publish(
    *, project_id: int, kind: str, actor: Any, extra: dict[str, Any] | None = None,
    publish_at: dt.datetime | None = None, period_end: dt.date | None = None, title: str = "", body: str = "",
) -> Notice:  # fmt: skip
    """A notice of another app's business (竞价公告, 成交公告, 流拍公告…) from
    `listings/notices/<kind>.txt`, published now or by the worker at `publish_at`.
    `period_end` is the last day of its publicity period (成交公告: ≥5 WD)."""
    _require_system_or_perm(actor, "listings.publish_notice")
    if kind not in Notice.Kind.values:
        raise InvalidInput(_("未知的公告类型。"), field="kind")
    with transaction.atomic(), audit.action(actor, "notice.publish", kind=kind):
        project = _lock(project_id)
        notice = _notice_create(project=project, kind=kind, actor=actor, publish_at=publish_at, title=title,
                                body=body, extra=extra)  # fmt: skip
        if period_end is not None:
            notice.period_end = period_end
            notice.save(update_fields=["period_end"])
    return notice


def notice_keep_until(notice: Notice) -> dt.date | None:
    """The last day a published notice must stay up, or None when it may be withdrawn any time.

    The 成交公告 of a state-owned asset is published for at least
    LISTINGS_STATE_OWNED_RESULT_WORKDAYS (5) working days after its publication
    (企业国有资产交易监督管理办法, Art. 29), and never less than the publicity period it
    records (`period_end`), on the working-day calendar (调休 included).
    """
    if notice.published_at is None or notice.kind != Notice.Kind.RESULT or not notice.project.state_owned:
        return None
    published_on = timezone.localdate(notice.published_at)
    floor = workdays.add_workdays(published_on, conf.get("LISTINGS_STATE_OWNED_RESULT_WORKDAYS"))
    return max(floor, notice.period_end) if notice.period_end else floor


def notice_withdraw(*, notice_id: int, actor: User, reason: str) -> Notice:
    """Withdraw (撤回) a published notice with a reason (listings.manage_disclosure; audited):
    it leaves the public lists and its page says when and why. A state-owned asset's 成交公告
    cannot be withdrawn before its minimum publicity period is over (PublicityPeriodRunning)."""
    _require_perm(actor, "listings.manage_disclosure")
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise InvalidInput(_("请填写撤回原因。"), field="reason")
    if len(reason) > 300:
        raise InvalidInput(_("撤回原因不能超过300个字。"), field="reason")
    with transaction.atomic(), audit.action(actor, "notice.withdraw", notice_id=notice_id, reason=reason):
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise NotFound(_("公告不存在。"))
        if notice.published_at is None:
            raise IllegalTransition(_("公告尚未发布，不能撤回。"))
        if notice.withdrawn_at is not None:
            raise Conflict(_("该公告已撤回。"))
        keep_until = notice_keep_until(notice)
        if keep_until is not None and clock.today() <= keep_until:
            raise PublicityPeriodRunning(
                _("国有资产成交公告的公示期不少于%(n)s个工作日，%(d)s 之后方可撤回。")
                % {"n": conf.get("LISTINGS_STATE_OWNED_RESULT_WORKDAYS"), "d": keep_until.isoformat()},
                keep_until=keep_until.isoformat(),
            )
        notice.withdrawn_at, notice.withdrawn_by, notice.withdraw_reason = clock.now(), actor, reason
        notice.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    return notice


def project_trade_move(*, project_id: int, to: str, actor: Any, reason: str = "") -> Project:
    """Trading's moves of a project after disclosure: → BIDDING (≥2 qualified), → DEAL
    (agreement or auction won), → FAILED (流拍), → CLOSED (funds released). Guarded by
    TRANSITIONS; one transaction; audited with the reason."""
    _require_system_or_perm(actor, "listings.manage_disclosure")
    if to not in TRADE_MOVES:
        raise IllegalTransition(_("不支持的交易状态变更。"))
    with transaction.atomic(), audit.action(actor, "project.trade", to=to, reason=reason):
        project = _lock(project_id)
        _transition(project, to)
    return project


def notices_publish_due(*, now: dt.datetime | None = None) -> int:
    """Publish every notice whose time has come (run by the worker); returns how many."""
    now = now or clock.now()
    with transaction.atomic(), audit.action(None, "notice.publish", by="worker"):
        ids = list(
            Notice.objects.select_for_update()
            .filter(published_at__isnull=True, publish_at__lte=now)
            .values_list("pk", flat=True)
        )
        for notice in Notice.objects.filter(pk__in=ids):
            notice.published_at = now
            notice.save(update_fields=["published_at"])
    return len(ids)


def clarification_publish(*, project_id: int, actor: User, title: str, body: str) -> Notice:
    """A 澄清公告 written by staff, published at once."""
    _require_perm(actor, "listings.publish_notice")
    title, body = clean_name(title, field="title", label=_("公告标题")), body.strip()
    if not title or not body or len(title) > 200 or "\x00" in title + body:
        raise InvalidInput(_("请填写公告标题和正文。"), field="body")
    with transaction.atomic(), audit.action(actor, "notice.clarification"):
        project = _lock(project_id)
        if not project.is_public:
            raise IllegalTransition(_("项目尚未公开披露，不能发布澄清公告。"))
        return _notice_create(project=project, kind=Notice.Kind.CLARIFICATION, actor=actor, title=title, body=body)


# --------------------------------------------------------------------------- worker moves


def project_advance(*, project_id: int, now: dt.datetime | None = None) -> Project:
    """Move a project along the calendar if its next date has come (idempotent; the worker).

    SCHEDULED / RELISTED → PRE_DISCLOSURE or DISCLOSURE on the first day at the notice hour
    (publishing the project's notice); PRE_DISCLOSURE → DISCLOSURE on the formal start;
    DISCLOSURE / EXTENDED → DISCLOSURE_ENDED at the closing time.
    """
    now = now or clock.now()
    hour = conf.get("LISTINGS_NOTICE_HOUR")
    with transaction.atomic(), audit.action(None, "project.advance", by="worker"):
        project = _lock(project_id)
        status = project.status
        if status in (Status.SCHEDULED, Status.RELISTED) and project.disclosure_start:
            first = project.pre_start or project.disclosure_start
            if now >= _at(first, hour):
                Notice.objects.filter(project=project, published_at__isnull=True, publish_at__lte=now).update(
                    published_at=now
                )
                project.first_disclosed_at = project.first_disclosed_at or now
                fields = ["first_disclosed_at"]
                if project.pre_start and now < _at(project.disclosure_start, hour):
                    _transition(project, Status.PRE_DISCLOSURE, fields=tuple(fields))
                else:
                    project.cycle_started_at = project.cycle_started_at or now
                    _transition(project, Status.DISCLOSURE, fields=(*fields, "cycle_started_at"))
        elif status == Status.PRE_DISCLOSURE and project.disclosure_start:
            if now >= _at(project.disclosure_start, hour):
                project.cycle_started_at = project.cycle_started_at or now
                _transition(project, Status.DISCLOSURE, fields=("cycle_started_at",))
        elif status in (Status.DISCLOSURE, Status.EXTENDED) and project.ends_at and now >= project.ends_at:
            _transition(project, Status.DISCLOSURE_ENDED)
    return project


def listings_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the worker: publish due notices, move due projects. Returns counts."""
    now = now or clock.now()
    today = timezone.localdate(now)
    published = notices_publish_due(now=now)
    due = set(
        Project.objects.filter(status__in=[Status.SCHEDULED, Status.RELISTED], disclosure_start__lte=today).values_list(
            "pk", flat=True
        )
    )
    due |= set(
        Project.objects.filter(status__in=[Status.SCHEDULED, Status.RELISTED], pre_start__lte=today).values_list(
            "pk", flat=True
        )
    )
    due |= set(
        Project.objects.filter(status=Status.PRE_DISCLOSURE, disclosure_start__lte=today).values_list("pk", flat=True)
    )
    due |= set(
        Project.objects.filter(status__in=[Status.DISCLOSURE, Status.EXTENDED], ends_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for pk in sorted(due):
        before = Project.objects.filter(pk=pk).values_list("status", flat=True).first()
        after = project_advance(project_id=pk, now=now).status
        moved += before != after
    return {"notices": published, "projects": moved}


# --------------------------------------------------------------------------- after disclosure


def project_extend(*, project_id: int, actor: Any = None) -> Project:
    """延牌: one more cycle of `extension_wd` (≥5) working days after disclosure ended with
    too few buyers — only if the notice allowed it and cycles remain."""
    if actor is not None:
        _require_perm(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.extend"):
        project = _lock(project_id)
        if project.status != Status.DISCLOSURE_ENDED:
            raise IllegalTransition(_("只有披露期满的项目可以延牌。"))
        if not project.allow_extension:
            raise ExtensionNotAllowed(_("挂牌公告未约定延牌，不能延长挂牌。"))
        if project.extension_cycles >= project.max_extension_cycles:
            raise ExtensionNotAllowed(_("已达到最多延牌周期数（%(n)s个）。") % {"n": project.max_extension_cycles})
        wd = max(project.extension_wd, conf.get("LISTINGS_EXTENSION_MIN_WD"))
        base = max(clock.today(), project.disclosure_end or clock.today())
        r = workdays.add_workdays_detailed(base, wd)
        old_end = project.disclosure_end
        project.disclosure_end, project.ends_at = r.date, _end_at(r.date)
        project.dates_provisional = project.dates_provisional or r.provisional
        project.extension_cycles += 1
        _transition(
            project,
            Status.EXTENDED,
            fields=("disclosure_end", "ends_at", "dates_provisional", "extension_cycles"),
        )
        _notice_create(
            project=project, kind=Notice.Kind.EXTENSION, actor=actor,
            extra={"old_end": old_end, "wd": wd, "cycle": project.extension_cycles},
        )  # fmt: skip
    return project


def relist_blocked(project: Project, today: dt.date | None = None) -> bool:
    """12 months after the first formal disclosure of this valuation without a deal."""
    if project.cycle_started_at is None:
        return False
    today = today or clock.today()
    start = timezone.localdate(project.cycle_started_at)
    months = conf.get("LISTINGS_STOP_AFTER_MONTHS")
    year, month = divmod(start.month - 1 + months, 12)
    try:
        limit = start.replace(year=start.year + year, month=month + 1)
    except ValueError:  # 31 Jan + 1 month
        limit = (start.replace(day=1, year=start.year + year, month=month + 1)) + dt.timedelta(days=27)
    return today >= limit


def project_relist(
    *,
    project_id: int,
    actor: User,
    floor_price: Decimal,
    disclosure_wd: int | None = None,
    consent_attachment_id: int | None = None,
    new_valuation: Decimal | None = None,
) -> Project:
    """重新挂牌 after disclosure ended without a deal, usually with a lower floor.

    A floor below 90% of the valuation needs the approving body's written consent (an
    uploaded approval document). Twelve months after the first formal disclosure of this
    valuation, relisting needs a new valuation. Creates the 重新挂牌公告 for the next
    working day; the worker opens the new disclosure.
    """
    _require_perm(actor, "listings.manage_disclosure")
    cleaned = _clean_fields({"floor_price": floor_price})
    floor = cleaned["floor_price"]
    with transaction.atomic(), audit.action(actor, "project.relist", floor_price=floor):
        project = _lock(project_id)
        if project.status not in RELISTABLE_STATUSES:
            raise IllegalTransition(_("只有披露期满未成交、流拍或受让方违约的项目可以重新挂牌。"))
        if new_valuation is not None:
            valuation = _clean_fields({"valuation": new_valuation})["valuation"]
            if valuation <= 0:
                raise InvalidInput(_("请填写评估价。"), field="valuation")
            project.valuation = valuation
            project.valuation_date = clock.today()
            project.cycle_started_at = None
        elif relist_blocked(project):
            raise RelistStopped(_("首次正式披露已满12个月未成交，须重新审计评估后方可重新挂牌。"))
        if new_valuation is not None and floor < project.valuation:
            raise FloorBelowValuation(_("重新评估后的转让底价不得低于新的评估价。"), field="floor_price")
        ratio = conf.get("LISTINGS_RELIST_CONSENT_RATIO")
        if floor < project.valuation * ratio:
            consent = project.attachments.filter(
                pk=consent_attachment_id or 0, kind=Attachment.Kind.APPROVAL_DOCUMENT
            ).first()
            if consent is None:
                raise ConsentRequired(
                    _("新的转让底价低于评估价的%(pct)s%%，须上传批准单位的书面同意文件。") % {"pct": int(ratio * 100)},
                    field="consent_attachment_id",
                )
        old_floor = project.floor_price
        project.floor_price = floor
        if disclosure_wd is not None:
            project.disclosure_wd = _clean_fields({"disclosure_wd": disclosure_wd})["disclosure_wd"]
        min_formal, _total = minimum_periods(project.category, floor)
        project.disclosure_wd = (
            max(project.disclosure_wd, min_formal) if disclosure_wd is None else project.disclosure_wd
        )
        if project.disclosure_wd < min_formal:
            raise PeriodTooShort(
                _("正式披露期不得少于%(n)s个工作日。") % {"n": min_formal}, field="disclosure_wd", minimum=min_formal
            )
        project.round += 1
        project.extension_cycles = 0
        project.requested_start = None
        _derive(project)
        project.save(
            update_fields=["valuation", "valuation_date", "cycle_started_at", "floor_price", "disclosure_wd", "round",
                           "extension_cycles", "requested_start", "attributes", "unit_price", "unit_price_unit"]
        )  # fmt: skip
        _schedule(project, actor=actor, kind=Notice.Kind.RELISTING, to=Status.RELISTED, extra={"old_floor": old_floor})
    return project


def project_suspend(*, project_id: int, actor: User, reason: str, until: dt.date) -> Project:
    """中止 a disclosure for at most a month; publishes the 中止公告."""
    _require_perm(actor, "listings.manage_disclosure")
    reason = reason.strip()
    if not reason or len(reason) > 200 or "\x00" in reason:
        raise InvalidInput(_("请填写中止原因（200字以内）。"), field="reason")
    today = clock.today()
    max_days = conf.get("LISTINGS_SUSPEND_MAX_DAYS")
    if not today < until <= today + dt.timedelta(days=max_days):
        raise InvalidInput(_("中止期限不得超过%(n)s天。") % {"n": max_days}, field="until")
    with transaction.atomic(), audit.action(actor, "project.suspend", reason=reason):
        project = _lock(project_id)
        if project.status not in (Status.DISCLOSURE, Status.EXTENDED):
            raise IllegalTransition(_("只有正式披露中的项目可以中止。"))
        assert project.disclosure_start and project.disclosure_end
        project.suspended_from = project.status
        project.suspended_at = clock.now()
        project.suspend_until = until
        project.remaining_wd_at_suspend = max(0, workdays.workdays_between(today, project.disclosure_end))
        project.elapsed_wd_at_suspend = max(
            0, workdays.workdays_between(project.disclosure_start - dt.timedelta(days=1), today)
        )
        _transition(
            project,
            Status.SUSPENDED,
            fields=("suspended_from", "suspended_at", "suspend_until", "remaining_wd_at_suspend",
                    "elapsed_wd_at_suspend"),
        )  # fmt: skip
        _notice_create(project=project, kind=Notice.Kind.SUSPENSION, actor=actor, extra={"reason": reason})
    return project


def resume_remaining_wd(project: Project) -> int:
    """Working days left after resumption: ≥10 remaining and ≥20 in total (settings)."""
    return max(
        project.remaining_wd_at_suspend,
        conf.get("LISTINGS_RESUME_MIN_REMAINING_WD"),
        conf.get("LISTINGS_RESUME_MIN_TOTAL_WD") - project.elapsed_wd_at_suspend,
    )


def project_resume(*, project_id: int, actor: User) -> Project:
    """Resume a suspended disclosure; the new end leaves ≥10 WD and ≥20 WD in total."""
    _require_perm(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.resume"):
        project = _lock(project_id)
        if project.status != Status.SUSPENDED:
            raise IllegalTransition(_("只有中止的项目可以恢复。"))
        remaining = resume_remaining_wd(project)
        r = workdays.add_workdays_detailed(clock.today(), remaining)
        project.disclosure_end, project.ends_at = r.date, _end_at(r.date)
        project.dates_provisional = r.provisional
        to = project.suspended_from or Status.DISCLOSURE
        project.suspended_from = ""
        _transition(project, to, fields=("disclosure_end", "ends_at", "dates_provisional", "suspended_from"))
        _notice_create(project=project, kind=Notice.Kind.RESUMPTION, actor=actor, extra={"remaining": remaining})
    return project


def project_terminate(*, project_id: int, actor: User, reason: str) -> Project:
    """终结: the seller may withdraw an application not yet scheduled; staff
    (listings.manage_disclosure) may end any open project, with a 终结公告 if it was public."""
    reason = reason.strip()
    if not reason or len(reason) > 200 or "\x00" in reason:
        raise InvalidInput(_("请填写终结原因（200字以内）。"), field="reason")
    with transaction.atomic(), audit.action(actor, "project.terminate", reason=reason):
        project = _lock(project_id)
        staff = actor.has_perm("listings.manage_disclosure")
        withdrawable = (Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RETURNED)
        if not staff and not (is_seller_side(project, actor) and project.status in withdrawable):
            if project.status in FINAL_STATUSES:
                raise IllegalTransition(_("项目已结束。"))
            raise PermissionDenied(_("项目已进入披露程序，终结须由交易中心办理。"))
        project.terminated_reason = reason
        project.current_step = ""
        was_public = project.is_public
        _transition(project, Status.TERMINATED, fields=("terminated_reason", "current_step"))
        if was_public:
            _notice_create(project=project, kind=Notice.Kind.TERMINATION, actor=actor, extra={"reason": reason})
        Notice.objects.filter(project=project, published_at__isnull=True).delete()
    return project


# --------------------------------------------------------------------------- changes (变更公告)

CHANGEABLE_FIELDS = ("title", "description", "buyer_conditions", "payment_terms", "deposit_amount", "floor_price",
                     "attributes")  # fmt: skip


def change_propose(*, project_id: int, actor: User, changes: dict[str, Any], reason: str) -> ProjectChange:
    """Propose a change of a disclosed project; it goes through the approval chain."""
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(_("请填写变更原因（200字以内）。"), field="reason")
    if not changes or set(changes) - set(CHANGEABLE_FIELDS):
        raise InvalidInput(_("请填写要变更的内容（只能变更项目介绍、条件、价款和品种属性）。"), field="changes")
    cleaned = _clean_fields(changes)
    with transaction.atomic(), audit.action(actor, "project.change.propose", reason=reason):
        project = _lock(project_id)
        _require_seller_side(project, actor)
        if project.status not in (Status.PRE_DISCLOSURE, Status.DISCLOSURE, Status.EXTENDED):
            raise IllegalTransition(_("只有披露中的项目可以申请变更。"))
        if project.changes.filter(status=ProjectChange.Status.PENDING).exists():
            raise Conflict(_("该项目已有审核中的变更申请。"))
        if "attributes" in cleaned:
            cleaned["attributes"] = categories.clean_attributes(project.category, cleaned["attributes"], complete=True)
        if "floor_price" in cleaned and project.round == 1 and cleaned["floor_price"] < project.valuation:
            raise FloorBelowValuation(_("转让底价不得低于评估价。"), field="floor_price")
        diff = {
            name: [audit._jsonable(getattr(project, name)), audit._jsonable(value)]
            for name, value in cleaned.items()
            if getattr(project, name) != value
        }
        if not diff:
            raise InvalidInput(_("变更内容与现有内容相同。"), field="changes")
        now = clock.now()
        return ProjectChange.objects.create(
            project=project,
            changes=diff,
            reason=reason,
            proposed_by=actor,
            proposed_at=now,
            current_step=conf.approval_chain(project.category)[0].key,
            step_started_at=now,
        )


def change_review(*, change_id: int, actor: User, decision: str, comment: str = "") -> ProjectChange:
    """Decide a change's current step; after the last approval the change is applied, the
    变更公告 published and the formal period restarted (extended to the full minimum)."""
    with transaction.atomic(), audit.action(actor, f"project.change.{decision}", comment=comment):
        try:
            change = ProjectChange.objects.select_for_update().get(pk=change_id)
        except ProjectChange.DoesNotExist:
            raise NotFound() from None
        project = _lock(change.project_id)
        if change.status != ProjectChange.Status.PENDING:
            raise IllegalTransition(_("该变更申请已处理。"))
        if project.status not in (Status.PRE_DISCLOSURE, Status.DISCLOSURE, Status.EXTENDED):
            raise IllegalTransition(_("项目已不在披露中，不能变更。"))
        step, last = _review_common(
            target=change, category=project.category, actor=actor, decision=decision, comment=comment,
            since=change.proposed_at,
        )  # fmt: skip
        now = clock.now()
        ProjectReview.objects.create(
            project=project, change=change, step=step.key, step_label=step.label, actor=actor, decision=decision,
            comment=comment.strip(), decided_at=now,
        )  # fmt: skip
        if decision != ProjectReview.Decision.APPROVE:
            change.status, change.decided_at, change.current_step = ProjectChange.Status.REJECTED, now, ""
            change.save(update_fields=["status", "decided_at", "current_step"])
            return change
        if not last:
            chain = conf.approval_chain(project.category)
            change.current_step = chain[[s.key for s in chain].index(step.key) + 1].key
            change.step_started_at = now
            change.save(update_fields=["current_step", "step_started_at"])
            return change
        for name, (_old, new) in change.changes.items():
            value = _clean_fields({name: new})[name]
            setattr(project, name, value)
        _derive(project)
        fields = ["unit_price", "unit_price_unit", *change.changes.keys()]
        old_end = project.disclosure_end
        if project.status in (Status.DISCLOSURE, Status.EXTENDED) and project.disclosure_end:
            min_formal, _total = minimum_periods(project.category, project.floor_price)
            r = workdays.add_workdays_detailed(clock.today(), min_formal)
            if r.date > project.disclosure_end:
                project.disclosure_end, project.ends_at = r.date, _end_at(r.date)
                project.dates_provisional = project.dates_provisional or r.provisional
                fields += ["disclosure_end", "ends_at", "dates_provisional"]
        project.save(update_fields=sorted({*fields, "updated_at"}))
        change.status, change.decided_at, change.current_step = ProjectChange.Status.APPROVED, now, ""
        change.save(update_fields=["status", "decided_at", "current_step"])
        labels = {f.name: str(f.verbose_name) for f in Project._meta.fields}
        _notice_create(
            project=project, kind=Notice.Kind.CHANGE, actor=actor,
            extra={"reason": change.reason, "fields": [labels.get(n, n) for n in change.changes],
                   "old_end": old_end, "new_end": project.disclosure_end},
        )  # fmt: skip
    return change


# --------------------------------------------------------------------------- attachments


def check_upload(kind: str, upload: UploadedFile) -> uploads.Accepted:
    """The upload policy (exchange.core.uploads) for an attachment of this kind: the formats
    of LISTINGS_ATTACHMENT_TYPES, detected by content and agreeing with the file's extension,
    LISTINGS_VIDEO_MAX_BYTES for videos, else LISTINGS_ATTACHMENT_MAX_BYTES; the upload is
    renamed by the server. Raises AttachmentRejected."""
    if kind not in Attachment.Kind.values:
        raise AttachmentRejected(_("请选择附件类型。"), field="kind")
    limit = conf.get("LISTINGS_VIDEO_MAX_BYTES" if kind == Attachment.Kind.VIDEO else "LISTINGS_ATTACHMENT_MAX_BYTES")
    return uploads.accept(
        upload,
        formats=conf.get("LISTINGS_ATTACHMENT_TYPES")[kind],
        max_bytes=limit,
        field="file",
        label=str(Attachment.Kind(kind).label),
        check_name=True,
        error=AttachmentRejected,
    )


def attachment_add(*, project_id: int, actor: User, kind: str, upload: UploadedFile, caption: str = "") -> Attachment:
    """Attach a checked file. Content is frozen after submission: only approval documents and
    valuation reports (for a relisting or re-valuation) may be added later."""
    accepted = check_upload(kind, upload)
    with transaction.atomic(), audit.action(actor, "project.attachment.add", kind=kind):
        project = _lock(project_id)
        _require_seller_side(project, actor)
        late_kinds = (Attachment.Kind.APPROVAL_DOCUMENT, Attachment.Kind.VALUATION_REPORT)
        if project.status not in EDITABLE_STATUSES and kind not in late_kinds:
            raise IllegalTransition(_("项目已提交，不能再添加此类附件。"))
        if project.status in FINAL_STATUSES:
            raise IllegalTransition(_("项目已结束。"))
        return Attachment.objects.create(
            project=project,
            kind=kind,
            file=accepted.upload,
            original_name=accepted.original_name,
            size=accepted.size,
            content_type=accepted.format.content_type,
            caption=caption.strip()[:100],
            uploaded_by=actor,
            uploaded_at=clock.now(),
        )


def attachment_delete(*, attachment_id: int, actor: User) -> None:
    """Remove an attachment while the project is still editable."""
    with transaction.atomic(), audit.action(actor, "project.attachment.delete"):
        attachment = Attachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        project = _lock(attachment.project_id)
        _require_seller_side(project, actor)
        if project.status not in EDITABLE_STATUSES:
            raise IllegalTransition(_("项目已提交，附件不能删除。"))
        attachment.file.delete(save=False)
        attachment.delete()


# --------------------------------------------------------------------------- roadshow Q&A, follow


def question_ask(*, project_id: int, actor: User, body: str) -> Question:
    """A member asks in the roadshow; the question is public after moderation."""
    body = body.strip()
    if not 2 <= len(body) <= 500 or "\x00" in body:
        raise InvalidInput(_("请填写问题（2–500字）。"), field="body")
    if not actor.is_authenticated or actor.is_staff:
        raise PermissionDenied(_("请以会员身份登录后提问。"))
    with transaction.atomic(), audit.action(actor, "question.ask"):
        project = _lock(project_id)
        if project.status not in (*OPEN_STATUSES, Status.SUSPENDED):
            raise IllegalTransition(_("项目不在披露期，不能提问。"))
        if Question.objects.filter(project=project, asker=actor, status=Question.Status.PENDING).count() >= 5:
            raise Conflict(_("您有较多问题待审核，请稍后再提问。"))
        return Question.objects.create(project=project, asker=actor, body=body, asked_at=clock.now())


def question_answer(*, question_id: int, actor: User, body: str) -> Answer:
    """The seller (or staff with listings.answer_question) answers; re-answering edits."""
    body = body.strip()
    if not 2 <= len(body) <= 2000 or "\x00" in body:
        raise InvalidInput(_("请填写回答（2–2000字）。"), field="body")
    with transaction.atomic(), audit.action(actor, "question.answer"):
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise NotFound()
        project = question.project
        staff = actor.has_perm("listings.answer_question")
        if not (staff or is_seller_side(project, actor)):
            raise PermissionDenied()
        if question.notice_id:
            raise IllegalTransition(_("该问答已收入答疑公告，不能修改。"))
        answer, _created = Answer.objects.update_or_create(
            question=question,
            defaults={"body": body, "answered_by": actor, "answered_at": clock.now(), "by_exchange": staff},
        )
        return answer


def question_moderate(*, question_id: int, actor: User, publish: bool) -> Question:
    """Staff publish or hide a question (and its answer)."""
    _require_perm(actor, "listings.moderate_question")
    with transaction.atomic(), audit.action(actor, "question.moderate", publish=publish):
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None:
            raise NotFound()
        question.status = Question.Status.PUBLISHED if publish else Question.Status.HIDDEN
        question.moderated_by, question.moderated_at = actor, clock.now()
        question.save(update_fields=["status", "moderated_by", "moderated_at"])
        return question


def qa_notice_publish(*, project_id: int, actor: User) -> Notice:
    """Bundle the published, answered questions not yet in a notice into a 答疑公告."""
    _require_perm(actor, "listings.publish_notice")
    with transaction.atomic(), audit.action(actor, "notice.qa"):
        project = _lock(project_id)
        if not project.is_public:
            raise IllegalTransition(_("项目尚未公开披露。"))
        questions = list(
            Question.objects.select_related("answer")
            .filter(project=project, status=Question.Status.PUBLISHED, notice__isnull=True, answer__isnull=False)
            .order_by("asked_at")
        )
        if not questions:
            raise InvalidInput(_("没有可收入答疑公告的已回答问题。"))
        notice = _notice_create(project=project, kind=Notice.Kind.QA, actor=actor, extra={"questions": questions})
        Question.objects.filter(pk__in=[q.pk for q in questions]).update(notice=notice)
        return notice


def follow_toggle(*, project_id: int, user: User) -> bool:
    """Follow or unfollow a public project; returns whether the user now follows it."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请登录后关注项目。"))
    if user.is_staff:
        raise PermissionDenied(_("请以会员身份登录后关注项目。"))
    with transaction.atomic(), audit.action(user, "project.follow"):
        project = _lock(project_id)
        if not project.is_public:
            raise NotFound()
        deleted, _detail = Follow.objects.filter(user=user, project=project).delete()
        if deleted:
            Project.objects.filter(pk=project.pk).update(follower_count=F("follower_count") - 1)
            return False
        Follow.objects.create(user=user, project=project, created_at=clock.now())
        Project.objects.filter(pk=project.pk).update(follower_count=F("follower_count") + 1)
        return True


def project_viewed(*, project_id: int) -> None:
    """Count a page view (one UPDATE, no lock, no audit)."""
    Project.objects.filter(pk=project_id).update(view_count=F("view_count") + 1)
