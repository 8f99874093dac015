"""An outage of the platform (nobody could bid) must not decide an auction: the clock holds a
close on a deadline the web did not outlive, and the beat that ends the outage gives the
affected auctions their time back (core.liveness, engine.outage_extend). The same with a real
server process killed and restarted: tests/bidding/test_crash.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from exchange.bidding import engine, events, rules, selectors
from exchange.bidding.errors import BidRejected
from exchange.bidding.models import Auction, Bid, DeadlineShift, Status
from exchange.bidding.verify import verify_auction
from exchange.core import audit, clock, liveness
from exchange.core.models import Heartbeat
from tests.bidding.factories import T0, auction_with_bidders

pytestmark = pytest.mark.django_db


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def quiet(monkeypatch, settings):
    settings.OUTAGE_AFTER_SECONDS = 2.0
    settings.BIDDING = {"OUTAGE_GRACE_SECONDS": 30}
    sent: list[tuple[int, str, dict]] = []
    monkeypatch.setattr(events, "publish", lambda auction_id, event, data: sent.append((auction_id, event, data)))
    return sent


def beat(when: float) -> tuple[dt.datetime, dt.datetime] | None:
    with clock.frozen(at(when)):
        return liveness.web_beat()


def bid(auction, bidder, amount, when, key=None):
    with clock.frozen(at(when)):
        return engine.bid_place(auction_id=auction.pk, user=bidder.user, amount=D(amount), key=key or f"k{when}")


def close_due(when: float) -> list[int]:
    with clock.frozen(at(when)):
        return engine.auction_close_due(now=at(when))


def dynamic_in_countdown():
    """A dynamic auction (free period 60 s, countdown 30 s) where A bid at 70 s: deadline 100 s."""
    auction, (a, b, _c) = auction_with_bidders(
        3, mode=rules.DYNAMIC, duration=dt.timedelta(seconds=60), countdown_seconds=30
    )
    bid(auction, a, "100000.00", 70)
    auction.refresh_from_db()
    assert auction.ends_at == at(100)
    return auction, a, b


def test_the_clock_holds_a_close_while_the_web_is_down_and_the_restart_gives_the_time_back(
    quiet, django_capture_on_commit_callbacks, client
):
    # given a countdown running, the web alive at 80 s, then down (no beat) past the deadline
    auction, _a, b = dynamic_in_countdown()
    for t in range(71, 81):
        assert beat(t) is None
    # when the clock looks at 101 s and 124 s: the deadline (100 s) came while nobody could bid
    assert close_due(101) == [] and close_due(124) == []
    # then nothing was decided: still running, and a bid now would be refused, nothing written
    assert Auction.objects.get(pk=auction.pk).status == Status.RUNNING
    with pytest.raises(BidRejected):
        bid(auction, b, "101000.00", 123)
    # when the web answers again at 124 s (44 s after its last sign of life)
    with django_capture_on_commit_callbacks(execute=True):
        outage = beat(124)
    # then the auction got back the 20 s it had left at 80 s, at least the 30 s grace
    assert outage == (at(80), at(124))
    auction.refresh_from_db()
    assert auction.status == Status.RUNNING and auction.ends_at == at(124 + 30)
    assert (auction.outage_from, auction.outage_until) == (at(80), at(124))
    shift = DeadlineShift.objects.get(auction=auction)
    assert (shift.kind, shift.ends_before, shift.ends_after, shift.seq) == ("outage", at(100), at(154), 1)
    entry = audit.history(auction).get(additional_data__action="auction.outage_extend")
    assert audit.history(shift).filter(additional_data__action="auction.outage_extend").exists()
    assert entry.changes_dict["ends_at"][1].startswith("2026-11-27 02:02:34")
    # the bidders are told, in Chinese, on the page and in a state event
    notice = selectors.auction_public(auction_id=auction.pk)["notice"]
    assert "中断" in notice and "顺延" in notice
    assert [(e, d["notice"]) for (i, e, d) in quiet if i == auction.pk and e == "state"] == [("state", notice)]
    client.force_login(b.user)
    with clock.frozen(at(124.5)):
        page = client.get(f"/bidding/{auction.pk}/").content.decode()
    assert f'data-notice role="status" aria-live="polite">{notice}</p>' in page
    assert "系统于 2026-11-27 10:01:20 至 10:02:04 中断" in notice  # the exchange's time (Asia/Shanghai)
    # and the other bidder can still bid; the auction then closes normally and verifies
    placed = bid(auction, b, "101000.00", 125)
    assert placed.seq == 2
    for t in range(125, 161):
        assert beat(t) is None
    assert close_due(150) == []  # the countdown B's bid restarted (155 s) has not run out
    assert close_due(160) == [auction.pk]
    auction.refresh_from_db()
    assert auction.winner_id == b.pk and auction.final_price == D("101000.00")
    assert verify_auction(auction.pk).ok, verify_auction(auction.pk).problems


def test_a_deadline_the_web_outlived_closes_even_when_the_web_went_down_later():
    # given the deadline (100 s) passed while the web was alive (beats until 103 s), then it died
    auction, a, _b = dynamic_in_countdown()
    for t in (99, 101, 103):
        assert beat(t) is None
    # when the clock closes at 110 s; then the close is the one bidders could see coming
    assert close_due(110) == [auction.pk]
    # and the next beat, long after, moves nothing of a closed auction
    assert beat(200) == (at(103), at(200))
    auction.refresh_from_db()
    assert auction.status == Status.CLOSED and auction.winner_id == a.pk
    assert not DeadlineShift.objects.exists()


def test_a_gap_shorter_than_the_outage_threshold_is_no_outage():
    # given beats at most 2 s apart around a deadline
    auction, _a, _b = dynamic_in_countdown()
    beat(98.5)
    # when the next beat comes 1.9 s later
    assert beat(100.4) is None
    # then nothing moves; the auction closes at its deadline
    assert close_due(100.5) == [auction.pk]
    assert not DeadlineShift.objects.exists()


def test_an_auction_with_time_enough_left_and_one_already_over_are_left_alone():
    # given an English auction ending an hour later and one that had ended before the outage
    later, (a, _b, _c) = auction_with_bidders(3, duration=dt.timedelta(hours=1))
    ended, (x, _y, _z) = auction_with_bidders(
        3, duration=dt.timedelta(seconds=50), window_seconds=5, extension_seconds=5
    )
    bid(later, a, "100000.00", 10)
    bid(ended, x, "100000.00", 10)
    for t in range(10, 56):
        assert beat(t) is None
    # when the web is down from 55 s to 300 s
    assert beat(300) == (at(55), at(300))
    # then neither deadline moved: one had time enough left, the other closes as it would have
    assert Auction.objects.get(pk=later.pk).ends_at == at(3600)
    assert Auction.objects.get(pk=ended.pk).ends_at == at(50)
    assert close_due(301) == [ended.pk]
    assert not DeadlineShift.objects.exists()


def test_one_outage_is_handled_once_by_the_first_beat_after_it():
    auction, _a, _b = dynamic_in_countdown()
    beat(80)
    assert beat(124) is not None
    assert beat(124.1) is None  # a second process's first beat
    assert DeadlineShift.objects.count() == 1 and Auction.objects.get(pk=auction.pk).ends_at == at(154)


def test_without_a_web_heartbeat_closes_are_as_before():
    # given no web heartbeat ever written (liveness not tracked: a management command alone)
    auction, _a, _b = dynamic_in_countdown()
    assert not Heartbeat.objects.filter(process=liveness.WEB).exists()
    # then the clock closes at the deadline
    assert close_due(100) == [auction.pk]


def test_a_pause_is_recorded_for_the_log_and_verify_accepts_the_bids_after_it():
    # given a countdown paused for 10 minutes at 90 s and resumed: B bids after the old deadline
    auction, _a, b = dynamic_in_countdown()
    with clock.frozen(at(90)):
        engine.auction_pause(auction_id=auction.pk, actor=None, reason="网络故障")
    with clock.frozen(at(690)):
        engine.auction_resume(auction_id=auction.pk, actor=None, reason="已恢复")
    bid(auction, b, "101000.00", 695)
    assert close_due(725) == [auction.pk]  # (no web heartbeat here: liveness not tracked)
    # then the move is recorded after entry 1 and the log verifies
    shift = DeadlineShift.objects.get(auction=auction)
    assert (shift.kind, shift.seq, shift.ends_before, shift.ends_after) == ("pause", 1, at(100), at(700))
    assert verify_auction(auction.pk).ok, verify_auction(auction.pk).problems
    # a forged move (not from the deadline in force) is found
    DeadlineShift.objects.filter(pk=shift.pk).update(ends_before=at(99))
    assert not verify_auction(auction.pk).ok


def test_a_bid_after_the_deadline_without_a_recorded_move_still_fails_verification():
    auction, _a, b = dynamic_in_countdown()
    beat(80)
    beat(124)
    bid(auction, b, "101000.00", 125)
    assert verify_auction(auction.pk).ok
    DeadlineShift.objects.all().delete()
    report = verify_auction(auction.pk)
    assert not report.ok and "after the deadline" in report.problems[0]
    assert Bid.objects.filter(auction=auction).count() == 2


def test_waiting_for_the_write_lock_is_no_outage(monkeypatch):
    # given a beat at 80 s, and the next one beginning at 80.5 s but getting the database's
    # write lock only at 83.5 s (bids were being written meanwhile)
    auction, _a, _b = dynamic_in_countdown()
    beat(80)
    times = iter([at(80.5), at(83.5)])
    monkeypatch.setattr(liveness.clock, "now", lambda: next(times))
    # when it is written; then it is no outage, and nothing moved
    assert liveness.web_beat() is None
    assert Heartbeat.objects.get(process=liveness.WEB).beat_at == at(83.5)
    assert Auction.objects.get(pk=auction.pk).ends_at == at(100) and not DeadlineShift.objects.exists()


def test_a_beat_just_after_another_process_beat_writes_nothing(settings, django_assert_num_queries):
    # given web processes beating every 0.5 s, and a beat written at 80 s
    settings.WEB_HEARTBEAT_SECONDS = 0.5
    dynamic_in_countdown()
    beat(80)
    # when another process beats 0.2 s later: one read, no write (the database's write lock is left to the bids)
    with django_assert_num_queries(1):
        assert beat(80.2) is None
    assert Heartbeat.objects.get(process=liveness.WEB).beat_at == at(80)
    # a beat 0.4 s after the last written one writes
    assert beat(80.4) is None
    assert Heartbeat.objects.get(process=liveness.WEB).beat_at == at(80.4)
