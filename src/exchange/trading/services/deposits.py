"""Deposits: a confirmed deposit makes a bidder; stray ones are refunded; lapses."""

from __future__ import annotations

import contextlib

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.bidding.services import bidder_numbers_new
from exchange.core import audit, clock
from exchange.core.errors import NotFound
from exchange.listings.selectors import ProjectStatus as P
from exchange.listings.services import project_for_update
from exchange.settlement import selectors as settlement_selectors
from exchange.settlement import services as settlement
from exchange.settlement.selectors import DepositStatus
from exchange.trading.models import (
    ACTIVE_STATUSES,
    Application,
    Outcome,
    Status,
)
from exchange.trading.services.common import OPEN_FOR_APPLICATIONS, _lock, _notify, _transition

# --------------------------------------------------------------------------- deposits


def _round_decided(app: Application) -> bool:
    """The application's round can take no more bidders (its outcome is decided or it ended)."""
    project = app.project
    return (
        app.round != project.round
        or project.status not in (*OPEN_FOR_APPLICATIONS, P.SUSPENDED, P.DISCLOSURE_ENDED)
        or Outcome.objects.filter(project=project, round=app.round, cycle=project.extension_cycles)
        .exclude(decision=Outcome.Decision.EXTENDED)
        .exists()
    )


def _refund_stray_deposit(*, project_id: int, member_id: int, instruction_id: int) -> Application | None:
    """A deposit confirmed for an application that can no longer become a bidder (closed,
    withdrawn, or lapsed after the round's outcome was decided) is refunded at once
    (settlement.deposit_refund: to the account it came from, in the next payment batch).
    Nothing happens while the member has an active application, or when the deposit is
    no longer held (refunded or forfeited already). Returns the application refunded for."""

    if Application.objects.filter(project_id=project_id, applicant_id=member_id, status__in=ACTIVE_STATUSES).exists():
        return None
    app = (
        Application.objects.select_related("project", "applicant")
        .filter(
            project_id=project_id,
            applicant_id=member_id,
            deposit_instruction_id=instruction_id,
            status__in=[Status.CLOSED, Status.WITHDRAWN, Status.LAPSED],
        )
        .order_by("-round", "-pk")
        .first()
    )
    held = settlement_selectors.deposit_held(instruction_id=instruction_id, project_id=project_id, member_id=member_id)
    if app is None or not held:
        return None
    reason = _("受让申请已%(s)s，保证金到账后自动退还") % {"s": Status(app.status).label}
    settlement.deposit_refund(instruction_id=instruction_id, reason=reason)
    _notify(
        app.applicant,
        kind="application.deposit_refunded",
        subject=_("%(t)s的保证金将原路退还") % {"t": app.project.title},
        body=reason,
        url=app.get_absolute_url(),
        key=f"application:{app.pk}:stray_deposit:{instruction_id}",
    )
    return app


def _bidder_number(app: Application) -> str:
    """A random 竞买号 for a new 竞买人, unique among the bidders of the project's round (the
    auction keeps it). The caller holds the project's lock."""

    taken = set(
        Application.objects.filter(project_id=app.project_id, round=app.round)
        .exclude(bidder_no="")
        .values_list("bidder_no", flat=True)
    )
    return bidder_numbers_new(taken, 1)[0]


def deposit_confirmed_apply(*, project_id: int, member_id: int, instruction_id: int) -> Application | None:
    """settlement's `deposit_confirmed`: the qualified applicant becomes a 竞买人 (idempotent).
    A late payment matched by hand revives a lapsed application while its round is still
    open. A deposit confirmed for an application already closed, withdrawn, or lapsed in a
    decided round is refunded automatically (`_refund_stray_deposit`); returns None then."""
    with transaction.atomic(), audit.action(None, "application.deposit_confirmed", instruction=instruction_id):
        # the project first (the lock order of outcome_decide): numbers are unique per round
        with contextlib.suppress(NotFound):
            project_for_update(project_id)
        app = (
            Application.objects.select_for_update()
            .select_related("project", "applicant")
            .filter(project_id=project_id, applicant_id=member_id, status__in=[Status.QUALIFIED, Status.LAPSED])
            .order_by("-round", "-pk")
            .first()
        )
        if app is None or (app.status == Status.LAPSED and _round_decided(app)):
            _refund_stray_deposit(project_id=project_id, member_id=member_id, instruction_id=instruction_id)
            return None
        app.deposit_confirmed_at = clock.now()
        app.deposit_instruction_id = app.deposit_instruction_id or instruction_id
        app.bidder_no = app.bidder_no or _bidder_number(app)
        _transition(
            app, Status.DEPOSIT_CONFIRMED, fields=("deposit_confirmed_at", "deposit_instruction_id", "bidder_no")
        )
        _notify(
            app.applicant,
            kind="application.deposit_confirmed",
            subject=_("%(t)s保证金已到账，您已成为竞买人，竞买号 %(no)s")
            % {"t": app.project.title, "no": app.bidder_no},
            body=_(
                "您的竞买号是 %(no)s，竞价时仅以竞买号显示，请勿向他人透露。披露期满后交易中心将组织交易，竞价时间将另行通知。"
            )
            % {"no": app.bidder_no},
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:deposit",
        )
    return app


def applications_lapse() -> int:
    """Qualified applicants whose deposit is past due (instruction expired or due time
    passed) gave up: LAPSED (the periodic job). Returns how many."""

    now = clock.now()
    ids = list(Application.objects.filter(status=Status.QUALIFIED, deposit_due_at__lt=now).values_list("pk", flat=True))
    count = 0
    for pk in ids:
        with transaction.atomic(), audit.action(None, "application.lapse"):
            app = _lock(pk)
            if app.status != Status.QUALIFIED:
                continue
            if settlement_selectors.deposit_status(app.deposit_instruction_id) == DepositStatus.CONFIRMED:
                continue  # the confirmation signal is on its way
            app.closed_reason, app.closed_at = _("未在规定时间内交纳保证金，视为放弃。"), now
            _transition(app, Status.LAPSED, fields=("closed_reason", "closed_at"))
            _notify(
                app.applicant,
                kind="application.lapsed",
                subject=_("%(t)s保证金逾期未交，视为放弃") % {"t": app.project.title},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:lapsed",
            )
            count += 1
    return count
