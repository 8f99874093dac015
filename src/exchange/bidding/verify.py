"""Recompute an auction's hash chain and outcome from its bid log (`manage.py verify_auction`).

Checks: seq runs 1..N without a gap; every prev_hash is the previous hash (the first:
the genesis hash of the auction — a sealed auction's random one, published at the opening);
every hash recomputes (a sealed quote's over its commitment, which its amount and salt must
open; a sealed auction not yet opened has nothing to check); the auction's head is the last
hash and its seq is N; time never goes back and no bid was accepted after the deadline
the previous bid left; in ascending modes prices never go down; in Dutch mode every bid
after the first (the pre-emption window) is at the taken price by a higher rank than the
previous; and the outcome (result, winner, price) follows from the log by the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exchange.bidding import rules, sealed
from exchange.bidding.chain import bid_hash, genesis_hash
from exchange.bidding.models import Auction, AuctionBidder, Bid, DeadlineShift, Status
from exchange.bidding.selectors import sealed_hidden


@dataclass
class Report:
    auction_id: int
    bids: int = 0
    head_hash: str = ""
    result: str | None = None
    winner_no: str | None = None
    price: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "auction_id": self.auction_id,
            "ok": self.ok,
            "bids": self.bids,
            "head_hash": self.head_hash,
            "result": self.result,
            "winner_no": self.winner_no,
            "price": self.price,
            "problems": self.problems,
        }


def verify_auction(auction_id: int) -> Report:
    auction = Auction.objects.select_related("winner").get(pk=auction_id)
    report = Report(auction_id=auction_id)
    bids = list(Bid.objects.filter(auction_id=auction_id).order_by("seq"))
    ranks = dict(AuctionBidder.objects.filter(auction_id=auction_id).values_list("bidder_no", "rank"))
    shifts: dict[int, list[DeadlineShift]] = {}
    for shift in DeadlineShift.objects.filter(auction_id=auction_id).order_by("created_at", "pk"):
        shifts.setdefault(shift.seq, []).append(shift)
    if sealed_hidden(auction):  # not opened: its quotes are sealed in the vault (sealed.py)
        return report
    prev = auction.log_genesis or genesis_hash(auction_id)
    previous: Bid | None = None
    for expected_seq, bid in enumerate(bids, start=1):
        if bid.seq != expected_seq:
            report.problems.append(f"seq {bid.seq}: expected {expected_seq} (gap or duplicate)")
        if bid.prev_hash != prev:
            report.problems.append(f"seq {bid.seq}: prev_hash does not link to the previous entry")
        if bid.commitment:  # a sealed quote: the entry is over its commitment, which the amount opens
            if bid.commitment != sealed.commitment(
                auction_id=auction_id, bidder_no=bid.bidder_no, amount=bid.amount, salt=bid.salt
            ):
                report.problems.append(f"seq {bid.seq}: the amount and salt do not open the commitment")
            h = sealed.entry_hash(
                prev_hash=bid.prev_hash, bidder_no=bid.bidder_no, commitment=bid.commitment, accepted_at=bid.accepted_at
            )
        else:
            h = bid_hash(
                prev_hash=bid.prev_hash,
                seq=bid.seq,
                bidder_no=bid.bidder_no,
                amount=bid.amount,
                accepted_at=bid.accepted_at,
            )
        if h != bid.hash:
            report.problems.append(f"seq {bid.seq}: hash does not match its content")
        if previous is not None:
            if bid.accepted_at < previous.accepted_at:
                report.problems.append(f"seq {bid.seq}: accepted before the previous bid")
            deadline = _moved_deadline(previous, shifts, report)
            if bid.accepted_at >= deadline:
                report.problems.append(f"seq {bid.seq}: accepted after the deadline {deadline.isoformat()}")
            if auction.mode != rules.SEALED and bid.amount < previous.amount:
                report.problems.append(f"seq {bid.seq}: price went down")
            if auction.mode == rules.DUTCH and (
                bid.amount != previous.amount or ranks.get(bid.bidder_no, 0) <= ranks.get(previous.bidder_no, 0)
            ):
                report.problems.append(f"seq {bid.seq}: not a pre-emption at the taken price")
        prev = bid.hash
        previous = bid
    report.bids = len(bids)
    report.head_hash = bids[-1].hash if bids else ""
    if (auction.head_hash or "") != (report.head_hash or auction.log_genesis):
        report.problems.append("the auction's head hash is not the last entry's hash")
    if auction.seq != len(bids):
        report.problems.append(f"the auction's seq {auction.seq} != {len(bids)} entries")
    _outcome(auction, bids, ranks, report, _moved_deadline(bids[-1], shifts, report) if bids else None)
    return report


def _moved_deadline(bid: Bid, shifts: dict[int, list[DeadlineShift]], report: Report) -> Any:
    """The deadline in force after `bid` once the deadline moves recorded after it applied."""
    deadline = bid.ends_at
    for shift in shifts.get(bid.seq, []):
        if shift.ends_before != deadline or shift.ends_after < shift.ends_before:
            report.problems.append(f"seq {bid.seq}: a deadline move ({shift.kind}) does not follow the deadline")
        deadline = max(deadline, shift.ends_after)
    return deadline


def _outcome(auction: Auction, bids: list[Bid], ranks: dict[str, int], report: Report, deadline: Any) -> None:
    if not bids:
        result, winner, price = rules.NO_BIDS, None, None
    else:
        if auction.mode == rules.SEALED:
            best = max(bids, key=lambda b: (b.amount, ranks.get(b.bidder_no, 0), -b.seq))
        else:  # every accepted bid led when it was placed: the last one leads
            best = bids[-1]
        price_d: Decimal = best.amount
        if auction.reserve_price is not None and price_d < auction.reserve_price:
            result, winner, price = rules.RESERVE_NOT_MET, None, None
        else:
            result, winner, price = rules.SOLD, best.bidder_no, f"{price_d:.2f}"
        if auction.status != Status.CLOSED or auction.mode == rules.SEALED:
            pass
        elif auction.current_price != best.amount:
            report.problems.append("the auction's current price is not the last bid")
    report.result, report.winner_no, report.price = result, winner, price
    if auction.status == Status.CLOSED:
        stored_winner = auction.winner.bidder_no if auction.winner else None
        stored_price = f"{auction.final_price:.2f}" if auction.final_price is not None else None
        if (auction.result, stored_winner, stored_price) != (result, winner, price):
            report.problems.append(
                f"stored outcome {(auction.result, stored_winner, stored_price)} != recomputed {(result, winner, price)}"
            )
        # Dutch too: a take that ends it at once leaves ends_at = its time = closed_at; one
        # that opens a pre-emption window leaves the end of the window
        if deadline is not None and auction.closed_at is not None and auction.closed_at < deadline:
            report.problems.append("closed before the deadline left by the last bid")
