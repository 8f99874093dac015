"""The outcome job, applying an auction's result, and closing terminated projects."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.bidding import selectors as bidding_selectors
from exchange.core import audit, clock
from exchange.core.money import format_yuan
from exchange.deals.services import deal_open
from exchange.listings import selectors as listings_selectors
from exchange.listings import services as listings
from exchange.listings.selectors import ProjectStatus as P
from exchange.listings.services import project_for_update
from exchange.settlement import services as settlement
from exchange.trading.models import (
    IN_REVIEW,
    Application,
    Outcome,
    Status,
)
from exchange.trading.services.common import _notify, _transition
from exchange.trading.services.deposits import applications_lapse
from exchange.trading.services.outcome import _close_open, outcome_decide

log = logging.getLogger(__name__)


def outcomes_run() -> dict[str, int]:
    """The periodic job: lapse late deposits, decide ended disclosures, apply missed
    auction results, close applications of terminated projects."""
    lapsed = applications_lapse()
    decided = 0
    for pk in listings_selectors.project_ids_in(P.DISCLOSURE_ENDED):
        try:
            decided += outcome_decide(project_id=pk) is not None
        except Exception:  # one project's failure must not stop the others
            log.exception("trading: outcome of project %s failed", pk)
    applied = results_catch_up()
    closed = terminated_close()
    return {"lapsed": lapsed, "decided": decided, "results": applied, "closed": closed}


# --------------------------------------------------------------------------- auction result


def auction_result_apply(*, auction_id: int, result: str, winner_user_id: int | None, price: Decimal | None) -> bool:
    """bidding's `auction_closed` (after its commit; idempotent). Winner → WINNER, the
    others LOSER, deals.deal_open. No winner → 流拍: project FAILED, 流拍公告, deposits
    refunded — except a sole bidder who did not bid at the start price: forfeited.
    Returns True when this call applied the result."""

    outcome = Outcome.objects.filter(auction_id=auction_id).first()
    if outcome is None or outcome.result:
        return False
    now = clock.now()
    with transaction.atomic(), audit.action(None, "trading.auction_result", auction=auction_id, result=result):
        project = project_for_update(outcome.project_id)
        outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.result:
            return False
        bidders = list(
            Application.objects.select_for_update()
            .select_related("applicant")
            .filter(auction_id=auction_id, status=Status.DEPOSIT_CONFIRMED)
        )
        outcome.result_at = now
        if result == "sold" and winner_user_id is not None and price is not None:
            outcome.result, outcome.price = Outcome.Result.SOLD, price
            outcome.save(update_fields=["result", "price", "result_at"])
            winner = next((a for a in bidders if a.applicant_id == winner_user_id), None)
            for app in bidders:
                app.closed_at = now
                _transition(app, Status.WINNER if app is winner else Status.LOSER, fields=("closed_at",))
                _notify(
                    app.applicant,
                    kind="application.winner" if app is winner else "application.loser",
                    subject=(_("恭喜您竞得%(t)s") if app is winner else _("%(t)s竞价结束，您未竞得"))
                    % {"t": project.title},
                    body=_("成交价%(p)s。") % {"p": format_yuan(price)}
                    + (_("请按通知签订产权交易合同。") if app is winner else _("您的保证金将在结果公布后退还。")),
                    url=app.get_absolute_url(),
                    key=f"application:{app.pk}:result",
                )

            bidder_no = winner.bidder_no if winner else ""
            deal_open(
                project_id=project.pk, buyer_id=winner_user_id, price=price, kind="auction", auction_id=auction_id,
                bidder_no=bidder_no, actor=None,
            )  # fmt: skip
            return True
        outcome.result = Outcome.Result.FAILED
        outcome.save(update_fields=["result", "result_at"])
        sole_no_bid = outcome.decision == Outcome.Decision.SOLE_AUCTION and result == "no_bids"
        reason = _("竞价未产生买受人（流拍）。")
        for app in bidders:
            app.closed_at = now
            if sole_no_bid:
                app.closed_reason = _("唯一竞买人未在竞价期间以起始价应价，保证金不予退还。")
                _transition(app, Status.FORFEITED, fields=("closed_at", "closed_reason"))
                if app.deposit_instruction_id:
                    settlement.deposit_forfeit(
                        instruction_id=app.deposit_instruction_id,
                        reason=_("唯一竞买人未应价（%(code)s）") % {"code": project.code},
                    )
            else:
                app.closed_reason = reason
                _transition(app, Status.CLOSED, fields=("closed_at", "closed_reason"))
            _notify(
                app.applicant,
                kind="application.failed",
                subject=_("%(t)s竞价流拍") % {"t": project.title},
                body=app.closed_reason + ("" if sole_no_bid else _("您的保证金将按规定退还。")),
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:failed",
            )
        listings.project_trade_move(project_id=project.pk, to=P.FAILED, actor=None, reason=reason)
        listings.notice_publish(
            project_id=project.pk,
            kind="failure",
            actor=None,
            extra={"reason": {"no_bids": _("无人出价"), "reserve_not_met": _("最高报价未达到保留价")}.get(result, ""),
                   "sole": sole_no_bid, "outcome": outcome},
        )  # fmt: skip
        settlement.deposit_refund_schedule(project_id=project.pk, result_on=clock.today())
    return True


def results_catch_up() -> int:
    """Apply the results of closed auctions that the signal missed (a crash after commit)."""
    pending = Outcome.objects.filter(result="", auction_id__isnull=False).values_list("auction_id", flat=True)
    applied = 0
    for r in bidding_selectors.closed_auction_results(list(pending)):
        applied += auction_result_apply(
            auction_id=r.auction_id, result=r.result, winner_user_id=r.winner_user_id, price=r.price
        )
    return applied


# --------------------------------------------------------------------------- terminated projects


def terminated_close() -> int:
    """Projects terminated (终结) while applications were open: close them, refund paid
    deposits, notify (the periodic job; idempotent). Returns how many were closed."""

    project_ids = set(
        Application.objects.filter(
            project__status=P.TERMINATED,
            status__in=[*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED],
        ).values_list("project_id", flat=True)
    )
    count = 0
    for pid in sorted(project_ids):
        with transaction.atomic(), audit.action(None, "trading.terminated_close", project=pid):
            project = project_for_update(pid)
            paid = list(
                Application.objects.select_for_update().filter(
                    project=project, round=project.round, status=Status.DEPOSIT_CONFIRMED
                )
            )
            reason = _("项目已终结：%(r)s") % {"r": project.terminated_reason or _("交易中心终结挂牌")}
            count += _close_open(project, reason, statuses=(*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED))
            for app in paid:
                if app.deposit_instruction_id:
                    settlement.deposit_refund(instruction_id=app.deposit_instruction_id, reason=reason)
    return count
