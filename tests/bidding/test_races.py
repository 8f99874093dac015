"""Real races on PostgreSQL (row lock, threads, separate connections)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection

from exchange.bidding import engine, rules
from exchange.bidding.errors import BidRejected
from exchange.bidding.models import Auction, Bid, Status
from exchange.bidding.verify import verify_auction
from exchange.core import clock
from tests.bidding.factories import T0, auction_with_bidders

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="multi-connection race tests: PostgreSQL pass only (the SQLite test database is in memory)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_together(actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def go(i, action):
        barrier.wait()
        try:
            outcomes[i] = ("ok", action())
        except BidRejected as exc:
            outcomes[i] = (exc.code, None)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=go, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_equal_bids_exactly_one_accepted():
    # given a leader at the start price and 8 bidders ready to bid the same next price
    auction, bidders = auction_with_bidders(9)
    with clock.frozen(T0 + dt.timedelta(seconds=1)):
        engine.bid_place(auction_id=auction.pk, user=bidders[0].user, amount=D("100000"), key="first")

    def place(b):
        def action():
            with clock.frozen(T0 + dt.timedelta(seconds=2)):  # the clock override is per thread
                return engine.bid_place(auction_id=auction.pk, user=b.user, amount=D("101000"), key="same")

        return action

    # when
    outcomes = run_together([place(b) for b in bidders[1:]])
    # then
    codes = sorted(code for code, _ in outcomes)
    assert codes == ["bid_too_low"] * 7 + ["ok"]
    assert Bid.objects.filter(auction=auction).count() == 2
    winner = next(bid for code, bid in outcomes if code == "ok")
    auction.refresh_from_db()
    assert auction.leader_id == winner.bidder_id and auction.seq == 2
    assert verify_auction(auction.pk).ok

    # and rising bids from 8 threads keep seq contiguous and the chain valid
    auction, bidders = auction_with_bidders(8)

    def place(i, b):
        def action():
            with clock.frozen(T0 + dt.timedelta(seconds=5)):
                return engine.bid_place(auction_id=auction.pk, user=b.user, amount=D(100000 + 1000 * i), key=f"k{i}")

        return action

    outcomes = run_together([place(i, b) for i, b in enumerate(bidders)])
    accepted = [bid for code, bid in outcomes if code == "ok"]
    assert {code for code, _ in outcomes} <= {"ok", "bid_too_low"}
    assert sorted(b.seq for b in accepted) == list(range(1, len(accepted) + 1))
    report = verify_auction(auction.pk)
    assert report.ok, report.problems


def test_bid_racing_the_close_exactly_one_wins():
    wins = {"bid": 0, "close": 0}
    for _round in range(8):
        wins["bid" if race_bid_against_close() else "close"] += 1
    assert sum(wins.values()) == 8


def race_bid_against_close() -> bool:
    # given an English auction whose deadline is now (W 120 s, E 180 s)
    auction, (a, b) = auction_with_bidders(2, window_seconds=120, extension_seconds=180)
    deadline = auction.ends_at
    with clock.frozen(T0 + dt.timedelta(seconds=10)):
        engine.bid_place(auction_id=auction.pk, user=a.user, amount=D("100000"), key="a")

    def late_bid():
        with clock.frozen(deadline - dt.timedelta(microseconds=1)):
            return engine.bid_place(auction_id=auction.pk, user=b.user, amount=D("101000"), key="b")

    def close():
        with clock.frozen(deadline):
            if not engine.auction_close(auction_id=auction.pk):
                raise BidRejected(code="not_closed")
            return True

    # when
    (bid_code, _), (close_code, _) = run_together([late_bid, close])
    # then exactly one of them won, and the state says which
    auction.refresh_from_db()
    if bid_code == "ok":
        assert close_code != "ok"
        assert auction.status == Status.RUNNING and auction.ends_at == deadline - dt.timedelta(
            microseconds=1
        ) + dt.timedelta(seconds=180)
    else:
        assert bid_code == rules.IS_CLOSED and close_code == "ok"
        assert auction.status == Status.CLOSED and auction.winner.bidder_no == a.bidder_no
    assert verify_auction(auction.pk).ok
    assert Auction.objects.filter(pk=auction.pk).count() == 1
    return bid_code == "ok"


# --- the snapshot step on PostgreSQL (engine, "bids") -----------------------------------


def test_a_final_rejection_does_not_wait_for_the_row_lock():
    # given a running auction whose row another transaction holds locked
    auction, (a, b) = auction_with_bidders(2)
    with clock.frozen(T0 + dt.timedelta(seconds=1)):
        engine.bid_place(auction_id=auction.pk, user=a.user, amount=D("100000"), key="a")
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import transaction

        try:
            with transaction.atomic():
                Auction.objects.select_for_update().get(pk=auction.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(10)
    # when a bid below the minimum arrives meanwhile
    outcome: list = []

    def too_low():
        try:
            with clock.frozen(T0 + dt.timedelta(seconds=2)):
                engine.bid_place(auction_id=auction.pk, user=b.user, amount=D("100000"), key="b")
        except BidRejected as exc:
            outcome.append(exc.code)
        finally:
            connection.close()

    bidder = threading.Thread(target=too_low)
    bidder.start()
    bidder.join(20)
    answered_while_locked = not bidder.is_alive()
    release.set()
    holder.join()
    bidder.join()
    # then it was answered from the snapshot while the lock was still held
    assert answered_while_locked and outcome == [rules.BID_TOO_LOW]


@pytest.mark.parametrize("write", ["a bid", "an ORM update that leaves version alone"])
def test_a_bid_whose_snapshot_went_stale_is_decided_again_under_the_lock(monkeypatch, write):
    from django.test.utils import CaptureQueriesContext

    from exchange.bidding import ledger_sql

    # given a: 100,000; c bids 101,000 — and between c's snapshot read and c's write,
    # another connection commits a write of the auction row
    auction, (a, b, c) = auction_with_bidders(3)
    with clock.frozen(T0 + dt.timedelta(seconds=1)):
        engine.bid_place(auction_id=auction.pk, user=a.user, amount=D("100000"), key="a")
    real_load, interleaved = ledger_sql.load_bidder, []

    def concurrent_write():
        try:
            with clock.frozen(T0 + dt.timedelta(seconds=2)):
                if write == "a bid":
                    engine.bid_place(auction_id=auction.pk, user=b.user, amount=D("101000"), key="b")
                else:
                    Auction.objects.filter(pk=auction.pk).update(title="改名")
        finally:
            connection.close()

    def load_bidder_then_interleave(cursor, **kwargs):
        row = real_load(cursor, **kwargs)
        if not interleaved:
            interleaved.append(True)
            t = threading.Thread(target=concurrent_write)
            t.start()
            t.join()
        return row

    monkeypatch.setattr(ledger_sql, "load_bidder", load_bidder_then_interleave)
    # when
    with clock.frozen(T0 + dt.timedelta(seconds=3)), CaptureQueriesContext(connection) as ctx:
        try:
            placed = engine.bid_place(auction_id=auction.pk, user=c.user, amount=D("101000"), key="c")
            code = "ok"
        except BidRejected as exc:
            placed, code = None, exc.code
    # then c's conditional write changed nothing; under the row lock c was refused (b's bid
    # came first) or placed (only the title changed)
    sql = [q["sql"] for q in ctx.captured_queries]
    assert any("FOR UPDATE" in s for s in sql) and any("xmin" in s for s in sql), sql
    auction.refresh_from_db()
    if write == "a bid":
        assert code == rules.BID_TOO_LOW and auction.seq == 2 and auction.leader.bidder_no == b.bidder_no
    else:
        assert code == "ok" and placed.seq == 2 and auction.leader.bidder_no == c.bidder_no
    assert Bid.objects.filter(auction=auction).count() == 2
    assert verify_auction(auction.pk).ok
