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


# --- proxy with pre-emption ranks ------------------------------------------------------
@FAST
@given(
    st.lists(st.integers(0, 2), min_size=4, max_size=4),
    st.lists(st.tuples(st.integers(1, 4), st.integers(0, 6)), min_size=1, max_size=15),
)
def test_proxy_with_ranks_highest_maximum_then_rank_wins_at_the_minimum_needed(ranks, script):
    state = make(rules.PROXY)
    inc = D("1000")
    latest: dict[int, tuple[D, int, int]] = {}  # bidder -> (its latest maximum, rank, -order)
    for order, (who, n) in enumerate(script):
        me = bidder(who, ranks[who - 1])
        if state.leader_id == who:
            assert rules.evaluate_bid(state, me, D("999999"), T0 + sec(order)).reason == rules.SELF_RAISE
            continue
        # the challenger's lowest maximum: the price itself when it outranks the leader
        price = state.current_price
        preempts = price is not None and me.rank > state.leader_rank
        lowest = price if preempts else rules.next_minimum(state.settings, price)
        if price is not None and not preempts:  # one fen short of the minimum is too low
            low = rules.evaluate_bid(state, me, lowest - inc, T0 + sec(order))
            assert low.reason == rules.BID_TOO_LOW and low.minimum == lowest and low.state is state
        maximum = lowest + n * inc
        d = rules.evaluate_bid(state, me, maximum, T0 + sec(order))
        assert d.accepted, d.reason
        amounts = [b.amount for b in d.bids]
        assert amounts == sorted(amounts) and amounts[0] >= (price or 0)
        assert d.state.seq == state.seq + len(d.bids) == d.bids[-1].seq
        # the last bid leads, and each bid leads when it is placed (price up, or same price higher rank)
        assert d.bids[-1].bidder_id == d.state.leader_id and d.bids[-1].amount == d.state.current_price
        assert d.state.leader_rank == ranks[d.state.leader_id - 1]
        prev_amount, prev_rank = price, state.leader_rank
        for b in d.bids:
            rank = ranks[b.bidder_id - 1]
            if prev_amount is not None:
                assert (
                    b.amount > prev_amount
                    or (b.amount == prev_amount and rank > prev_rank)
                    or (
                        b is d.bids[-1] and b.bidder_id == state.leader_id  # the earlier maximum answers at par
                    )
                )
            prev_amount, prev_rank = b.amount, rank
        latest[who] = (maximum, me.rank, -order)
        state = d.state
    if not latest:
        return
    # the final leader has the highest (maximum, rank), the earlier maximum on a full tie …
    ordered = sorted(latest.items(), key=lambda kv: kv[1], reverse=True)
    (winner, (w_max, w_rank, _)), runner = ordered[0], ordered[1:2]
    assert state.leader_id == winner
    assert state.current_price <= w_max  # … never pays above it …
    if not runner:
        assert state.current_price == D("100000")
        return
    _r, (r_max, r_rank, _o) = runner[0]
    # … and pays the minimum needed to lead over the runner-up's maximum
    expected = r_max if w_rank > r_rank else min(r_max + inc, w_max)
    assert state.current_price == expected


def test_proxy_first_bid_records_the_rank():
    d = rules.evaluate_bid(make(rules.PROXY), bidder(1, 2), D("110000"), T0)
    assert d.accepted and d.state.leader_rank == 2 and d.state.leader_max == D("110000")
    assert [b.amount for b in d.bids] == [D("100000")]


def test_proxy_holder_takes_the_lead_at_the_leaders_maximum():
    led = rules.evaluate_bid(make(rules.PROXY), bidder(1), D("105000"), T0).state
    # an equal maximum with a higher rank wins: the leader's proxy goes to 105k, the holder matches it
    d = rules.evaluate_bid(led, bidder(2, 1), D("105000"), T0 + sec(1))
    assert [(b.bidder_id, b.amount) for b in d.bids] == [(1, D("105000")), (2, D("105000"))]
    assert d.state.leader_id == 2 and d.state.current_price == D("105000")
    # a holder may submit the current price itself; it loses to a higher maximum: the
    # leader (lower rank) answers one increment above
    d = rules.evaluate_bid(led, bidder(2, 1), D("100000"), T0 + sec(1))
    assert [(b.bidder_id, b.amount) for b in d.bids] == [(2, D("100000")), (1, D("101000"))]
    # a leader with a higher rank answers at the challenger's maximum
    top = rules.evaluate_bid(make(rules.PROXY), bidder(1, 2), D("105000"), T0).state
    d = rules.evaluate_bid(top, bidder(2, 1), D("103000"), T0 + sec(1))
    assert [(b.bidder_id, b.amount) for b in d.bids] == [(2, D("103000")), (1, D("103000"))]
    assert d.state.leader_id == 1


