"""The disclosure calendar and notices (公告): schedule, publish, withdraw, clarifications; trading's status moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from exchange.core.permissions import require, require_staff
from exchange.core.text import clean_name
from exchange.listings import categories, conf
from exchange.listings.models import (
    Notice,
    Project,
    Status,
)
from exchange.listings.services.common import (
    TRADE_MOVES,
    PublicityPeriodRunning,
    _transition,
    project_for_update,
)

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


def project_dates_recompute(*, project_id: int, actor: Any = None) -> Project:
    """Recompute provisional dates once staff entered the official calendar of the year.
    Staff need `listings.manage_disclosure` (actor None: the system)."""
    require(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.dates_recompute"):
        project = project_for_update(project_id)
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
    require(actor, "listings.publish_notice")
    if kind not in Notice.Kind.values:
        raise InvalidInput(_("未知的公告类型。"), field="kind")
    with transaction.atomic(), audit.action(actor, "notice.publish", kind=kind):
        project = project_for_update(project_id)
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
    require_staff(actor, "listings.manage_disclosure")
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
    require(actor, "listings.manage_disclosure")
    if to not in TRADE_MOVES:
        raise IllegalTransition(_("不支持的交易状态变更。"))
    with transaction.atomic(), audit.action(actor, "project.trade", to=to, reason=reason):
        project = project_for_update(project_id)
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
    require_staff(actor, "listings.publish_notice")
    title, body = clean_name(title, field="title", label=_("公告标题")), body.strip()
    if not title or not body or len(title) > 200 or "\x00" in title + body:
        raise InvalidInput(_("请填写公告标题和正文。"), field="body")
    with transaction.atomic(), audit.action(actor, "notice.clarification"):
        project = project_for_update(project_id)
        if not project.is_public:
            raise IllegalTransition(_("项目尚未公开披露，不能发布澄清公告。"))
        return _notice_create(project=project, kind=Notice.Kind.CLARIFICATION, actor=actor, title=title, body=body)
