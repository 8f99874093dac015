"""Property tests of the pure bidding rules (exchange.bidding.rules): every mode."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.bidding import rules
from exchange.bidding.rules import Bidder, Settings, State

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
FAST = settings(max_examples=60, deadline=None, database=None)


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def make(mode: str = rules.ENGLISH, **kw: object) -> State:
    base: dict[str, object] = {
        "mode": mode,
        "start_price": D("100000.00"),
        "increment": D("1000.00"),
        "starts_at": T0,
        "ends_at": T0 + sec(600),
        "countdown_seconds": 60,
        "window_seconds": 120,
        "extension_seconds": 180,
    }
    base.update(kw)
    return replace(rules.initial_state(Settings(**base)), status=rules.RUNNING)  # type: ignore[arg-type]


BIDDERS = [Bidder(i, f"{i:04d}") for i in range(1, 6)]


def bidder(i: int, rank: int = 0) -> Bidder:
    return Bidder(i, f"{i:04d}", rank=rank)


# a bid script: (bidder index, number of increments above the minimum, seconds after the previous bid)
steps = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 3), st.floats(0, 90, allow_nan=False)), min_size=1, max_size=25
)


def run(state: State, script: list[tuple[int, int, float]], start: dt.datetime = T0) -> tuple[State, list[tuple]]:
    """Play a script of valid-looking bids; returns the final state and (decision, at, old state) of each."""
    at = start
    log = []
    for who, n, gap in script:
        at = at + sec(gap)
        s = state.settings
        minimum = rules.next_minimum(s, state.current_price)
        amount = minimum + n * rules.increment_at(s, state.current_price or s.start_price)
        decision = rules.evaluate_bid(state, bidder(who), amount, at)
        log.append((decision, at, state))
        state = decision.state
    return state, log


# --- dynamic ---------------------------------------------------------------------------
@FAST
@given(steps)
def test_dynamic_countdown_resets_to_T_and_no_award_in_the_free_period(script):
    state = make(rules.DYNAMIC, ends_at=T0 + sec(300))  # free period 300 s, then T = 60 s
    free_end = state.settings.ends_at
    final, log = run(state, script)
    for decision, at, old in log:
        if decision.accepted:
            expected = at + sec(60) if at >= free_end else old.ends_at
            assert decision.state.ends_at == expected
        # the clock never awards before the timed period has run its countdown
        assert rules.evaluate_close(old, at) is None or at >= free_end + sec(60)
        assert old.ends_at >= free_end + sec(60)
    close = rules.evaluate_close(final, final.ends_at)
    assert close is not None
    assert rules.evaluate_close(final, final.ends_at - sec(0.001)) is None


def test_dynamic_bid_after_countdown_expiry_is_closed():
    state = make(rules.DYNAMIC, ends_at=T0 + sec(300))
    decision = rules.evaluate_bid(state, bidder(1), D("100000.00"), T0 + sec(360))
    assert decision.reason == rules.IS_CLOSED and decision.state is state


# --- english with extension ------------------------------------------------------------
@FAST
@given(steps)
def test_english_extension_is_from_bid_time(script):
    _final, log = run(make(), script)
    for decision, at, old in log:
        if not decision.accepted:
            continue
        new = decision.state
        if old.ends_at - at <= sec(120):
            assert new.ends_at == max(old.ends_at, at + sec(180))
            assert new.ends_at >= at + sec(180)
        else:
            assert new.ends_at == old.ends_at
        assert at < old.ends_at  # nothing accepted after the deadline
    prices = [d.state.current_price for d, _, _ in log if d.accepted]
    assert prices == sorted(set(prices))  # strictly increasing without pre-emption


@FAST
@given(steps)
def test_every_accepted_bid_leads_and_rejections_change_nothing(script):
    _final, log = run(make(allow_leader_rebid=False), script)
    for decision, at, old in log:
        if decision.accepted:
            (bid,) = decision.bids
            assert decision.state.leader_id == bid.bidder_id
            assert decision.state.seq == old.seq + 1 == bid.seq
            assert bid.at == at
        else:
            assert decision.state is old
            if decision.reason == rules.IS_CLOSED:
                assert at >= old.ends_at
            else:
                assert decision.reason == rules.SELF_RAISE and old.leader_id == who_of(decision, script, log)


def who_of(decision, script, log):
    i = [d for d, _, _ in log].index(decision)
    return script[i][0]


# --- increments (bands) ----------------------------------------------------------------
bands = (
    (D("0"), D("1000.00")),
    (D("150000.00"), D("5000.00")),
    (D("300000.00"), D("10000.00")),
)


@FAST
@given(st.integers(0, 60), st.integers(-3, 8), st.integers(-99, 99))
def test_increments_by_band(k, n, cents):
    # given an auction whose current price is somewhere in the bands
    state = make(increment_bands=bands)
    price = D("100000.00") + k * D("5000.00")
    state = replace(state, current_price=price, leader_id=9, leader_no="0009", seq=3)
    inc = D("1000.00") if price < D("150000") else D("5000.00") if price < D("300000") else D("10000.00")
    amount = price + n * inc + D(cents) / 100
    # when
    decision = rules.evaluate_bid(state, bidder(1), amount, T0 + sec(1))
    # then
    if amount <= 0:
        assert decision.reason == rules.INVALID_AMOUNT
    elif amount < price + inc:
        assert decision.reason == rules.BID_TOO_LOW and decision.minimum == price + inc
    elif cents != 0:
        assert decision.reason == rules.NOT_MULTIPLE
    else:
        assert decision.accepted and decision.state.current_price == amount
    if not decision.accepted:
        assert decision.state is state


@given(st.decimals(min_value=D("99000"), max_value=D("103000"), places=2))
@FAST
def test_first_bid_may_equal_start_price(amount):
    state = make()
    decision = rules.evaluate_bid(state, bidder(1), amount, T0 + sec(1))
    on_grid = (amount - D("100000")) % D("1000") == 0
    assert decision.accepted == (amount >= D("100000") and on_grid)


def test_bad_amounts_and_states_have_stable_codes():
    state = make()
    b = bidder(1)
    assert rules.evaluate_bid(state, b, D("-1"), T0).reason == rules.INVALID_AMOUNT
    assert rules.evaluate_bid(state, b, D("100000.001"), T0).reason == rules.INVALID_AMOUNT
    assert rules.evaluate_bid(state, b, D("100000"), T0 - sec(1)).reason == rules.NOT_OPEN
    assert rules.evaluate_bid(state, Bidder(1, "0001", qualified=False), D("100000"), T0).reason == rules.NOT_QUALIFIED
    assert rules.evaluate_bid(replace(state, status=rules.PAUSED), b, D("100000"), T0).reason == rules.IS_PAUSED
    assert rules.evaluate_bid(replace(state, status=rules.CLOSED), b, D("100000"), T0).reason == rules.IS_CLOSED
    assert rules.evaluate_bid(state, b, D("100000"), T0 + sec(600)).reason == rules.IS_CLOSED
    led = rules.evaluate_bid(state, b, D("100000"), T0).state
    assert rules.evaluate_bid(led, b, D("101000"), T0).reason == rules.SELF_RAISE
    rebid = replace(led, settings=replace(led.settings, allow_leader_rebid=True))
    assert rules.evaluate_bid(rebid, b, D("101000"), T0).accepted


# --- ties and pre-emption --------------------------------------------------------------
@FAST
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
def test_preemption_at_equal_price_higher_rank_first_same_rank_earlier(leader_rank, r1, r2):
    state = make()
    state = rules.evaluate_bid(state, bidder(1, leader_rank), D("100000"), T0 + sec(1)).state
    d2 = rules.evaluate_bid(state, bidder(2, r1), D("100000"), T0 + sec(2))
    assert d2.accepted == (r1 > leader_rank)
    if not d2.accepted:
        assert d2.reason == rules.BID_TOO_LOW
        return
    assert d2.state.leader_id == 2
    d3 = rules.evaluate_bid(d2.state, bidder(3, r2), D("100000"), T0 + sec(3))
    assert d3.accepted == (r2 > r1)  # same rank: the earlier bid keeps the lead


def test_equal_price_without_preemption_is_too_low():
    state = rules.evaluate_bid(make(), bidder(1), D("100000"), T0).state
    d = rules.evaluate_bid(state, bidder(2), D("100000"), T0 + sec(1))
    assert d.reason == rules.BID_TOO_LOW and d.minimum == D("101000")


# --- sealed ----------------------------------------------------------------------------
@FAST
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2)), min_size=1, max_size=12))
def test_sealed_best_is_price_then_rank_then_earlier(quotes):
    state = make(rules.SEALED, sealed_max=D("104000"))
    accepted = []
    for i, (n, rank) in enumerate(quotes, start=1):
        amount = D("100000") + n * D("1000")
        d = rules.evaluate_bid(state, Bidder(i, f"{i:04d}", rank=rank), amount, T0 + sec(i))
        if n > 4:
            assert d.reason == rules.ABOVE_MAX
            continue
        assert d.accepted
        accepted.append((amount, rank, -i, i))
        state = d.state
        again = rules.evaluate_bid(state, Bidder(i, f"{i:04d}", rank=rank, has_bid=True), amount, T0 + sec(i))
        assert again.reason == rules.SEALED_ALREADY_BID
    if accepted:
        best = max(accepted)
        assert state.leader_id == best[3] and state.current_price == best[0]


# --- reserve ---------------------------------------------------------------------------
@FAST
@given(st.integers(0, 10), st.one_of(st.none(), st.integers(0, 10)))
def test_reserve_price(n, reserve_n):
    reserve = None if reserve_n is None else D("100000") + reserve_n * D("1000")
    state = make(reserve_price=reserve)
    state = rules.evaluate_bid(state, bidder(1), D("100000") + n * D("1000"), T0 + sec(1)).state
    close = rules.evaluate_close(state, state.ends_at)
    assert close is not None
    sold = reserve is None or state.current_price >= reserve
    assert (close.result == rules.SOLD) == sold
    assert close.winner_id == (1 if sold else None)
    assert rules.evaluate_close(make(), T0 + sec(600)).result == rules.NO_BIDS


# --- dutch -----------------------------------------------------------------------------
@FAST
@given(st.integers(1, 5000), st.integers(0, 3))
def test_dutch_price_steps_down_to_floor_and_first_taker_wins(seconds, above):
    state = make(
        rules.DUTCH, start_price=D("200000"), dutch_tick=D("5000"), dutch_interval_seconds=30, dutch_floor=D("150000")
    )
    s = state.settings
    at = T0 + sec(seconds)
    price = rules.dutch_price_at(s, at)
    assert D("150000") <= price <= D("200000")
    assert price >= rules.dutch_price_at(s, at + sec(1))
    assert price == max(D("150000"), D("200000") - D("5000") * (seconds // 30))
    d = rules.evaluate_bid(state, bidder(1), price + above * D("5000"), at)
    if at >= state.ends_at:
        assert d.reason == rules.IS_CLOSED
        return
    if price + above * D("5000") > D("200000"):
        assert d.reason == rules.ABOVE_MAX
        return
    assert d.accepted
    close = rules.evaluate_close(d.state, at)
    assert close is not None and close.winner_id == 1 and close.price == price + above * D("5000")
    below = rules.evaluate_bid(state, bidder(2), price - D("5000"), at)
    assert below.reason == rules.BID_TOO_LOW and below.minimum == price
    assert state.ends_at == T0 + sec(30 * 11)  # 10 steps to the floor, then one interval at the floor


# --- proxy -----------------------------------------------------------------------------
@FAST
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 12)), min_size=1, max_size=15))
def test_proxy_highest_maximum_wins_at_the_lowest_price_needed(script):
    state = make(rules.PROXY)
    maxima: dict[int, tuple[D, int]] = {}  # bidder -> (max, order set)
    for order, (who, n) in enumerate(script):
        maximum = rules.next_minimum(state.settings, state.current_price) + n * D("1000")
        d = rules.evaluate_bid(state, bidder(who), maximum, T0 + sec(order))
        if state.leader_id == who:
            assert d.reason == rules.SELF_RAISE
            continue
        assert d.accepted, d.reason
        prices = [b.amount for b in d.bids]
        assert prices == sorted(prices) and prices[0] >= (state.current_price or 0)
        assert d.state.seq == state.seq + len(d.bids)
        assert d.bids[-1].bidder_id == d.state.leader_id  # the last real bid is the leader's
        maxima[who] = (maximum, order)
        state = d.state
    # the leader holds the highest maximum (earlier among equals) …
    top = max(maxima.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
    assert state.leader_id == top[0]
    # … pays no more than it, and at least every other maximum
    assert state.current_price <= top[1][0]
    for who, (m, _) in maxima.items():
        if who != top[0]:
            assert state.current_price >= m


# --- pause / resume --------------------------------------------------------------------
@FAST
@given(st.integers(0, 599), st.integers(0, 3600))
def test_pause_resume_keeps_the_remaining_time(paused_after, pause_len):
    state = make()
    paused = rules.evaluate_pause(state, T0 + sec(paused_after))
    assert paused is not None
    assert rules.evaluate_bid(paused, bidder(1), D("100000"), T0 + sec(paused_after)).reason == rules.IS_PAUSED
    resumed = rules.evaluate_resume(paused, T0 + sec(paused_after + pause_len))
    assert resumed is not None and resumed.status == rules.RUNNING
    assert resumed.ends_at - (T0 + sec(paused_after + pause_len)) == state.ends_at - (T0 + sec(paused_after))
    assert rules.evaluate_pause(replace(state, status=rules.CLOSED), T0) is None
