"""What the bid path and the clock share: the auction row lock, publishing after commit, and
the close of a session (the `auction_closed` signal)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.dispatch import Signal

from exchange.bidding import errors, events, rules, tasks
from exchange.bidding.models import Auction, AuctionBidder, Status
from exchange.bidding.selectors import auction_public

log = logging.getLogger(__name__)


# Sent after the commit of a close: auction_id, result, winner_user_id, price (Decimal | None).
# Settlement/trading connect here (they receive ids and amounts, never bidding objects).
auction_closed = Signal()


# --- locking ---------------------------------------------------------------------------


def _locked(auction_id: int) -> Auction:
    """The auction row, locked for this transaction (leader loaded in the same statement)."""
    qs = Auction.objects.select_related("leader")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    auction = qs.filter(pk=auction_id).first()
    if auction is None:
        raise errors.AuctionNotFound()
    return auction


def _publish(auction_id: int, event: str, data: dict[str, Any]) -> None:
    try:
        events.publish(auction_id, event, data)
    except Exception:  # the ledger is the truth; a lost notification is replayed from it
        log.exception("bidding: publishing %s of auction %s failed", event, auction_id)


def _publish_bids(auction_id: int, public: Iterable[dict[str, Any]]) -> None:
    for data in public:
        _publish(auction_id, "bid", data)


def _publish_state(auction_id: int, event: str = "state") -> None:
    _publish(auction_id, event, auction_public(auction_id=auction_id))


# --- the clock: open and close ---------------------------------------------------------


def _close_fields(close: rules.CloseDecision, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": Status.CLOSED,
        "result": close.result,
        "winner_id": close.winner_id,
        "final_price": close.price if close.result == rules.SOLD else None,
        "closed_at": now,
    }


def _after_close(auction_id: int, close: rules.CloseDecision) -> None:
    """After the commit of a close: event, confirmation document, settlement hook."""

    def done() -> None:
        _publish_state(auction_id, "closed")
        try:
            tasks.confirmation_generate.enqueue(auction_id=auction_id)
        except Exception:
            log.exception("bidding: could not enqueue the confirmation of auction %s", auction_id)
        winner_user_id = (
            AuctionBidder.objects.filter(pk=close.winner_id).values_list("user_id", flat=True).first()
            if close.winner_id
            else None
        )
        auction_closed.send(
            sender=Auction,
            auction_id=auction_id,
            result=close.result,
            winner_user_id=winner_user_id,
            price=close.price if close.result == rules.SOLD else None,
        )

    transaction.on_commit(done)
