"""Model-based check: random bid scripts through the engine (database, lock, chain) end in
the state the pure rules predict, and the stored log verifies."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.bidding import engine, rules
from exchange.bidding.errors import BidRejected
from exchange.bidding.models import Auction
from exchange.bidding.verify import verify_auction
from exchange.core import clock
from exchange.core.errors import DomainError
from tests.bidding.factories import T0, auction_with_bidders

pytestmark = pytest.mark.django_db

script = st.lists(
    st.tuples(st.integers(0, 2), st.integers(-1, 3), st.integers(1, 80), st.booleans()), min_size=1, max_size=12
)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mode=st.sampled_from(["dynamic", "english", "proxy", "sealed"]), steps=script)
def test_engine_follows_the_rules(mode, steps):
    # given an auction and the pure model of it
    auction, bidders = auction_with_bidders(
        3, mode=mode, duration=dt.timedelta(seconds=300), countdown_seconds=60, window_seconds=60, extension_seconds=90
    )
    state = replace(auction.state(), status=rules.SCHEDULED)
    model_seen: dict[int, bool] = {}
    at = T0
    for who, n, gap, retry in steps:
        at += dt.timedelta(seconds=gap)
        b = bidders[who]
        base = rules.next_minimum(state.settings, state.current_price) if mode != "sealed" else D("100000")
        amount = base + n * D("1000")
        rb = rules.Bidder(b.pk, b.bidder_no, has_bid=model_seen.get(b.pk, False))
        expected = rules.evaluate_bid(state, rb, amount, at)
        # when
        with clock.frozen(at):
            try:
                bid = engine.bid_place(auction_id=auction.pk, user=b.user, amount=amount, key=f"k{at.timestamp()}")
                code = "ok"
            except BidRejected as exc:
                code = exc.code
            except DomainError as exc:
                code = exc.code
            if retry and code == "ok":  # a client retry with the same key changes nothing
                again = engine.bid_place(auction_id=auction.pk, user=b.user, amount=amount, key=f"k{at.timestamp()}")
                assert (again.pk, again.hash) == (bid.pk, bid.hash)
        # then the engine decided as the rules did
        assert code == ("ok" if expected.accepted else expected.reason), (code, expected.reason)
        if expected.accepted:
            state = expected.state
            model_seen[b.pk] = True
    stored = Auction.objects.get(pk=auction.pk)
    if mode == "sealed":  # nothing of the quotes is in the auction's row before the opening
        assert (stored.current_price, stored.leader_id, stored.seq) == (None, None, 0)
    else:
        assert (stored.current_price, stored.leader_id, stored.seq) == (state.current_price, state.leader_id, state.seq)
    assert stored.ends_at == state.ends_at
    with clock.frozen(max(at, state.ends_at)):
        engine.auction_close(auction_id=auction.pk)
    stored = Auction.objects.get(pk=auction.pk)
    assert (stored.current_price, stored.leader_id, stored.seq) == (state.current_price, state.leader_id, state.seq)
    report = verify_auction(auction.pk)
    assert report.ok, report.problems
