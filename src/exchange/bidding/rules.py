"""The bidding rules as pure functions (docs/bidding.md; docs/design/decisions.md D6).

No ORM, no clock, no settings: the auction's state, the bidder and the server time are
arguments, and the answer is a `Decision` (accepted with the new state and the bids to
append, or rejected with a stable reason code) or a `CloseDecision`. The engine
(`engine.py`) loads the state under the auction's row lock, asks these functions, and
writes what they say; `verify_auction` replays the log with the same functions.

Modes
- ``dynamic`` 动态报价: free period [starts_at, free_end) then a timed period whose
  countdown of T seconds starts at free_end and is reset to T by each valid bid
  (deadline = bid time + T). No award during the free period.
- ``english`` 多次报价 with 延时: open until ends_at; a bid less than W before the end
  moves the end to bid time + E (never earlier than it was).
- ``sealed`` 一次报价: one hidden quote per bidder within [starts_at, ends_at), optional
  bounds; the best is price first, then pre-emption rank, then the earlier quote.
- ``dutch`` 减价: the price steps down from start_price by tick every interval until
  the floor; the first bidder to take the price (any amount on the step grid ≥ the
  current step price) wins at once — unless a qualified pre-emption holder outranks
  them (``Settings.top_rank``, supplied by the engine): then the price freezes at the
  taken price P and a pre-emption window of ``preemption_seconds`` opens, in which a
  holder ranking above the current leader may take P (the same price only) and leads;
  each such bid restarts the window, and the auction ends at once when the leader holds
  the top rank. The floor is offered for one interval, then the auction ends unsold.
- ``proxy`` 代理出价: English mechanics, but each submitted amount is the bidder's hidden
  maximum; the system places real bids: the challenger's bid, then the leader's automatic
  answer, each the minimum needed to lead up to its maximum. Pre-emption applies as in
  the ascending modes: the challenger wins with a higher maximum, or with an equal one
  and a higher rank; a higher rank leads at an equal price. Equal maxima and ranks: the
  earlier maximum wins (the leader answers at the same price and keeps the lead).

Common ascending rules: the first bid may equal the start price; a later bid is the
current price + n × increment (n ≥ 1; the increment may depend on the price band);
the leader may not raise their own bid unless allowed; a pre-emption holder (优先购买权)
may bid the *same* price as the current leader and then leads if their rank is higher
than the leader's (rank 0 = no right). Every accepted bid becomes the leader at the
moment it is placed: the outcome is the last bid of the log (sealed: the best quote).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final

from exchange.core.money import CENT

DYNAMIC: Final = "dynamic"
ENGLISH: Final = "english"
SEALED: Final = "sealed"
DUTCH: Final = "dutch"
PROXY: Final = "proxy"
MODES: Final = (DYNAMIC, ENGLISH, SEALED, DUTCH, PROXY)

SCHEDULED: Final = "scheduled"
RUNNING: Final = "running"
PAUSED: Final = "paused"
CLOSED: Final = "closed"
CANCELLED: Final = "cancelled"

# result of a closed auction
SOLD: Final = "sold"
NO_BIDS: Final = "no_bids"
RESERVE_NOT_MET: Final = "reserve_not_met"

# stable reason codes of a rejected bid (part of the public API: never rename)
BID_TOO_LOW: Final = "bid_too_low"
NOT_MULTIPLE: Final = "not_multiple_of_increment"
SELF_RAISE: Final = "self_raise"
NOT_OPEN: Final = "not_open"
NOT_QUALIFIED: Final = "not_qualified"
IS_PAUSED: Final = "paused"
IS_CLOSED: Final = "closed"
ABOVE_MAX: Final = "above_max"
SEALED_ALREADY_BID: Final = "sealed_already_bid"
INVALID_AMOUNT: Final = "invalid_amount"
PREEMPTION_ONLY: Final = "preemption_only"  # dutch, taken: only a higher-ranked holder, only the taken price

ZERO: Final = Decimal("0")


@dataclass(frozen=True)
class Settings:
    """Every number of an auction. Times are aware datetimes.

    starts_at: opening (dynamic: start of the free period). ends_at: planned end (english,
    proxy, sealed; dynamic: end of the free period = start of the timed period; dutch:
    unused, computed). increment_bands: ((from_price, increment), ...) ascending; the
    increment of the highest band whose from_price ≤ the current price applies, `increment`
    below the first band. top_rank (dutch): the highest pre-emption rank among the
    auction's qualified bidders — data about the bidders, not a setting, supplied by the
    engine when it decides a Dutch bid (0 elsewhere: only `_dutch` reads it).
    """

    mode: str
    start_price: Decimal
    increment: Decimal
    starts_at: dt.datetime
    ends_at: dt.datetime
    increment_bands: tuple[tuple[Decimal, Decimal], ...] = ()
    reserve_price: Decimal | None = None
    allow_leader_rebid: bool = False
    countdown_seconds: int = 180
    window_seconds: int = 300
    extension_seconds: int = 300
    sealed_min: Decimal | None = None
    sealed_max: Decimal | None = None
    dutch_tick: Decimal = ZERO
    dutch_interval_seconds: int = 60
    dutch_floor: Decimal = ZERO
    preemption_seconds: int = 60
    top_rank: int = 0


@dataclass(frozen=True)
class Bidder:
    """A bidder as the rules see it: number, qualification, pre-emption rank (0 = none)."""

    bidder_id: int
    bidder_no: str
    qualified: bool = True
    rank: int = 0
    has_bid: bool = False  # sealed: already quoted


@dataclass(frozen=True)
class State:
    """The mutable part of an auction (what a bid or the clock changes)."""

    settings: Settings
    status: str
    ends_at: dt.datetime
    current_price: Decimal | None = None
    leader_id: int | None = None
    leader_no: str = ""
    leader_rank: int = 0
    leader_max: Decimal | None = None  # proxy: the leader's hidden maximum
    seq: int = 0
    paused_at: dt.datetime | None = None


@dataclass(frozen=True)
class NewBid:
    """A bid the engine must append (seq = the previous seq + 1, in order)."""

    seq: int
    bidder_id: int
    bidder_no: str
    amount: Decimal
    kind: str  # "manual" | "proxy"
    at: dt.datetime


@dataclass(frozen=True)
class Decision:
    accepted: bool
    state: State
    reason: str = ""
    minimum: Decimal | None = None  # bid_too_low: the lowest acceptable amount
    maximum: Decimal | None = None  # above_max
    bids: tuple[NewBid, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CloseDecision:
    state: State
    result: str  # SOLD | NO_BIDS | RESERVE_NOT_MET
    winner_id: int | None
    winner_no: str
    price: Decimal | None


# --- settings-derived values ---------------------------------------------------------


def initial_state(settings: Settings) -> State:
    """The state of a new auction: scheduled, deadline from the settings."""
    return State(settings=settings, status=SCHEDULED, ends_at=initial_deadline(settings))


def initial_deadline(s: Settings) -> dt.datetime:
    if s.mode == DYNAMIC:
        return s.ends_at + dt.timedelta(seconds=s.countdown_seconds)
    if s.mode == DUTCH:
        return dutch_ends_at(s)
    return s.ends_at


def increment_at(s: Settings, price: Decimal) -> Decimal:
    """The increment that applies above `price` (bands by price)."""
    inc = s.increment
    for start, band_inc in s.increment_bands:
        if price >= start:
            inc = band_inc
    return inc


def next_minimum(s: Settings, price: Decimal | None) -> Decimal:
    """The lowest valid new leading bid when the current price is `price` (None: no bid yet)."""
    if price is None:
        return s.start_price
    return price + increment_at(s, price)


def dutch_steps_to_floor(s: Settings) -> int:
    if s.dutch_tick <= 0:
        return 0
    steps = (s.start_price - s.dutch_floor) / s.dutch_tick
    return max(0, int(steps))


def dutch_price_at(s: Settings, at: dt.datetime) -> Decimal:
    """The Dutch step price at `at` (start before opening, never below the floor). What
    is shown is `dutch_price`: once the lot is taken, the taken price."""
    if at <= s.starts_at or s.dutch_interval_seconds <= 0:
        return s.start_price
    steps = int((at - s.starts_at).total_seconds() // s.dutch_interval_seconds)
    return max(s.dutch_floor, s.start_price - s.dutch_tick * min(steps, dutch_steps_to_floor(s)))


def dutch_price(state: State, at: dt.datetime) -> Decimal:
    """The Dutch price to show at `at`: once taken, the taken price (frozen through the
    pre-emption window and after the close); before, the step price (never past the deadline,
    and while paused the price at the pause)."""
    if state.current_price is not None:
        return state.current_price
    if state.paused_at is not None:  # the descent stands still while paused (resume shifts it)
        at = min(at, state.paused_at)
    return dutch_price_at(state.settings, min(at, state.ends_at))


def dutch_ends_at(s: Settings) -> dt.datetime:
    """Dutch: the floor is offered for one interval, then the auction ends unsold."""
    return s.starts_at + dt.timedelta(seconds=s.dutch_interval_seconds * (dutch_steps_to_floor(s) + 1))


def phase_at(state: State, at: dt.datetime) -> str:
    """A display phase: pending, free, timed, open, extended, sealed, descending, closed, paused, cancelled."""
    s = state.settings
    if state.status in (CLOSED, CANCELLED, PAUSED):
        return state.status
    if at < s.starts_at:
        return "pending"
    if at >= state.ends_at:
        return CLOSED
    if s.mode == DYNAMIC:
        return "free" if at < s.ends_at else "timed"
    if s.mode == SEALED:
        return "sealed"
    if s.mode == DUTCH:
        return "preemption" if state.current_price is not None else "descending"
    return "extended" if state.ends_at > s.ends_at else "open"


# --- bids ----------------------------------------------------------------------------


def _reject(state: State, reason: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None) -> Decision:
    return Decision(accepted=False, state=state, reason=reason, minimum=minimum, maximum=maximum)


def _valid_amount(amount: Decimal) -> bool:
    return amount.is_finite() and amount > 0 and amount == amount.quantize(CENT)


def _on_grid(amount: Decimal, base: Decimal, step: Decimal) -> bool:
    return step <= 0 or (amount - base) % step == 0


def evaluate_bid(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    """Decide a bid of `amount` by `bidder` arriving at server time `at`.

    Checks, in this order: the amount is a positive number of fen (invalid_amount); the
    auction is not closed/cancelled or past its deadline (closed), not paused (paused),
    open (not_open); the bidder is qualified (not_qualified); then the mode's price rules.
    A rejection returns the state unchanged.
    """
    s = state.settings
    if not _valid_amount(amount):
        return _reject(state, INVALID_AMOUNT)
    if state.status in (CLOSED, CANCELLED) or at >= state.ends_at:
        return _reject(state, IS_CLOSED)
    if state.status == PAUSED:
        return _reject(state, IS_PAUSED)
    if at < s.starts_at:
        return _reject(state, NOT_OPEN)
    if not bidder.qualified:
        return _reject(state, NOT_QUALIFIED)
    if s.mode == SEALED:
        return _sealed(state, bidder, amount, at)
    if s.mode == DUTCH:
        return _dutch(state, bidder, amount, at)
    # proxy: the leader cannot raise their maximum while leading, whatever allow_leader_rebid
    # says (the log would not show it; services refuse proxy + allow_leader_rebid)
    if state.leader_id == bidder.bidder_id and (s.mode == PROXY or not s.allow_leader_rebid):
        return _reject(state, SELF_RAISE)
    if s.mode == PROXY:
        return _proxy(state, bidder, amount, at)
    return _ascending(state, bidder, amount, at)


def _check_ascending_amount(state: State, bidder: Bidder, amount: Decimal) -> Decision | None:
    """None when `amount` is a valid leading bid, else the rejection."""
    s = state.settings
    price = state.current_price
    if price is None:
        if amount < s.start_price:
            return _reject(state, BID_TOO_LOW, minimum=s.start_price)
        if not _on_grid(amount, s.start_price, increment_at(s, s.start_price)):
            return _reject(state, NOT_MULTIPLE, minimum=s.start_price)
        return None
    preempts = bidder.rank > state.leader_rank and state.leader_id != bidder.bidder_id
    if amount == price and preempts:
        return None
    minimum = next_minimum(s, price)
    if amount < minimum:
        return _reject(state, BID_TOO_LOW, minimum=price if preempts else minimum)
    if not _on_grid(amount, price, increment_at(s, price)):
        return _reject(state, NOT_MULTIPLE, minimum=minimum)
    return None


def _extended_deadline(state: State, at: dt.datetime) -> dt.datetime:
    s = state.settings
    if s.mode == DYNAMIC:
        if at >= s.ends_at:  # timed period: the countdown restarts at T
            return at + dt.timedelta(seconds=s.countdown_seconds)
        return state.ends_at
    if state.ends_at - at <= dt.timedelta(seconds=s.window_seconds):
        return max(state.ends_at, at + dt.timedelta(seconds=s.extension_seconds))
    return state.ends_at


def _ascending(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    if (rejection := _check_ascending_amount(state, bidder, amount)) is not None:
        return rejection
    bid = NewBid(state.seq + 1, bidder.bidder_id, bidder.bidder_no, amount, "manual", at)
    new = replace(
        state,
        status=RUNNING,
        current_price=amount,
        leader_id=bidder.bidder_id,
        leader_no=bidder.bidder_no,
        leader_rank=bidder.rank,
        seq=bid.seq,
        ends_at=_extended_deadline(state, at),
    )
    return Decision(accepted=True, state=new, bids=(bid,))


def _proxy(state: State, bidder: Bidder, maximum: Decimal, at: dt.datetime) -> Decision:
    """`maximum` is the challenger's hidden maximum; place the real bids it implies.

    The challenger C (maximum M, rank rc) may submit what an ascending bid may be (the
    current price itself when C outranks the leader L); C wins iff M > L's maximum Lm, or
    M == Lm and rc > rl. The winner of the contest pays the minimum needed to lead over the
    loser's maximum X: X itself when the winner outranks the loser, else one increment
    above it, capped at the winner's maximum. Every placed bid leads when it is placed, so
    the last bid of the decision is the new leader's.
    """
    s = state.settings
    if (rejection := _check_ascending_amount(state, bidder, maximum)) is not None:
        return rejection
    price = state.current_price
    if price is None:
        bid = NewBid(state.seq + 1, bidder.bidder_id, bidder.bidder_no, s.start_price, "proxy", at)
        new = replace(
            state,
            status=RUNNING,
            current_price=bid.amount,
            leader_id=bidder.bidder_id,
            leader_no=bidder.bidder_no,
            leader_rank=bidder.rank,
            leader_max=maximum,
            seq=bid.seq,
            ends_at=_extended_deadline(state, at),
        )
        return Decision(accepted=True, state=new, bids=(bid,))
    assert state.leader_id is not None
    leader_max = state.leader_max if state.leader_max is not None else price
    leader_rank = state.leader_rank
    seq = state.seq
    bids: list[NewBid] = []
    if maximum > leader_max or (maximum == leader_max and bidder.rank > leader_rank):
        if leader_max > price:  # the leader's proxy went up to its maximum first
            seq += 1
            bids.append(NewBid(seq, state.leader_id, state.leader_no, leader_max, "proxy", at))
        seq += 1
        amount = leader_max if bidder.rank > leader_rank else min(next_minimum(s, leader_max), maximum)
        bids.append(NewBid(seq, bidder.bidder_id, bidder.bidder_no, amount, "proxy", at))
        new = replace(
            state,
            current_price=amount,
            leader_id=bidder.bidder_id,
            leader_no=bidder.bidder_no,
            leader_max=maximum,
            leader_rank=bidder.rank,
            seq=seq,
            ends_at=_extended_deadline(state, at),
        )
        return Decision(accepted=True, state=new, bids=tuple(bids))
    # the challenger's maximum does not beat the leader's: both bids are placed and the
    # leader answers with the minimum needed to lead over it (at the same price when the
    # leader outranks the challenger, or when the maxima and ranks are equal: the earlier
    # maximum wins)
    answer = maximum if leader_rank > bidder.rank else min(next_minimum(s, maximum), leader_max)
    bids = [
        NewBid(seq + 1, bidder.bidder_id, bidder.bidder_no, maximum, "proxy", at),
        NewBid(seq + 2, state.leader_id, state.leader_no, answer, "proxy", at),
    ]
    new = replace(state, current_price=answer, seq=seq + 2, ends_at=_extended_deadline(state, at))
    return Decision(accepted=True, state=new, bids=tuple(bids))


def _sealed(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    s = state.settings
    if bidder.has_bid:
        return _reject(state, SEALED_ALREADY_BID)
    low = s.sealed_min if s.sealed_min is not None else s.start_price
    if amount < low:
        return _reject(state, BID_TOO_LOW, minimum=low)
    if s.sealed_max is not None and amount > s.sealed_max:
        return _reject(state, ABOVE_MAX, maximum=s.sealed_max)
    bid = NewBid(state.seq + 1, bidder.bidder_id, bidder.bidder_no, amount, "manual", at)
    new = replace(state, status=RUNNING, seq=bid.seq)
    best = state.current_price
    if best is None or (amount, bidder.rank) > (best, state.leader_rank):  # equal → the earlier quote stays
        new = replace(
            new, current_price=amount, leader_id=bidder.bidder_id, leader_no=bidder.bidder_no, leader_rank=bidder.rank
        )
    return Decision(accepted=True, state=new, bids=(bid,))


def _dutch(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    """The descent until the first taker; then, if a qualified holder outranks the leader
    (`Settings.top_rank`), the pre-emption window at the frozen taken price."""
    s = state.settings
    if state.current_price is not None:
        return _dutch_preempt(state, bidder, amount, at)
    price = dutch_price_at(s, at)
    if amount < price:
        return _reject(state, BID_TOO_LOW, minimum=price)
    if amount > s.start_price:
        return _reject(state, ABOVE_MAX, maximum=s.start_price)
    if not _on_grid(amount, s.start_price, s.dutch_tick):
        return _reject(state, NOT_MULTIPLE, minimum=price)
    return _dutch_lead(state, bidder, amount, at)


def _dutch_preempt(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    """Taken, in the pre-emption window: only a holder ranking above the leader, only at
    the taken price. (Final rejections: the price stays frozen and the leader's rank only
    rises, so no later bid can make them acceptable.)"""
    taken = state.current_price
    assert taken is not None
    if state.leader_id == bidder.bidder_id:
        return _reject(state, SELF_RAISE)
    if bidder.rank <= state.leader_rank:
        return _reject(state, PREEMPTION_ONLY)
    if amount != taken:
        return _reject(state, PREEMPTION_ONLY, minimum=taken, maximum=taken)
    return _dutch_lead(state, bidder, amount, at)


def _dutch_lead(state: State, bidder: Bidder, amount: Decimal, at: dt.datetime) -> Decision:
    """`bidder` takes the lot at `amount`: the auction ends at once (ends_at = bid time)
    when no qualified holder outranks them, else the pre-emption window (re)starts."""
    s = state.settings
    bid = NewBid(state.seq + 1, bidder.bidder_id, bidder.bidder_no, amount, "manual", at)
    ends = at if bidder.rank >= s.top_rank else at + dt.timedelta(seconds=s.preemption_seconds)
    new = replace(
        state,
        status=RUNNING,
        current_price=amount,
        leader_id=bidder.bidder_id,
        leader_no=bidder.bidder_no,
        leader_rank=bidder.rank,
        seq=bid.seq,
        ends_at=ends,
    )
    return Decision(accepted=True, state=new, bids=(bid,))


# --- clock, pause, resume ------------------------------------------------------------


def evaluate_open(state: State, at: dt.datetime) -> State | None:
    """The running state when a scheduled auction is due to open, else None."""
    if state.status == SCHEDULED and at >= state.settings.starts_at:
        return replace(state, status=RUNNING)
    return None


def evaluate_close(state: State, at: dt.datetime) -> CloseDecision | None:
    """The close when the deadline has passed (re-checked under the lock), else None.

    The result: no bid → no_bids; a reserve price not reached → reserve_not_met; else sold
    to the leader at the current price.
    """
    if state.status not in (SCHEDULED, RUNNING) or at < state.ends_at:
        return None
    closed = replace(state, status=CLOSED)
    if state.leader_id is None or state.current_price is None:
        return CloseDecision(closed, NO_BIDS, None, "", None)
    reserve = state.settings.reserve_price
    if reserve is not None and state.current_price < reserve:
        return CloseDecision(closed, RESERVE_NOT_MET, None, "", state.current_price)
    return CloseDecision(closed, SOLD, state.leader_id, state.leader_no, state.current_price)


def evaluate_pause(state: State, at: dt.datetime) -> State | None:
    """Paused state, or None when the auction cannot be paused (closed, cancelled, paused)."""
    if state.status not in (SCHEDULED, RUNNING) or at >= state.ends_at:
        return None
    return replace(state, status=PAUSED, paused_at=at)


def evaluate_resume(state: State, at: dt.datetime) -> State | None:
    """Running again with every future time moved by the length of the pause (None if not paused)."""
    if state.status != PAUSED or state.paused_at is None:
        return None
    gap = max(at - state.paused_at, dt.timedelta(0))
    s = state.settings
    settings = replace(
        s,
        starts_at=s.starts_at + gap if s.starts_at > state.paused_at else s.starts_at,
        ends_at=s.ends_at + gap if s.ends_at > state.paused_at else s.ends_at,
    )
    status = RUNNING if at >= settings.starts_at else SCHEDULED
    if s.mode == DUTCH:  # the descent continues from the step price it had when paused
        settings = replace(settings, starts_at=s.starts_at + gap)
    return replace(state, settings=settings, status=status, ends_at=state.ends_at + gap, paused_at=None)


def evaluate_outage(state: State, down_from: dt.datetime, up_at: dt.datetime, grace_seconds: int) -> State | None:
    """The state after an outage of the platform — nobody could bid from `down_from` (its
    last sign of life) to `up_at` (when it answered again) — or None when it is unaffected.

    Affected: a scheduled or running auction whose deadline fell in the outage or less than
    `grace_seconds` after it, and a Dutch descent that was under way (its price kept
    stepping down while nobody could take it). It gets its time back as if it had been
    paused for the outage: every time after `down_from` moves by the outage's length (as
    `evaluate_resume` does; a Dutch descent continues from the step price it had), and the
    deadline is at least `grace_seconds` after `up_at`, time for the bidders to reconnect.
    The price, the leader and the log are unchanged; the deadline never moves earlier.
    Unaffected: a paused, closed or cancelled auction (a pause already moves every time on
    resume), one whose deadline had passed before the outage, one with time enough left.
    """
    if state.status not in (SCHEDULED, RUNNING) or up_at <= down_from or state.ends_at <= down_from:
        return None
    s = state.settings
    floor = up_at + dt.timedelta(seconds=max(0, grace_seconds))
    descending = s.mode == DUTCH and state.current_price is None and s.starts_at < up_at
    if state.ends_at >= floor and not descending:
        return None
    resumed = evaluate_resume(replace(state, status=PAUSED, paused_at=down_from), up_at)
    assert resumed is not None
    return replace(resumed, ends_at=max(resumed.ends_at, floor))


def is_reserve_met(settings: Settings, price: Decimal | None) -> bool:
    return price is not None and (settings.reserve_price is None or price >= settings.reserve_price)
