"""The hash chain of an auction's bids, and the public form of a bid (no identity)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exchange.bidding.models import Bid

GENESIS_PREFIX = "exchange-auction"


# --- the hash chain --------------------------------------------------------------------


def genesis_hash(auction_id: int) -> str:
    """prev_hash of the first bid: sha256("exchange-auction|<auction id>")."""
    return hashlib.sha256(f"{GENESIS_PREFIX}|{auction_id}".encode()).hexdigest()


def format_time(at: dt.datetime) -> str:
    """The time as hashed: UTC, ISO 8601 with microseconds, e.g. 2026-11-27T02:00:00.000000+00:00."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def bid_hash(*, prev_hash: str, seq: int, bidder_no: str, amount: Decimal, accepted_at: dt.datetime) -> str:
    """sha256 over the UTF-8 bytes of "prev_hash|seq|bidder_no|amount|accepted_at" (docs/bidding.md)."""
    text = f"{prev_hash}|{seq}|{bidder_no}|{amount:.2f}|{format_time(accepted_at)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bid_public(bid: Bid) -> dict[str, Any]:
    """The public form of a bid (the same in the API, the events and the hall): no identity.
    A sealed quote's receipt (before the opening, to its bidder only) has no seq — its place
    tells how many quoted before — and carries what the bidder needs to check the opening:
    the salt, the commitment and the entry's hash (api.SealedBidOut)."""
    if getattr(bid, "sealed", False):
        return {
            "seq": None,
            "amount": f"{bid.amount:.2f}",
            "bidder_no": bid.bidder_no,
            "accepted_at": timezone.localtime(bid.accepted_at).isoformat(timespec="microseconds"),
            "ends_at": timezone.localtime(bid.ends_at).isoformat(timespec="microseconds"),
            "sealed": True,
            "salt": bid.salt,
            "commitment": bid.commitment,
            "hash": bid.hash,
        }
    return {
        "seq": bid.seq,
        "amount": f"{bid.amount:.2f}",
        "bidder_no": bid.bidder_no,
        "accepted_at": timezone.localtime(bid.accepted_at).isoformat(timespec="microseconds"),
        "ends_at": timezone.localtime(bid.ends_at).isoformat(timespec="microseconds"),
    }
