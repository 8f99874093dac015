"""Errors, the project state machine, the row lock and the seller-side checks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.accounts.models import User
from exchange.brokers.selectors import is_broker as approved_broker
from exchange.brokers.selectors import may_act
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.listings.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Project,
    Status,
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


def project_for_update(project_id: int) -> Project:
    """The project row, locked (SELECT … FOR UPDATE) until the caller's transaction ends.

    The one lock helper for a project: listings' services and the other apps (trading, deals)
    take the project's lock through it, first, before any row of theirs (docs/architecture.md,
    "Lock order across apps"). Raises NotFound for an unknown id."""
    try:
        return Project.objects.select_for_update().get(pk=project_id)
    except Project.DoesNotExist:
        raise NotFound(_("项目不存在。")) from None


def _transition(project: Project, to: str, *, fields: tuple[str, ...] = (), **data: Any) -> None:
    """Move a locked project to `to` if TRANSITIONS allows it; save `fields` with it; audit.

    The caller holds the row lock (`project_for_update`) inside its transaction and has set the other
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

    if not (user and user.is_authenticated):
        return False
    return bool(user.pk == project.seller_id or may_act(user, project))


def _require_seller_side(project: Project, user: Any) -> None:
    if not (is_seller_side(project, user) or (user and user.has_perm("listings.change_project"))):
        raise PermissionDenied(_("只有转让方、其经纪会员或交易中心员工可以操作此项目。"))


def is_broker(user: User) -> bool:
    """A broker member (合作商户) whose status staff approved (exchange.brokers); it files
    projects for a seller only under that seller's mandate in force."""

    return approved_broker(user)
