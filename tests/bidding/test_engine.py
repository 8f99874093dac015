"""The engine: bids, idempotency, the chain, closing, pause/resume/rerun, statement count."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.bidding import engine, events, rules, selectors
from exchange.bidding.documents import confirmation_pdf
from exchange.bidding.errors import BidRejected, KeyReused, ReasonRequired
from exchange.bidding.models import Auction, Bid, Status
from exchange.bidding.verify import verify_auction
from exchange.core import audit, clock
from exchange.core.errors import IllegalTransition, InvalidInput
from tests.bidding.factories import T0, auction_with_bidders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[int, str, dict]] = []
    monkeypatch.setattr(events, "publish", lambda auction_id, event, data: sent.append((auction_id, event, data)))
    return sent


def bid(auction, bidder, amount, when, key=None):
    with clock.frozen(at(when)):
        return engine.bid_place(
            auction_id=auction.pk, user=bidder.user, amount=D(amount), key=key or f"k-{when}-{amount}"
        )


def snapshot(auction):
    a = Auction.objects.get(pk=auction.pk)
    return (
        a.current_price,
        a.leader_id,
        a.seq,
        a.head_hash,
        a.ends_at,
        a.status,
        Bid.objects.filter(auction=a).count(),
    )


def test_accepted_bids_chain_and_update_the_auction(published, django_capture_on_commit_callbacks):
    # given
    auction, (a, b, _c) = auction_with_bidders(3)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = bid(auction, a, "100000.00", 10)
        second = bid(auction, b, "103000.00", 20)
    # then
    auction.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == engine.genesis_hash(auction.pk)
    assert second.prev_hash == first.hash and auction.head_hash == second.hash
    assert auction.current_price == D("103000.00") and auction.leader_id == b.pk and auction.seq == 2
    assert second.accepted_at == at(20)
    assert [(e, d["seq"], d["amount"], d["bidder_no"]) for _, e, d in published] == [
        ("bid", 1, "100000.00", a.bidder_no),
        ("bid", 2, "103000.00", b.bidder_no),
    ]
    assert verify_auction(auction.pk).ok


@pytest.mark.parametrize(
    ("amount", "when", "code"),
    [
        ("99000.00", 10, rules.BID_TOO_LOW),
        ("100500.00", 10, rules.NOT_MULTIPLE),
        ("100000.00", -5, rules.NOT_OPEN),
        ("100000.00", 601, rules.IS_CLOSED),
    ],
)
def test_rejections_change_nothing(amount, when, code, published):
    # given
    auction, (a, *_rest) = auction_with_bidders(2)
    before = snapshot(auction)
    # when
    with pytest.raises(BidRejected) as err:
        bid(auction, a, amount, when)
    # then
    assert err.value.code == code
    assert snapshot(auction) == before and published == []


def test_self_raise_not_qualified_paused_and_invalid(published):
    auction, (a, b) = auction_with_bidders(2)
    bid(auction, a, "100000", 1)
    before = snapshot(auction)
    with pytest.raises(BidRejected) as err:
        bid(auction, a, "101000", 2)
    assert err.value.code == rules.SELF_RAISE
    with pytest.raises(BidRejected) as err, clock.frozen(at(3)):
        engine.bid_place(auction_id=auction.pk, user=UserFactory(), amount=D("101000"), key="x")
    assert err.value.code == rules.NOT_QUALIFIED and err.value.status == 403
    for bad in (D("-1"), D("1.001"), D("0")):
        with pytest.raises(InvalidInput) as err2:
            engine.bid_place(auction_id=auction.pk, user=b.user, amount=bad, key="y")
        assert err2.value.code == "invalid_amount"
    with clock.frozen(at(4)):
        engine.auction_pause(auction_id=auction.pk, actor=None, reason="网络故障")
    paused = snapshot(auction)
    with pytest.raises(BidRejected) as err:
        bid(auction, b, "101000", 5)
    assert err.value.code == rules.IS_PAUSED
    assert snapshot(auction) == paused
    assert before[:4] == paused[:4]


def test_idempotent_on_the_client_key():
    auction, (a, b) = auction_with_bidders(2)
    first = bid(auction, a, "100000", 1, key="abc")
    again = bid(auction, a, "100000", 2, key="abc")
    assert again.pk == first.pk and Bid.objects.count() == 1
    with pytest.raises(KeyReused) as err:
        bid(auction, a, "105000", 3, key="abc")
    assert err.value.code == "key_reused" and err.value.status == 409
    assert bid(auction, b, "101000", 4, key="abc").seq == 2  # keys are per bidder


def test_english_extension_and_close_with_confirmation(published, django_capture_on_commit_callbacks, tmp_path):
    # given an English auction 600 s, W 120, E 180
    auction, (a, b) = auction_with_bidders(2, window_seconds=120, extension_seconds=180)
    bid(auction, a, "100000", 100)
    assert Auction.objects.get(pk=auction.pk).ends_at == at(600)
    late = bid(auction, b, "101000", 550)
    assert late.ends_at == at(730)  # bid time + E
    closed_ids: list = []
    engine.auction_closed.connect(lambda **kw: closed_ids.append(kw), weak=False, dispatch_uid="t")
    try:
        assert engine.auction_close_due(now=at(729)) == []
        with clock.frozen(at(730.2)), django_capture_on_commit_callbacks(execute=True):
            assert engine.auction_close_due(now=at(730.2)) == [auction.pk]
    finally:
        engine.auction_closed.disconnect(dispatch_uid="t")
    auction.refresh_from_db()
    assert auction.status == Status.CLOSED and auction.result == rules.SOLD
    assert auction.winner_id == b.pk and auction.final_price == D("101000")
    assert closed_ids[0]["winner_user_id"] == b.user_id and closed_ids[0]["price"] == D("101000")
    assert auction.confirmation.name.endswith(".pdf")
    assert auction.confirmation.read()[:5] == b"%PDF-"
    assert published[-1][1] == "closed" and published[-1][2]["result"] == "sold"
    report = verify_auction(auction.pk)
    assert report.ok, report.problems
    with pytest.raises(BidRejected) as err:
        bid(auction, a, "102000", 731)
    assert err.value.code == rules.IS_CLOSED


def test_dynamic_countdown_resets_and_close_waits_for_it():
    auction, (a, b) = auction_with_bidders(
        2, mode=rules.DYNAMIC, duration=dt.timedelta(seconds=300), countdown_seconds=60
    )
    bid(auction, a, "100000", 100)  # free period: no change
    assert Auction.objects.get(pk=auction.pk).ends_at == at(360)
    assert bid(auction, b, "101000", 330).ends_at == at(390)  # timed period: reset to T
    with clock.frozen(at(389)):
        assert engine.auction_close(auction_id=auction.pk) is False
    with clock.frozen(at(390)):
        assert engine.auction_close(auction_id=auction.pk) is True
    assert Auction.objects.get(pk=auction.pk).winner_id == b.pk


def test_proxy_places_real_bids():
    auction, (a, b) = auction_with_bidders(2, mode=rules.PROXY)
    bid(auction, a, "110000", 1)  # max 110k: a bid at the start price
    mine = bid(auction, b, "105000", 2)  # b's max is lower: b bids 105k, a answers 106k
    assert mine.amount == D("105000") and mine.max_amount == D("105000")
    rows = list(Bid.objects.filter(auction=auction).values_list("bidder_no", "amount", "kind"))
    assert rows == [
        (a.bidder_no, D("100000.00"), "proxy"),
        (b.bidder_no, D("105000.00"), "proxy"),
        (a.bidder_no, D("106000.00"), "proxy"),
    ]
    assert bid(auction, b, "105000", 3, key=mine.key).pk == mine.pk  # idempotent on the maximum
    public = selectors.auction_public(auction_id=auction.pk)
    assert "110000" not in str(public)  # the maximum stays hidden
    assert verify_auction(auction.pk).ok


def test_sealed_hidden_until_opening():
    auction, (a, b) = auction_with_bidders(2, mode=rules.SEALED)
    bid(auction, a, "120000", 1)
    bid(auction, b, "110000", 2)
    with pytest.raises(BidRejected) as err:
        bid(auction, b, "130000", 3)
    assert err.value.code == rules.SEALED_ALREADY_BID
    public = selectors.auction_public(auction_id=auction.pk, viewer=b.user)
    assert public["current_price"] is None and public["leader_no"] is None and public["my_status"] == "quoted"
    assert public["bid_count"] is None and public["my_quote"]["amount"] == "110000.00"
    assert selectors.bids_after(auction_id=auction.pk, after_seq=0) == []
    assert selectors.bids_after(auction_id=auction.pk, after_seq=0, viewer=b.user) == []  # no row before the opening
    with clock.frozen(at(600)):
        engine.auction_close(auction_id=auction.pk)
    public = selectors.auction_public(auction_id=auction.pk)
    assert public["winner_no"] == a.bidder_no and public["final_price"] == "120000.00"
    assert len(selectors.bids_after(auction_id=auction.pk, after_seq=0)) == 2


def test_dutch_taker():
    auction, (a, b) = auction_with_bidders(
        2,
        mode=rules.DUTCH,
        start_price=D("200000"),
        dutch_tick=D("5000"),
        dutch_interval_seconds=30,
        dutch_floor=D("150000"),
    )
    with pytest.raises(BidRejected) as err:
        bid(auction, a, "185000", 65)
    assert err.value.code == rules.BID_TOO_LOW and err.value.data["minimum"] == "190000.00"
    bid(auction, a, "190000", 66)
    auction.refresh_from_db()
    assert auction.status == Status.CLOSED and auction.winner_id == a.pk and auction.final_price == D("190000")
    with pytest.raises(BidRejected) as err:
        bid(auction, b, "190000", 67)
    assert err.value.code == rules.IS_CLOSED
    assert verify_auction(auction.pk).ok


def test_reserve_not_met_is_no_sale():
    auction, (a, _b) = auction_with_bidders(2, reserve_price=D("150000"))
    bid(auction, a, "100000", 1)
    with clock.frozen(at(601)):
        engine.auction_close(auction_id=auction.pk)
    auction.refresh_from_db()
    assert auction.result == rules.RESERVE_NOT_MET and auction.winner_id is None
    assert selectors.auction_public(auction_id=auction.pk)["reserve"] == "有"
    assert "150000" not in str(selectors.auction_public(auction_id=auction.pk))


def test_preemption_holder_leads_at_equal_price():
    auction, (a, holder) = auction_with_bidders(2, ranks=(0, 1))
    bid(auction, a, "100000", 1)
    bid(auction, holder, "100000", 2)
    auction.refresh_from_db()
    assert auction.leader_id == holder.pk
    with pytest.raises(BidRejected) as err:
        bid(auction, a, "100000", 3)
    assert err.value.code == rules.BID_TOO_LOW


def test_pause_resume_rerun_are_audited_and_need_a_reason(published, django_capture_on_commit_callbacks):
    staff = UserFactory(role="operations")
    auction, (a, b) = auction_with_bidders(2)
    bid(auction, a, "100000", 1)
    with pytest.raises(ReasonRequired):
        engine.auction_pause(auction_id=auction.pk, actor=staff, reason="  ")
    with clock.frozen(at(100)), django_capture_on_commit_callbacks(execute=True):
        engine.auction_pause(auction_id=auction.pk, actor=staff, reason="服务器故障")
    with pytest.raises(IllegalTransition), clock.frozen(at(101)):
        engine.auction_pause(auction_id=auction.pk, actor=staff, reason="again")
    with clock.frozen(at(400)), django_capture_on_commit_callbacks(execute=True):
        resumed = engine.auction_resume(auction_id=auction.pk, actor=staff, reason="故障排除")
    assert resumed.ends_at == at(900) and resumed.status == Status.RUNNING
    actions = [e.additional_data["action"] for e in audit.history(resumed) if e.additional_data]
    assert "auction.pause" in actions and "auction.resume" in actions
    assert [e for _, e, _ in published] == ["state", "state"]
    with clock.frozen(at(500)):
        new = engine.auction_rerun(auction_id=auction.pk, actor=staff, reason="重新竞价")
    assert Auction.objects.get(pk=auction.pk).status == Status.CANCELLED
    assert new.seq == 0 and new.rerun_of_id == auction.pk
    assert sorted(new.bidders.values_list("bidder_no", flat=True)) == sorted([a.bidder_no, b.bidder_no])
    assert Bid.objects.filter(auction=auction).count() == 1  # the voided log stays


def test_tampered_log_fails_verification():
    auction, (a, b) = auction_with_bidders(2)
    bid(auction, a, "100000", 1)
    bid(auction, b, "101000", 2)
    Bid.objects.filter(auction=auction, seq=1).update(amount=D("100001"))
    report = verify_auction(auction.pk)
    assert not report.ok and "seq 1: hash does not match its content" in report.problems


def test_statements_per_accepted_bid():
    """The design's budget: ≤6 statements per accepted bid, transaction control included:
    BEGIN, lock the auction, the bidder (+ prior bid under the key), INSERT bid, UPDATE auction, COMMIT."""
    auction, (a, b) = auction_with_bidders(2)
    bid(auction, a, "100000", 1)
    with CaptureQueriesContext(connection) as ctx:
        bid(auction, b, "101000", 2)
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 6, statements
    # (inside the test's transaction the BEGIN/COMMIT pair is a SAVEPOINT/RELEASE pair)
    assert statements[0].startswith(("BEGIN", "SAVEPOINT")) and statements[-1].startswith(("COMMIT", "RELEASE"))
    assert [s.split()[0] for s in statements[1:-1]] == ["SELECT", "SELECT", "INSERT", "UPDATE"]


@pytest.mark.skipif(  # like the browser tests: optional locally, required in CI (.ci/run installs it)
    not shutil.which("pdftotext") and os.environ.get("CI") != "true", reason="poppler-utils not installed"
)
def test_confirmation_pdf_is_chinese_text(tmp_path):
    auction, (a, _b) = auction_with_bidders(2, title="某公司 20% 股权")
    bid(auction, a, "100000", 1)
    with clock.frozen(at(700)):
        engine.auction_close(auction_id=auction.pk)
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(confirmation_pdf(Auction.objects.get(pk=auction.pk)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "竞价结果确认书" in text and "某公司 20% 股权" in text and "壹拾万元整" in text
    assert a.bidder_no in text and "¥100,000.00" in text


def test_clock_job_is_registered_every_half_second():
    from exchange.core import schedule

    job = next(j for j in schedule.jobs() if j.name == "exchange.bidding.tasks.close_due")
    assert job.seconds <= 1
    auction, (a, _b) = auction_with_bidders(2)
    bid(auction, a, "100000", 1)
    with clock.frozen(at(600.3)):
        schedule.run_job(job)  # runs inline in the clock process
    assert Auction.objects.get(pk=auction.pk).status == Status.CLOSED


# --- SQLite: rejections from a snapshot, writes under the write lock ------------------------
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the two-step bid is SQLite's")


SNAPSHOT_REFUSED = ["BEGIN DEFERRED", "SELECT", "SELECT", "ROLLBACK"]


def _words(ctx: CaptureQueriesContext) -> list[str]:
    return [" ".join(q["sql"].split()[:2]) if q["sql"].startswith("BEGIN") else q["sql"].split()[0] for q in ctx]


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_bids_outside_a_transaction_start_from_a_snapshot(monkeypatch):
    import sqlite3

    from django.db import OperationalError

    from exchange.bidding import ledger_sql

    auction, (a, b) = auction_with_bidders(2)
    # an accepted bid: the same 6 statements, in a deferred transaction (the INSERT takes the write lock)
    with CaptureQueriesContext(connection) as ctx:
        bid(auction, a, "100000", 1)
    assert _words(ctx) == ["BEGIN DEFERRED", "SELECT", "SELECT", "INSERT", "UPDATE", "COMMIT"]
    # a final rejection is answered from the snapshot: no write lock taken
    with CaptureQueriesContext(connection) as ctx, pytest.raises(BidRejected) as too_low:
        bid(auction, b, "100000", 2)
    assert too_low.value.code == rules.BID_TOO_LOW and too_low.value.data == {"minimum": "101000.00"}
    assert _words(ctx) == SNAPSHOT_REFUSED
    # a rejection a concurrent bid could turn (the leader outbid meanwhile) is decided again under the lock
    with CaptureQueriesContext(connection) as ctx, pytest.raises(BidRejected) as self_raise:
        bid(auction, a, "101000", 3)
    assert self_raise.value.code == rules.SELF_RAISE
    assert _words(ctx) == [*SNAPSHOT_REFUSED, "BEGIN IMMEDIATE", "SELECT", "SELECT", "ROLLBACK"]

    # SQLite refuses the write of a stale snapshot at once (SQLITE_BUSY_SNAPSHOT): the bid
    # is placed again under the write lock, and only that attempt is written
    real_insert, refused = ledger_sql.insert_bids, []

    def insert_once_refused(cursor, bids):
        if not refused:
            refused.append(bids)
            cause = sqlite3.OperationalError("database is locked")
            cause.sqlite_errorcode = 517  # type: ignore[attr-defined]
            raise OperationalError("database is locked") from cause
        return real_insert(cursor, bids)

    monkeypatch.setattr(ledger_sql, "insert_bids", insert_once_refused)
    with CaptureQueriesContext(connection) as ctx:
        placed = bid(auction, b, "101000", 4)
    assert refused and placed.seq == 2
    assert _words(ctx) == [*SNAPSHOT_REFUSED, "BEGIN IMMEDIATE", "SELECT", "SELECT", "INSERT", "UPDATE", "COMMIT"]
    assert list(Bid.objects.filter(auction=auction).values_list("seq", flat=True).order_by("seq")) == [1, 2]
    assert verify_auction(auction.pk).ok

    # any other database error is not retried
    def insert_broken(cursor, bids):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(ledger_sql, "insert_bids", insert_broken)
    with pytest.raises(OperationalError, match="disk I/O"):
        bid(auction, a, "102000", 5)
    assert Auction.objects.get(pk=auction.pk).seq == 2


# --- pre-emption in proxy and Dutch modes ----------------------------------------------
def test_proxy_holder_with_an_equal_maximum_takes_the_lead_and_wins_at_the_close(
    published, django_capture_on_commit_callbacks
):
    # given a proxy auction with a holder of rank 1
    auction, (a, holder, c) = auction_with_bidders(3, mode=rules.PROXY, ranks=(0, 1, 0))
    first = bid(auction, a, "110000", 1)
    auction.refresh_from_db()
    assert first.amount == D("100000") and auction.leader_rank == 0
    # when the holder submits the leader's maximum
    with django_capture_on_commit_callbacks(execute=True):
        mine = bid(auction, holder, "110000", 2)
    # then the leader's proxy bids its maximum and the holder matches it
    rows = list(Bid.objects.filter(auction=auction).values_list("bidder_no", "amount", "max_amount"))
    assert rows == [
        (a.bidder_no, D("100000.00"), D("110000.00")),
        (a.bidder_no, D("110000.00"), None),
        (holder.bidder_no, D("110000.00"), D("110000.00")),
    ]
    assert mine.seq == 3 and [d["seq"] for _, e, d in published if e == "bid"] == [2, 3]
    auction.refresh_from_db()
    assert (auction.leader_id, auction.leader_rank, auction.current_price) == (holder.pk, 1, D("110000"))
    # a lower-ranked challenger with a higher maximum pays one increment above it
    bid(auction, c, "115000", 3)
    auction.refresh_from_db()
    assert (auction.leader_id, auction.current_price) == (c.pk, D("111000"))
    # and the holder, coming back at the price, answers and wins at the challenger's maximum
    with pytest.raises(BidRejected) as err:
        bid(auction, holder, "110000", 4)
    assert err.value.code == rules.BID_TOO_LOW and err.value.data["minimum"] == "111000.00"
    bid(auction, holder, "115000", 5)
    auction.refresh_from_db()
    assert (auction.leader_id, auction.current_price) == (holder.pk, D("115000"))
    with clock.frozen(at(600)):
        assert engine.auction_close_due(now=at(600)) == [auction.pk]
    auction.refresh_from_db()
    assert (auction.result, auction.winner_id, auction.final_price) == ("sold", holder.pk, D("115000"))
    report = verify_auction(auction.pk)
    assert report.ok, report.problems
    assert report.winner_no == holder.bidder_no


def test_proxy_with_leader_rebid_is_refused_when_created():
    from exchange.bidding import services

    with pytest.raises(InvalidInput) as err:
        services.auction_create(
            spec=services.AuctionSpec(title="x", mode=rules.PROXY, allow_leader_rebid=True), actor=None
        )
    assert err.value.data.get("field") == "allow_leader_rebid" and "代理出价" in err.value.message
    assert not Auction.objects.exists()


def dutch_auction(ranks, **kw):
    return auction_with_bidders(
        len(ranks),
        ranks=ranks,
        mode=rules.DUTCH,
        start_price=D("200000"),
        dutch_tick=D("5000"),
        dutch_interval_seconds=30,
        dutch_floor=D("150000"),
        **kw,
    )


def test_dutch_holders_preempt_in_the_window_and_the_top_rank_ends_it(published, django_capture_on_commit_callbacks):
    # given a taker, a bidder without a right, and holders of rank 1 and 2
    auction, (taker, other, h1, h2) = dutch_auction((0, 0, 1, 2), preemption_seconds=45)
    # when the taker takes the step price
    with django_capture_on_commit_callbacks(execute=True):
        bid(auction, taker, "190000", 66)
    # then the auction is not over: the price freezes and the window opens
    auction.refresh_from_db()
    assert auction.status == Status.RUNNING and auction.ends_at == at(66 + 45)
    assert [e for _, e, _ in published] == ["bid"]
    with clock.frozen(at(100)):  # the step price would be 185000 by now
        public = selectors.auction_public(auction_id=auction.pk)
    assert public["dutch_price"] == "190000.00" and public["current_price"] == "190000.00"
    assert public["phase"] == "preemption" and public["next_minimum"] == "190000.00"
    # rejections in the window: nothing changes
    before = snapshot(auction)
    for who, amount, minimum in ((other, "190000", None), (h1, "185000", "190000.00"), (h1, "195000", "190000.00")):
        with pytest.raises(BidRejected) as err:
            bid(auction, who, amount, 70)
        assert err.value.code == rules.PREEMPTION_ONLY and err.value.status == 409
        assert err.value.data.get("minimum") == minimum
    with pytest.raises(BidRejected) as err:
        bid(auction, taker, "190000", 70)
    assert err.value.code == rules.SELF_RAISE
    assert snapshot(auction) == before
    # the rank-1 holder pre-empts: leads, and the window restarts
    bid(auction, h1, "190000", 80)
    auction.refresh_from_db()
    assert (auction.leader_id, auction.status, auction.ends_at) == (h1.pk, Status.RUNNING, at(80 + 45))
    # the rank-2 holder (the top rank) pre-empts: it ends at once
    with django_capture_on_commit_callbacks(execute=True):
        bid(auction, h2, "190000", 90)
    auction.refresh_from_db()
    assert auction.status == Status.CLOSED and auction.closed_at == at(90) == auction.ends_at
    assert (auction.winner_id, auction.final_price, auction.result) == (h2.pk, D("190000"), "sold")
    assert published[-1][1] == "closed"
    report = verify_auction(auction.pk)
    assert report.ok, report.problems
    assert (report.winner_no, report.price, report.bids) == (h2.bidder_no, "190000.00", 3)


def test_dutch_window_expires_and_the_clock_awards_the_leader(published, django_capture_on_commit_callbacks):
    auction, (taker, _holder) = dutch_auction((0, 1))
    bid(auction, taker, "190000", 70)  # the default window: 60 s
    auction.refresh_from_db()
    assert auction.ends_at == at(130) and auction.preemption_seconds == 60
    assert engine.auction_close_due(now=at(129)) == []
    with pytest.raises(BidRejected) as err:
        bid(auction, _holder, "190000", 130)  # the window is over
    assert err.value.code == rules.IS_CLOSED
    with clock.frozen(at(131)), django_capture_on_commit_callbacks(execute=True):
        assert engine.auction_close_due(now=at(131)) == [auction.pk]
        public = selectors.auction_public(auction_id=auction.pk)
    auction.refresh_from_db()
    assert (auction.winner_id, auction.final_price, auction.closed_at) == (taker.pk, D("190000"), at(131))
    assert public["dutch_price"] == "190000.00" and public["phase"] == "closed"
    assert verify_auction(auction.pk).ok


def test_dutch_disqualified_holder_does_not_hold_the_lot_open():
    auction, (taker, holder) = dutch_auction((0, 3))
    holder.qualified = False
    holder.save(update_fields=["qualified"])
    bid(auction, taker, "195000", 31)
    auction.refresh_from_db()
    assert auction.status == Status.CLOSED and auction.winner_id == taker.pk
    assert verify_auction(auction.pk).ok


def test_dutch_statements_per_accepted_bid():
    """A Dutch bid reads the top pre-emption rank too: 7 (the other modes stay at 6)."""
    auction, (taker, _h) = dutch_auction((0, 1))
    with CaptureQueriesContext(connection) as ctx:
        bid(auction, taker, "195000", 31)
    assert len(ctx.captured_queries) == 7, [q["sql"] for q in ctx.captured_queries]


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_preemption_only_is_final_and_answered_from_the_snapshot():
    auction, (taker, other, holder) = dutch_auction((0, 0, 1))
    bid(auction, taker, "190000", 66)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(BidRejected) as err:
        bid(auction, other, "190000", 67)
    assert err.value.code == rules.PREEMPTION_ONLY
    # the Dutch snapshot also reads the top rank; no write lock is taken
    assert _words(ctx) == ["BEGIN DEFERRED", "SELECT", "SELECT", "SELECT", "ROLLBACK"]
    bid(auction, holder, "190000", 68)
    assert Auction.objects.get(pk=auction.pk).winner_id == holder.pk
    assert verify_auction(auction.pk).ok


def test_drill_command_sets_the_preemption_window():
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("drill", "--mode", "dutch", "--bidders", "1", "--preemption-seconds", "90", stdout=out)
    assert Auction.objects.get(pk=json.loads(out.getvalue())["auction_id"]).preemption_seconds == 90


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_a_bid_that_ends_the_auction_is_never_written_from_the_snapshot():
    """A Dutch taker closes the auction; the close's after-commit work (event, confirmation,
    trading hooks) must not run on the event loop's thread, so the snapshot step hands such a
    bid to the locked step: with wait=False (the inline path) it is WouldBlock, nothing written."""
    auction, (taker, _other) = dutch_auction((0, 0))
    with clock.frozen(at(31)), pytest.raises(engine.WouldBlock):
        engine.bid_place(auction_id=auction.pk, user=taker.user, amount=D("195000"), key="t1", wait=False)
    assert Auction.objects.get(pk=auction.pk).status != Status.CLOSED and not Bid.objects.exists()
    # an ordinary bid of the inline path is written from the snapshot (English, same rules otherwise)
    english, (a, _b) = auction_with_bidders(2)
    with clock.frozen(at(1)):
        placed = engine.bid_place(auction_id=english.pk, user=a.user, amount=D("100000"), key="e1", wait=False)
    assert placed.seq == 1
    # and the taker's bid through the locked step closes the Dutch auction
    bid(auction, taker, "195000", 31)
    assert Auction.objects.get(pk=auction.pk).status == Status.CLOSED
    assert verify_auction(auction.pk).ok
