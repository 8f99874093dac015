"""After disclosure: extend, relist, suspend, resume, terminate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, InvalidInput, PermissionDenied
from exchange.core.permissions import SYSTEM, has, require, require_staff
from exchange.listings import conf
from exchange.listings.models import (
    Attachment,
    Notice,
    Project,
    Status,
)
from exchange.listings.services.common import (
    FINAL_STATUSES,
    RELISTABLE_STATUSES,
    ConsentRequired,
    ExtensionNotAllowed,
    FloorBelowValuation,
    PeriodTooShort,
    RelistStopped,
    _transition,
    is_seller_side,
    project_for_update,
)
from exchange.listings.services.notices import _end_at, _notice_create, _schedule
from exchange.listings.services.rules import _clean_fields, _derive, minimum_periods

# --------------------------------------------------------------------------- after disclosure


def project_extend(*, project_id: int, actor: Any = None) -> Project:
    """延牌: one more cycle of `extension_wd` (≥5) working days after disclosure ended with
    too few buyers — only if the notice allowed it and cycles remain."""
    require(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.extend"):
        project = project_for_update(project_id)
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
    require_staff(actor, "listings.manage_disclosure")
    cleaned = _clean_fields({"floor_price": floor_price})
    floor = cleaned["floor_price"]
    with transaction.atomic(), audit.action(actor, "project.relist", floor_price=floor):
        project = project_for_update(project_id)
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
    require_staff(actor, "listings.manage_disclosure")
    reason = reason.strip()
    if not reason or len(reason) > 200 or "\x00" in reason:
        raise InvalidInput(_("请填写中止原因（200字以内）。"), field="reason")
    today = clock.today()
    max_days = conf.get("LISTINGS_SUSPEND_MAX_DAYS")
    if not today < until <= today + dt.timedelta(days=max_days):
        raise InvalidInput(_("中止期限不得超过%(n)s天。") % {"n": max_days}, field="until")
    with transaction.atomic(), audit.action(actor, "project.suspend", reason=reason):
        project = project_for_update(project_id)
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
    require_staff(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "project.resume"):
        project = project_for_update(project_id)
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


def project_terminate(*, project_id: int, actor: User | None, reason: str) -> Project:
    """终结: the seller may withdraw an application not yet scheduled; staff
    (listings.manage_disclosure) or the system (trading, when no buyer came and the terms say
    terminate) may end any open project, with a 终结公告 if it was public."""
    reason = reason.strip()
    if not reason or len(reason) > 200 or "\x00" in reason:
        raise InvalidInput(_("请填写终结原因（200字以内）。"), field="reason")
    with transaction.atomic(), audit.action(actor, "project.terminate", reason=reason):
        project = project_for_update(project_id)
        staff = actor is SYSTEM or has(actor, "listings.manage_disclosure")
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