# --- dutch with pre-emption holders ----------------------------------------------------
def dutch(**kw: object) -> State:
    base: dict[str, object] = {
        "start_price": D("200000"),
        "dutch_tick": D("5000"),
        "dutch_interval_seconds": 30,
        "dutch_floor": D("150000"),
        "preemption_seconds": 60,
    }
    base.update(kw)
    return make(rules.DUTCH, **base)


@FAST
@given(
    st.integers(0, 3),  # the taker's rank
    st.lists(st.integers(0, 3), min_size=0, max_size=4),  # the other qualified bidders' ranks
    st.integers(1, 300),  # when the lot is taken
    st.lists(st.tuples(st.integers(0, 4), st.integers(-1, 1), st.floats(0, 90, allow_nan=False)), max_size=10),
)
def test_dutch_holders_preempt_at_the_taken_price_until_the_top_rank_leads(taker_rank, others, taken_at, tries):
    ranks = [taker_rank, *others]
    state = dutch(top_rank=max(ranks))
    at = T0 + sec(taken_at)
    price = rules.dutch_price_at(state.settings, at)
    d = rules.evaluate_bid(state, bidder(1, taker_rank), price, at)
    assert d.accepted and d.state.current_price == price and d.state.leader_id == 1
    if max(ranks) <= taker_rank:  # no holder above the taker: it ends at once, as without holders
        assert d.state.ends_at == at
        assert rules.evaluate_close(d.state, at).winner_id == 1
        return
    assert d.state.ends_at == at + sec(60) and rules.evaluate_close(d.state, at) is None
    state = d.state
    for who, delta, gap in tries:  # bidder index (0 = the taker) and -1/0/+1 tick from the taken price
        at = at + sec(gap)
        me = bidder(who + 1, ranks[who] if who < len(ranks) else 0)
        amount = price + delta * D("5000")
        d = rules.evaluate_bid(state, me, amount, at)
        # the shown price is frozen, whatever the time
        assert rules.dutch_price(state, at) == price and rules.phase_at(state, min(at, state.ends_at)) in (
            "preemption",
            rules.CLOSED,
        )
        if at >= state.ends_at:
            assert d.reason == rules.IS_CLOSED
        elif me.bidder_id == state.leader_id:
            assert d.reason == rules.SELF_RAISE
        elif me.rank <= state.leader_rank:
            assert d.reason == rules.PREEMPTION_ONLY and d.minimum is None
        elif amount != price:
            assert d.reason == rules.PREEMPTION_ONLY and d.minimum == d.maximum == price
        else:
            assert d.accepted and d.state.leader_id == me.bidder_id and d.state.current_price == price
            # the top rank ends it at once; a lower holder restarts the window
            assert d.state.ends_at == (at if me.rank == max(ranks) else at + sec(60))
            state = d.state
            continue
        assert d.state is state
    close = rules.evaluate_close(state, state.ends_at)
    assert close is not None and close.winner_id == state.leader_id and close.price == price


def test_dutch_without_a_holder_above_the_taker_ends_at_once_as_before():
    for taker_rank, top in ((0, 0), (2, 2), (3, 1)):
        state = dutch(top_rank=top)
        d = rules.evaluate_bid(state, bidder(1, taker_rank), D("195000"), T0 + sec(31))
        assert d.accepted and d.state.ends_at == T0 + sec(31)
        assert rules.evaluate_bid(d.state, bidder(2, 5), D("195000"), T0 + sec(31)).reason == rules.IS_CLOSED


def test_dutch_pause_in_the_window_keeps_the_price_and_the_remaining_window():
    taken = rules.evaluate_bid(dutch(top_rank=1), bidder(1), D("195000"), T0 + sec(31)).state
    paused = rules.evaluate_pause(taken, T0 + sec(41))
    assert paused is not None
    resumed = rules.evaluate_resume(paused, T0 + sec(541))
    assert resumed is not None and resumed.ends_at == T0 + sec(591)
    assert rules.dutch_price(resumed, T0 + sec(560)) == D("195000")
    d = rules.evaluate_bid(resumed, bidder(2, 1), D("195000"), T0 + sec(590))
    assert d.accepted and d.state.ends_at == T0 + sec(590)


