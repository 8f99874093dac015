"""Filing a project: create, update, submit, review (挂牌申请与审核)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.brokers.services import mandate_file_project
from exchange.core import audit, clock
from exchange.core.errors import IllegalTransition, InvalidInput, PermissionDenied
from exchange.listings import conf
from exchange.listings.models import (
    EDITABLE_STATUSES,
    IN_REVIEW_STATUSES,
    Notice,
    Project,
    ProjectChange,
    ProjectReview,
    Status,
)
from exchange.listings.services.common import _require_seller_side, _transition, is_broker, project_for_update
from exchange.listings.services.notices import _schedule
from exchange.listings.services.rules import _assign_code, _clean_fields, _derive, check_ready, minimum_periods

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
            mandate_file_project(
                broker=broker, seller=seller, category=project.category, project_id=project.pk, mandate_id=mandate_id
            )
    return project


def project_update(*, project_id: int, actor: User, **data: Any) -> Project:
    """Edit a draft or returned project (content is frozen from submission on)."""
    cleaned = _clean_fields(data)
    with transaction.atomic(), audit.action(actor, "project.update"):
        project = project_for_update(project_id)
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
        project = project_for_update(project_id)
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
        project = project_for_update(project_id)
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
