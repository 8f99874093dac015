"""Errors and the helpers every trading service uses (locks, transitions, notifications)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.listings.selectors import ProjectStatus as P
from exchange.members.services import notify
from exchange.trading.models import (
    Application,
    Status,
)

# --------------------------------------------------------------------------- errors


class AlreadyApplied(Conflict):
    code = "already_applied"


class NotVerified(PermissionDenied):
    code = "not_verified"


class Blacklisted(PermissionDenied):
    code = "blacklisted"


class Barred(PermissionDenied):
    code = "barred"


class OwnProject(PermissionDenied):
    code = "own_project"


class RegistrationClosed(IllegalTransition):
    code = "registration_closed"


class MaterialRejected(InvalidInput):
    code = "material_rejected"


class BidFloorTooLow(InvalidInput):
    code = "bid_floor_too_low"


class ConsortiumInvalid(InvalidInput):
    code = "consortium_invalid"


class ReasonNotPublished(InvalidInput):
    code = "reason_not_published"


class DeadlinePassed(IllegalTransition):
    code = "deadline_passed"


class NotYourApplication(PermissionDenied):  # no longer raised: someone else's application is `not_found`
    code = "not_your_application"


class SecondReviewerRequired(PermissionDenied):
    code = "second_reviewer_required"


class SellerOpinionRequired(IllegalTransition):
    code = "seller_opinion_required"


class CommitmentMissing(InvalidInput):  # code "invalid", as before there were two ways to give it
    pass


class CommitmentChanged(InvalidInput):
    code = "commitment_changed"


class DraftLimit(InvalidInput):
    code = "draft_limit"


OPEN_FOR_APPLICATIONS = (P.DISCLOSURE, P.EXTENDED)


# --------------------------------------------------------------------------- helpers


def _notify(user: Any, *, kind: str, subject: str, body: str = "", url: str = "", key: str = "") -> None:
    """In-site message (and e-mail after commit) through members.notify; never blocks a trade."""

    notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=key)


def _lock(application_id: int) -> Application:
    try:
        return Application.objects.select_for_update().select_related("project", "applicant").get(pk=application_id)
    except Application.DoesNotExist:
        raise NotFound(_("受让申请不存在。")) from None


def _transition(app: Application, to: str, *, fields: Sequence[str] = ()) -> None:
    """Move a locked application to `to` if TRANSITIONS allows it; save `fields` with it."""
    frm = app.status
    if to not in Application.TRANSITIONS[frm]:
        raise IllegalTransition(
            _("受让申请当前状态为“%(frm)s”，不能变为“%(to)s”。") % {"frm": Status(frm).label, "to": Status(to).label},
            status=frm,
        )
    app.status = to
    app.save(update_fields=sorted({"status", "updated_at", *fields}))


def condition_items(text: str) -> list[str]:
    """The published buyer conditions split into items (by line, ；/; and 。), numbering removed."""
    items = []
    for part in re.split(r"[\r\n；;。]+", text or ""):
        part = re.sub(r"^\s*(?:\d+[.、．)]|[（(]\d+[)）]|[一二三四五六七八九十]+、)\s*", "", part).strip(" ，,")
        if part and part not in items:
            items.append(part)
    return items


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