def test_dutch_price_stands_still_while_paused_and_goes_on_from_there_after_resume():
    state = dutch()
    step = rules.dutch_price(state, T0 + sec(31))  # one step down
    paused = rules.evaluate_pause(state, T0 + sec(31))
    assert paused is not None
    # while paused the price shown is the pause's, however long the pause lasts
    assert rules.dutch_price(paused, T0 + sec(31 + 600)) == step
    resumed = rules.evaluate_resume(paused, T0 + sec(31 + 600))
    assert resumed is not None
    # after the resume the descent continues from that step, shifted by the pause
    assert rules.dutch_price(resumed, T0 + sec(31 + 600)) == step
    assert rules.dutch_price(resumed, T0 + sec(60 + 600)) == rules.dutch_price(state, T0 + sec(60))


# --- an outage of the platform (nobody could bid) --------------------------------------
# (mode, seconds of the main period, a script of bids before the outage, the outage's start
# after the last bid, its length, the grace)
outages = st.tuples(
    st.sampled_from([rules.DYNAMIC, rules.ENGLISH, rules.PROXY, rules.SEALED]),
    st.integers(1, 600),
    st.lists(st.tuples(st.integers(1, 4), st.integers(0, 2), st.floats(0, 60, allow_nan=False)), max_size=8),
    st.floats(0, 900, allow_nan=False),
    st.floats(0.001, 7200, allow_nan=False),
    st.integers(0, 120),
)


def _before_outage(mode: str, period: int, script: list[tuple[int, int, float]]) -> State:
    state = make(mode, ends_at=T0 + sec(period))
    if mode != rules.SEALED:
        state, _log = run(state, script)
    return state


@FAST
@given(outages)
def test_an_outage_gives_back_the_time_left_when_it_began_at_least_the_grace(case):
    mode, period, script, starts_after, length, grace = case
    state = _before_outage(mode, period, script)
    down = T0 + sec(starts_after)
    up = down + sec(length)
    # when the platform is down from `down` to `up`
    after = rules.evaluate_outage(state, down, up, grace)
    in_reach = down < state.ends_at < up + sec(grace)
    if state.ends_at <= down:
        # the deadline had passed before the outage: the auction closes as it would have
        assert after is None
        return
    if not in_reach:
        # time enough left after the restart: nothing moves
        assert after is None
        return
    # then an auction whose deadline fell in the outage (or right after it) gets back the
    # time it had left when the outage began, and at least the grace after the restart
    assert after is not None
    left = state.ends_at - down
    assert after.ends_at == max(up + left, up + sec(grace))
    assert after.ends_at - up >= left and after.ends_at >= up + sec(grace) and after.ends_at >= state.ends_at
    # nothing else of the auction changes but its times
    assert (after.current_price, after.leader_id, after.seq, after.leader_max) == (
        state.current_price,
        state.leader_id,
        state.seq,
        state.leader_max,
    )
    assert after.status == (rules.RUNNING if up >= after.settings.starts_at else rules.SCHEDULED)
    # it does not close while the time given back runs, and a valid bid is still accepted
    for at in (up, up + (after.ends_at - up) / 2, after.ends_at - sec(0.001)):
        assert rules.evaluate_close(after, at) is None
        if mode in (rules.ENGLISH, rules.DYNAMIC) and at >= after.settings.starts_at:
            minimum = rules.next_minimum(after.settings, after.current_price)
            challenger = next(b for b in BIDDERS if b.bidder_id != after.leader_id)
            assert rules.evaluate_bid(after, challenger, minimum, at).accepted
    assert rules.evaluate_close(after, after.ends_at) is not None


@FAST
@given(outages)
def test_an_outage_moves_nothing_of_a_paused_closed_or_cancelled_auction(case):
    mode, period, script, starts_after, length, grace = case
    state = _before_outage(mode, period, script)
    down, up = T0 + sec(starts_after), T0 + sec(starts_after + length)
    for status in (rules.PAUSED, rules.CLOSED, rules.CANCELLED):
        frozen = replace(state, status=status, paused_at=down if status == rules.PAUSED else None)
        assert rules.evaluate_outage(frozen, down, up, grace) is None
    assert rules.evaluate_outage(state, up, down, grace) is None  # no outage at all


@FAST
@given(st.integers(0, 400), st.integers(1, 3600), st.integers(0, 120))
def test_an_outage_during_a_dutch_descent_continues_from_the_step_price_it_had(down_after, length, grace):
    state = dutch()
    down, up = T0 + sec(down_after), T0 + sec(down_after + length)
    after = rules.evaluate_outage(state, down, up, grace)
    if state.ends_at <= down:
        assert after is None
        return
    # the price did not step down while nobody could take it
    assert after is not None
    assert rules.dutch_price(after, up) == rules.dutch_price(state, down)
    assert after.ends_at >= up + sec(grace) and after.ends_at - up >= state.ends_at - down
    assert rules.evaluate_close(after, up) is None
