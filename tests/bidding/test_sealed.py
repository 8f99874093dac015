"""Sealed quotes (一次报价, bidding/sealed.py): before the opening nobody — a bidder, staff, a
supervisor, whoever reads the database — learns an amount, the number of quotes or who quoted;
at the opening everything becomes verifiable, and each bidder can check their own receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db import connection

from exchange.accounts import services as account_services
from exchange.bidding import engine, events, rules, sealed, selectors
from exchange.bidding.errors import BidRejected, KeyReused
from exchange.bidding.models import Auction, AuctionBidder, Bid, Status
from exchange.bidding.verify import verify_auction
from exchange.core import audit, clock
from tests.bidding.factories import T0, auction_with_bidders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AMOUNTS = ["123456.78", "134567.89", "145678.90"]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def published(monkeypatch):
    sent: list[tuple[int, str, dict]] = []
    monkeypatch.setattr(events, "publish", lambda auction_id, event, data: sent.append((auction_id, event, data)))
    return sent


def sealed_auction(**spec):
    return auction_with_bidders(3, mode=rules.SEALED, duration=dt.timedelta(seconds=600), **spec)


def quote(auction, bidder, amount, when, key=None):
    with clock.frozen(at(when)):
        return engine.bid_place(auction_id=auction.pk, user=bidder.user, amount=D(amount), key=key or f"q{when}")


def database_dump() -> dict[str, list[tuple]]:
    """Every row of every table, as a reader of the database sees it."""
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump[table] = [tuple(str(v) for v in row) for row in cursor.fetchall()]
    return dump


def spellings(amount: str) -> list[str]:
    cents = str(int(D(amount) * 100))
    return [amount, amount.rstrip("0"), cents, f"{D(amount):,}", str(float(amount))]


def test_before_the_opening_the_database_holds_no_amount_no_count_and_not_who_quoted(published):
    # given a sealed auction with three bidders, and the database as it is before any quote
    auction, bidders = sealed_auction()
    before = database_dump()
    auction_row = {k: v for k, v in Auction.objects.filter(pk=auction.pk).values()[0].items() if k != "head_hash"}
    # when one bidder quotes, then the two others
    quote(auction, bidders[0], AMOUNTS[0], 10)
    after_one = database_dump()
    for b, amount, when in zip(bidders[1:], AMOUNTS[1:], (20, 30), strict=True):
        quote(auction, b, amount, when)
    after_three = database_dump()
    # then no amount is anywhere in the database, in any spelling
    for dump in (after_one, after_three):
        text = json.dumps(dump, ensure_ascii=False)
        for amount in AMOUNTS:
            for spelled in spellings(amount):
                assert spelled not in text, spelled
    # and the database looks the same whether nobody, one or everybody quoted: the same rows in
    # every table, the auction's row unchanged but for its head hash (64 hex digits, as before)
    for dump in (after_one, after_three):
        assert {t: len(rows) for t, rows in dump.items()} == {t: len(rows) for t, rows in before.items()}
    stored = {k: v for k, v in Auction.objects.filter(pk=auction.pk).values()[0].items() if k != "head_hash"}
    assert stored == auction_row
    heads = [Auction.objects.get(pk=auction.pk).head_hash]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in heads)
    slots = list(AuctionBidder.objects.filter(auction=auction).values_list("sealed_slot", flat=True))
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in slots)
    assert not Bid.objects.filter(auction=auction).exists()
    # nothing announced the quotes either
    assert not [e for e in published if e[1] == "bid"]


def test_nobody_reads_an_amount_or_the_count_through_the_api_pages_or_the_back_office(client, published):
    # given a sealed auction where two of three bidders quoted
    auction, (a, b, c) = sealed_auction()
    quote(auction, a, AMOUNTS[0], 10)
    quote(auction, b, AMOUNTS[1], 20)
    supervisor = UserFactory(role="supervisor", is_staff=True)
    manager = UserFactory(role="manager", is_staff=True)
    # when staff who may see every bid (监管, 部门经理) and the bidders look, at 30 s
    with clock.frozen(at(30)):
        for viewer in (supervisor, manager):
            token = {"Authorization": f"Bearer {account_services.api_token_issue(user=viewer)}"}
            log = client.get(f"/api/v1/auctions/{auction.pk}/log", headers=token)
            detail = client.get(f"/api/v1/auctions/{auction.pk}", headers=token).json()
            listed = client.get(f"/api/v1/auctions/{auction.pk}/bids", headers=token).json()
            # then the log is not public yet, and neither the count nor a price is shown
            assert log.status_code == 403 and log.json()["code"] == "log_not_public"
            assert detail["bid_count"] is None and detail["current_price"] is None and listed == []
            client.force_login(viewer)
            pages = [
                client.get("/admin/bidding/bid/"),
                client.get("/admin/bidding/auctionbidder/"),
                client.get(f"/admin/bidding/auction/{auction.pk}/change/"),
                client.get("/bidding/monitor/"),
                client.get(f"/bidding/{auction.pk}/"),
                client.get("/bidding/"),
            ]
            for page in pages:
                assert page.status_code == 200
                html = page.content.decode()
                assert not any(s in html for amount in AMOUNTS for s in spellings(amount))
            assert "2 次出价" not in pages[5].content.decode()
            client.logout()
        mine = client.get(
            f"/api/v1/auctions/{auction.pk}",
            headers={"Authorization": f"Bearer {account_services.api_token_issue(user=c.user)}"},
        ).json()
        own = client.get(
            f"/api/v1/auctions/{auction.pk}",
            headers={"Authorization": f"Bearer {account_services.api_token_issue(user=a.user)}"},
        ).json()
    # a bidder sees only their own quote: the one who did not quote cannot tell how many did
    assert mine["bid_count"] is None and mine["my_status"] == "none" and mine["my_quote"] is None
    assert own["my_status"] == "quoted" and own["my_quote"]["amount"] == AMOUNTS[0]
    assert own["bid_count"] is None and "seq" in own["my_quote"] and own["my_quote"]["seq"] is None


def test_the_opening_publishes_a_log_each_bidder_can_check_against_their_receipt(client, published):
    # given three quotes over the API (B and C quote the same price: the earlier one wins)
    auction, (a, b, c) = sealed_auction()
    receipts = {}
    for who, amount, when in ((a, "120000.00", 10), (b, "130000.00", 20), (c, "130000.00", 30)):
        with clock.frozen(at(when)):
            r = client.post(
                f"/api/v1/auctions/{auction.pk}/bids",
                json.dumps({"amount": amount, "key": f"k{when}"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {account_services.api_token_issue(user=who.user)}"},
            )
        assert r.status_code == 201, r.json()
        receipts[who.bidder_no] = r.json()
    body = receipts[a.bidder_no]
    assert set(body) == {"seq", "amount", "bidder_no", "accepted_at", "ends_at", "sealed", "salt", "commitment", "hash"}
    assert body["seq"] is None and body["sealed"] is True
    # when the clock opens it at the deadline
    with clock.frozen(at(600)):
        assert engine.auction_close_due(now=at(600)) == [auction.pk]
    # then the log is public: amounts, salts, commitments, hashes chained from the genesis
    log = client.get(f"/api/v1/auctions/{auction.pk}/log").json()
    assert log["bid_count"] == 3 and len(log["entries"]) == 3
    assert log["result"] == rules.SOLD and log["winner_no"] == b.bidder_no and log["final_price"] == "130000.00"
    prev = log["genesis_hash"]
    for entry in log["entries"]:
        committed = f"exchange-sealed|{auction.pk}|{entry['bidder_no']}|{entry['amount']}|{entry['salt']}"
        assert hashlib.sha256(committed.encode()).hexdigest() == entry["commitment"]
        hashed = f"{prev}|{entry['bidder_no']}|{entry['commitment']}|{entry['accepted_at']}"
        assert entry["prev_hash"] == prev and hashlib.sha256(hashed.encode()).hexdigest() == entry["hash"]
        prev = entry["hash"]
        # each bidder finds their receipt in it, unchanged
        receipt = receipts[entry["bidder_no"]]
        assert (receipt["amount"], receipt["salt"], receipt["commitment"], receipt["hash"]) == (
            entry["amount"],
            entry["salt"],
            entry["commitment"],
            entry["hash"],
        )
    assert prev == log["head_hash"]
    assert [e["bidder_no"] for e in log["entries"]] == [a.bidder_no, b.bidder_no, c.bidder_no]
    assert selectors.auction_public(auction_id=auction.pk)["bid_count"] == 3
    report = verify_auction(auction.pk)
    assert report.ok, report.problems
    # an amount changed after the opening no longer opens its commitment
    Bid.objects.filter(auction=auction, seq=1).update(amount=D("125000.00"))
    assert any("commitment" in p for p in verify_auction(auction.pk).problems)


def test_a_receipt_is_idempotent_and_one_quote_per_bidder(client):
    auction, (a, b, _c) = sealed_auction()
    first = quote(auction, a, AMOUNTS[0], 10, key="once")
    head = Auction.objects.get(pk=auction.pk).head_hash
    slot = AuctionBidder.objects.get(pk=a.pk).sealed_slot
    # the same key and amount: the same receipt, nothing written
    again = quote(auction, a, AMOUNTS[0], 11, key="once")
    assert again.replayed and (again.hash, again.salt, again.commitment) == (first.hash, first.salt, first.commitment)
    # the same key, another amount; another key: refused, nothing written
    with pytest.raises(KeyReused):
        quote(auction, a, AMOUNTS[1], 12, key="once")
    with pytest.raises(BidRejected) as err:
        quote(auction, a, AMOUNTS[1], 13, key="twice")
    assert err.value.code == rules.SEALED_ALREADY_BID
    with pytest.raises(BidRejected) as low:
        quote(auction, b, "1.00", 14)
    assert low.value.code == rules.BID_TOO_LOW
    assert Auction.objects.get(pk=auction.pk).head_hash == head
    assert AuctionBidder.objects.get(pk=a.pk).sealed_slot == slot == first.commitment


def test_the_vault_is_private_to_the_server_account(settings):
    auction, (a, _b, _c) = sealed_auction()
    receipt = quote(auction, a, AMOUNTS[0], 10)
    folder = Path(settings.BIDDING_SEALED_DIR) / Auction.objects.get(pk=auction.pk).sealed_ref
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in ("genesis", f"{receipt.commitment}.json"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600


def test_a_vault_that_does_not_match_is_not_opened_and_the_auction_is_held_for_staff(settings, published):
    # given two quotes, one of which is altered in the vault (another amount)
    auction, (a, b, _c) = sealed_auction()
    quote(auction, a, AMOUNTS[0], 10)
    forged = quote(auction, b, AMOUNTS[1], 20)
    path = (
        Path(settings.BIDDING_SEALED_DIR) / Auction.objects.get(pk=auction.pk).sealed_ref / f"{forged.commitment}.json"
    )
    data = json.loads(path.read_text())
    data["amount"] = "999999.00"
    path.write_text(json.dumps(data))
    # when the clock tries to open it
    with clock.frozen(at(600)):
        assert engine.auction_close(auction_id=auction.pk) is False
    # then nothing is revealed, the auction is paused with a reason, audited
    auction.refresh_from_db()
    assert auction.status == Status.PAUSED and "开标失败" in auction.pause_reason
    assert not Bid.objects.filter(auction=auction).exists() and auction.seq == 0 and not auction.log_genesis
    assert audit.history(auction).filter(additional_data__action="auction.open_failed").exists()
    with pytest.raises(sealed.VaultError):
        sealed.reveal(auction)


def test_a_rerun_of_a_sealed_session_before_its_opening_keeps_it_sealed(client):
    auction, (a, _b, _c) = sealed_auction()
    quote(auction, a, AMOUNTS[0], 10)
    with clock.frozen(at(100)):
        new = engine.auction_rerun(auction_id=auction.pk, actor=None, reason="重新竞价")
    old = selectors.auction_public(auction_id=auction.pk)
    assert old["status"] == "cancelled" and old["bid_count"] is None
    assert client.get(f"/api/v1/auctions/{auction.pk}/log").status_code == 403
    fresh = Auction.objects.get(pk=new.pk)
    assert fresh.sealed_ref and fresh.sealed_ref != auction.sealed_ref
    assert all(len(s) == 64 for s in AuctionBidder.objects.filter(auction=fresh).values_list("sealed_slot", flat=True))
    # the bidders quote again in the new session
    with clock.frozen(fresh.starts_at + dt.timedelta(seconds=1)):
        again = engine.bid_place(auction_id=fresh.pk, user=a.user, amount=D(AMOUNTS[1]), key="again")
    assert again.sealed
