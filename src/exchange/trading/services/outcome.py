"""The outcome after disclosure: agreement, auction, extension or no buyer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.bidding import services as bidding
from exchange.bidding.services import auction_url
from exchange.core import audit, clock, workdays
from exchange.core.money import format_yuan
from exchange.core.permissions import SYSTEM
from exchange.deals.services import deal_open
from exchange.listings import selectors as listings_selectors
from exchange.listings import services as listings
from exchange.listings.selectors import ProjectStatus as P
from exchange.listings.services import project_for_update
from exchange.trading import conf
from exchange.trading.models import (
    IN_REVIEW,
    Application,
    NoBuyer,
    Outcome,
    PriorityHolder,
    Status,
    TradingTerms,
)
from exchange.trading.services.common import _at, _notify, _transition
from exchange.trading.services.terms import terms_ensure

if TYPE_CHECKING:
    from exchange.listings.models import Project

# --------------------------------------------------------------------------- outcome


def auction_start(now: dt.datetime) -> dt.datetime:
    """When an auction organised now starts: N working days later at the set hour (or N minutes)."""
    minutes = conf.get("TRADING_AUCTION_DELAY_MINUTES")
    if minutes is not None:
        return now + dt.timedelta(minutes=float(minutes))
    day = workdays.add_workdays(timezone.localdate(now), conf.get("TRADING_AUCTION_DELAY_WORKDAYS"))
    return _at(day, conf.get("TRADING_AUCTION_HOUR"))


def _close_open(project: Project, reason: str, *, statuses: Iterable[str] = (*IN_REVIEW, Status.QUALIFIED)) -> int:
    now = clock.now()
    count = 0
    for app in Application.objects.select_for_update().select_related("applicant").filter(
        project=project, round=project.round, status__in=list(statuses)
    ):  # fmt: skip
        app.closed_reason, app.closed_at = reason[:300], now
        _transition(app, Status.CLOSED, fields=("closed_reason", "closed_at"))
        _notify(
            app.applicant,
            kind="application.closed",
            subject=_("%(t)s的受让申请已关闭") % {"t": project.title},
            body=reason,
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:closed",
        )
        count += 1
    return count


def _mode(project: Project) -> str:
    return project.trading_method if project.trading_method != "agreement" else "dynamic"


def _organise_auction(
    project: Project, terms: TradingTerms, bidders: list[Application], now: dt.datetime, starts: dt.datetime | None
) -> Any:

    starts = starts or auction_start(now)
    mode = _mode(project)
    spec = bidding.AuctionSpec(
        title=project.title,
        mode=mode,
        start_price=project.floor_price,
        increment=terms.increment,
        starts_at=starts,
        duration=dt.timedelta(seconds=terms.free_period_seconds),
        countdown_seconds=terms.countdown_seconds,
        window_seconds=terms.window_seconds,
        extension_seconds=terms.extension_seconds,
        dutch_tick=terms.increment if mode == "dutch" else Decimal("0"),
        dutch_floor=project.floor_price if mode == "dutch" else Decimal("0"),
        project_id=project.pk,
        project_code=project.code or "",
    )
    if mode == "dutch":  # a descending auction starts above the floor and stops at it
        spec = bidding.AuctionSpec(**{**spec.__dict__, "start_price": project.floor_price + 10 * terms.increment})
    auction = bidding.auction_create(spec=spec, actor=None)
    by_rank: dict[int, list[Application]] = {}
    ranks = dict(PriorityHolder.objects.filter(terms=terms).values_list("member_id", "rank"))
    for app in bidders:
        app.rank = ranks.get(app.applicant_id, 0)  # the holders as they stand when the auction is organised
        by_rank.setdefault(app.rank, []).append(app)
    for rank, apps in sorted(by_rank.items()):
        admitted = bidding.bidders_admit(
            auction_id=auction.pk,
            users=[a.applicant for a in apps],
            kind="deposit",
            actor=None,
            rank=rank,
            numbers={a.applicant_id: a.bidder_no for a in bidders if a.bidder_no},  # kept from the deposit
        )
        for app, bidder in zip(apps, admitted, strict=True):
            app.auction_id, app.bidder_no = auction.pk, bidder.bidder_no
            app.save(update_fields=["auction_id", "bidder_no", "rank", "updated_at"])
    return auction


def outcome_decide(*, project_id: int, auction_starts_at: dt.datetime | None = None) -> Outcome | None:
    """Decide what happens to a project whose disclosure ended (the periodic job; idempotent).

    Counts the confirmed bidders (竞买人) of the current round; waits while a qualified
    applicant's deposit may still arrive. 0 → per terms: extend / relist by staff /
    terminate; 1 → agreement deal (协议转让) or a sole-bidder auction (网络竞价);
    ≥2 → an auction in the project's mode, 竞价公告, bidders notified with their number.
    Applications still under review are closed. Returns None when nothing was decided.
    `auction_starts_at` overrides the computed start (staff scheduling by hand, demos).
    """

    now = clock.now()
    project = listings_selectors.project_get(project_id)
    if project is None or project.status != P.DISCLOSURE_ENDED:
        return None
    if Outcome.objects.filter(project=project, round=project.round, cycle=project.extension_cycles).exists():
        return None
    if Application.objects.filter(
        project=project, round=project.round, status=Status.QUALIFIED, deposit_due_at__gt=now
    ).exists():
        return None  # a deposit may still arrive in time
    terms = terms_ensure(project_id=project_id)
    with transaction.atomic(), audit.action(None, "trading.outcome", project=project_id):
        project = project_for_update(project_id)
        if project.status != P.DISCLOSURE_ENDED:
            return None
        bidders = list(
            Application.objects.select_for_update()
            .select_related("applicant")
            .filter(project=project, round=project.round, status=Status.DEPOSIT_CONFIRMED)
            .order_by("deposit_confirmed_at", "pk")
        )
        outcome = Outcome(
            project=project, round=project.round, cycle=project.extension_cycles, bidders=len(bidders), decided_at=now
        )
        if not bidders:
            outcome.decision = _no_buyer(project, terms, listings)
            outcome.save()
            if outcome.decision != Outcome.Decision.EXTENDED:  # an extension keeps them going
                _close_open(project, _("披露期满未征集到竞买人，本轮受让申请关闭。"))
            return outcome
        _close_open(project, _("披露期满时尚未完成资格确认或保证金交纳，申请关闭。"))
        if len(bidders) == 1 and project.trading_method == "agreement":
            app = bidders[0]
            price = max(app.bid_floor or Decimal(0), project.floor_price)
            outcome.decision, outcome.price = Outcome.Decision.AGREEMENT, price
            outcome.result, outcome.result_at = Outcome.Result.SOLD, now
            outcome.save()
            app.closed_at = now
            _transition(app, Status.WINNER, fields=("closed_at",))

            deal_open(project_id=project.pk, buyer_id=app.applicant_id, price=price, kind="agreement", actor=None)
            _notify(
                app.applicant,
                kind="application.winner",
                subject=_("%(t)s将以协议方式成交") % {"t": project.title},
                body=_("成交价%(p)s，请按通知签订产权交易合同。") % {"p": format_yuan(price)},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:winner",
            )
            return outcome
        auction = _organise_auction(project, terms, bidders, now, auction_starts_at)
        outcome.decision = Outcome.Decision.SOLE_AUCTION if len(bidders) == 1 else Outcome.Decision.AUCTION
        outcome.auction_id, outcome.auction_starts_at = auction.pk, auction.starts_at
        outcome.save()
        listings.project_trade_move(
            project_id=project.pk,
            to=P.BIDDING,
            actor=None,
            reason=_("竞买人%(n)s名，组织网络竞价") % {"n": len(bidders)},
        )

        url = auction_url(auction.pk)
        listings.notice_publish(
            project_id=project.pk,
            kind="auction",
            actor=None,
            extra={"auction": auction, "bidders": len(bidders), "terms": terms, "url": url, "sole": len(bidders) == 1},
        )
        for app in bidders:
            _notify(
                app.applicant,
                kind="application.auction",
                subject=_("%(t)s网络竞价通知：您的竞买号 %(no)s") % {"t": project.title, "no": app.bidder_no},
                body=_("竞价将于%(at)s开始，起始价%(p)s。%(sole)s")
                % {
                    "at": f"{timezone.localtime(auction.starts_at):%Y-%m-%d %H:%M}",
                    "p": format_yuan(auction.start_price),
                    "sole": _("您是唯一竞买人，须在竞价期间以起始价应价，否则保证金不予退还。")
                    if len(bidders) == 1
                    else "",
                },
                url=url,
                key=f"application:{app.pk}:auction:{auction.pk}",
            )
    return outcome


def plan_outcome(*, bidders: int, method: str, on_no_buyer: str, can_extend: bool) -> str:
    """What a round with `bidders` confirmed bidders becomes (an `Outcome.Decision`), as a
    pure function: none → extend, relist or terminate as the terms say; one → an agreement
    deal (or a sole-bidder auction where the method says auction); two or more → an auction."""
    if bidders <= 0:
        if on_no_buyer == NoBuyer.EXTEND:
            return Outcome.Decision.EXTENDED if can_extend else Outcome.Decision.RELIST_PENDING
        if on_no_buyer == NoBuyer.TERMINATE:
            return Outcome.Decision.TERMINATED
        return Outcome.Decision.RELIST_PENDING
    if bidders == 1:
        return Outcome.Decision.AGREEMENT if method == "agreement" else Outcome.Decision.SOLE_AUCTION
    return Outcome.Decision.AUCTION


def _no_buyer(project: Project, terms: TradingTerms, listings: Any) -> str:
    """No bidder: extend if the terms and the notice allow it, else relist by staff or terminate."""
    can_extend = project.allow_extension and project.extension_cycles < project.max_extension_cycles
    decision = plan_outcome(bidders=0, method=project.trading_method, on_no_buyer=terms.on_no_buyer,
                            can_extend=can_extend)  # fmt: skip
    if decision == Outcome.Decision.EXTENDED:
        listings.project_extend(project_id=project.pk, actor=SYSTEM)
    elif decision == Outcome.Decision.TERMINATED:
        listings.project_terminate(
            project_id=project.pk, actor=SYSTEM, reason=_("披露期满未征集到符合条件的意向受让方。")
        )
    return decision
