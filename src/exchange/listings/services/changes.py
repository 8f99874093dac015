"""Changes to a published project (变更公告): propose and review."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from exchange.listings import categories, conf
from exchange.listings.models import (
    Notice,
    Project,
    ProjectChange,
    ProjectReview,
    Status,
)
from exchange.listings.services.application import _review_common
from exchange.listings.services.common import FloorBelowValuation, _require_seller_side, project_for_update
from exchange.listings.services.notices import _end_at, _notice_create
from exchange.listings.services.rules import _clean_fields, _derive, minimum_periods

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
        project = project_for_update(project_id)
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
        project = project_for_update(change.project_id)
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
