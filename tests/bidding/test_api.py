"""The public bidding API (/api/v1/auctions): paths, fields, error codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.accounts import services as account_services
from exchange.accounts.models import ApiToken
from exchange.bidding import engine, rules
from exchange.bidding.api import bid_native
from exchange.bidding.models import Auction, Bid
from exchange.core import clock
from tests.bidding.factories import T0, auction_with_bidders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {account_services.api_token_issue(user=user)}"}


def post_bid(client, auction, headers, amount, key="k1", when=10):
    with clock.frozen(T0 + dt.timedelta(seconds=when)):
        return client.post(
            f"/api/v1/auctions/{auction.pk}/bids",
            json.dumps({"amount": amount, "key": key}),
            content_type="application/json",
            headers=headers,
        )


def test_bid_flow_over_the_api(client):
    # given
    auction, (a, b) = auction_with_bidders(2)
    ha, hb = auth(a.user), auth(b.user)
    # when
    first = post_bid(client, auction, ha, "100000.00")
    again = post_bid(client, auction, ha, "100000.00")
    second = post_bid(client, auction, hb, 101000, key="x")
    # then
    assert first.status_code == 201, first.json()
    body = first.json()
    assert set(body) == {"seq", "amount", "bidder_no", "accepted_at", "ends_at"}
    assert body["seq"] == 1 and body["amount"] == "100000.00" and body["bidder_no"] == a.bidder_no
    assert again.status_code == 200 and again.json() == body
    assert second.status_code == 201 and second.json()["seq"] == 2
    with clock.frozen(T0 + dt.timedelta(seconds=11)):
        detail = client.get(f"/api/v1/auctions/{auction.pk}", headers=ha).json()
    assert detail["current_price"] == "101000.00" and detail["leader_no"] == b.bidder_no
    assert detail["my_no"] == a.bidder_no and detail["my_status"] == "outbid"
    assert detail["bid_count"] == 2 and detail["reserve"] == "无" and detail["mode"] == "english"
    assert detail["server_time"].startswith("2026-11-27T10:00:11")  # Asia/Shanghai
    listed = client.get(f"/api/v1/auctions/{auction.pk}/bids?after=1").json()
    assert [x["seq"] for x in listed] == [2]
    # no identity anywhere in what another bidder sees
    text = json.dumps(detail, ensure_ascii=False) + json.dumps(listed, ensure_ascii=False)
    for user in (a.user, b.user):
        assert user.phone not in text and user.name not in text and str(user.member_no) not in text


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        ("abc", 422, "invalid_amount"),
        ("-100000", 422, "invalid_amount"),
        ("100000.001", 422, "invalid_amount"),
        ("", 422, "invalid_amount"),
        ("99000.00", 422, "bid_too_low"),
        ("100500.00", 422, "not_multiple_of_increment"),
    ],
)
def test_bad_bids_are_rejected_in_chinese_and_change_nothing(client, amount, status, code):
    auction, (a, _b) = auction_with_bidders(2)
    response = post_bid(client, auction, auth(a.user), amount)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert not Bid.objects.exists() and Auction.objects.get(pk=auction.pk).seq == 0


def test_rule_rejections_over_the_api(client):
    auction, (a, b) = auction_with_bidders(2)
    assert post_bid(client, auction, auth(a.user), "100000", key="1").status_code == 201
    r = post_bid(client, auction, auth(a.user), "101000", key="2")
    assert (r.status_code, r.json()["code"]) == (409, "self_raise")
    r = post_bid(client, auction, auth(a.user), "102000", key="1")
    assert (r.status_code, r.json()["code"]) == (409, "key_reused")
    r = post_bid(client, auction, auth(UserFactory()), "102000")
    assert (r.status_code, r.json()["code"]) == (403, "not_qualified")
    r = post_bid(client, auction, auth(b.user), "102000", when=-60)
    assert (r.status_code, r.json()["code"]) == (409, "not_open")
    r = post_bid(client, auction, auth(b.user), "102000", when=601)
    assert (r.status_code, r.json()["code"]) == (409, "closed")
    anon = client.post(
        f"/api/v1/auctions/{auction.pk}/bids", {"amount": "1", "key": "k"}, content_type="application/json"
    )
    assert anon.status_code == 401
    assert client.get("/api/v1/auctions/999999").json()["code"] == "auction_not_found"


def test_log_is_public_after_close_and_for_supervisors_any_time(client):
    supervisor = UserFactory(role="supervisor")
    auction, (a, _b) = auction_with_bidders(2)
    post_bid(client, auction, auth(a.user), "100000")
    assert client.get(f"/api/v1/auctions/{auction.pk}/log").status_code == 403
    running = client.get(f"/api/v1/auctions/{auction.pk}/log", headers=auth(supervisor))
    assert running.status_code == 200 and len(running.json()["entries"]) == 1
    with clock.frozen(T0 + dt.timedelta(seconds=700)):
        engine.auction_close(auction_id=auction.pk)
    log = client.get(f"/api/v1/auctions/{auction.pk}/log").json()
    entry = log["entries"][0]
    assert entry["prev_hash"] == log["genesis_hash"] and entry["hash"] == log["head_hash"]
    assert (
        engine.bid_hash(
            prev_hash=entry["prev_hash"],
            seq=1,
            bidder_no=entry["bidder_no"],
            amount=__import__("decimal").Decimal(entry["amount"]),
            accepted_at=dt.datetime.fromisoformat(entry["accepted_at"]),
        )
        == entry["hash"]
    )
    assert log["result"] == rules.SOLD and log["winner_no"] == a.bidder_no


def test_pause_needs_permission_and_reason(client):
    auction, _ = auction_with_bidders(2)
    member = UserFactory()
    ops = UserFactory(role="operations")
    url = f"/api/v1/auctions/{auction.pk}/pause"
    assert client.post(url, {"reason": "x"}, content_type="application/json", headers=auth(member)).status_code == 403
    r = client.post(url, {"reason": ""}, content_type="application/json", headers=auth(ops))
    assert (r.status_code, r.json()["code"]) == (422, "reason_required")
    with clock.frozen(T0 + dt.timedelta(seconds=5)):
        r = client.post(url, {"reason": "网络故障"}, content_type="application/json", headers=auth(ops))
    assert r.status_code == 200 and r.json()["status"] == "paused"


def test_staff_create_drills_over_the_api(client):
    ops = UserFactory(role="operations")
    r = client.post(
        "/api/v1/auctions/drills",
        {"mode": "dynamic", "bidders": 2, "free_seconds": 60, "countdown": 30},
        content_type="application/json",
        headers=auth(ops),
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert len(body["bidders"]) == 2 and Auction.objects.get(pk=body["auction_id"]).is_practice
    token = client.post(
        "/api/v1/auth/token",
        {"username": body["bidders"][0]["username"], "password": body["bidders"][0]["password"]},
        content_type="application/json",
    )
    assert token.status_code == 200
    member = client.post("/api/v1/auctions/drills", {}, content_type="application/json", headers=auth(UserFactory()))
    assert member.status_code == 403


def test_bid_request_statements(client):
    """The whole bid request: the token lookup + the bid's 6 (BEGIN … COMMIT)."""
    auction, (a, b) = auction_with_bidders(2)
    ha, hb = auth(a.user), auth(b.user)
    post_bid(client, auction, ha, "100000", key="warm")
    post_bid(client, auction, hb, "101000", key="warm")  # tokens now recently used: no last_used write
    with CaptureQueriesContext(connection) as ctx:
        assert post_bid(client, auction, ha, "102000", key="k").status_code == 201
    assert len(ctx.captured_queries) == 7, [q["sql"][:60] for q in ctx.captured_queries]


def test_native_bid_request_statements():
    """The native path (exchange.asgi: bearer-token bids without Django's request stack)
    checks the token in the engine's bidder statement: the whole request is the bid's 6."""
    auction, (a, b) = auction_with_bidders(2)
    ta, tb = (account_services.api_token_issue(user=x.user) for x in (a, b))

    def native(token, amount, key):
        with clock.frozen(T0 + dt.timedelta(seconds=10)), CaptureQueriesContext(connection) as ctx:
            status, body = bid_native(auction_id=auction.pk, token=token, payload={"amount": amount, "key": key})
        return status, body, [q["sql"] for q in ctx.captured_queries]

    # a token's first use: its last use recorded in the bid's transaction (at most every 5 minutes)
    status, _body, sql = native(ta, "100000", "k1")
    assert status == 201 and len(sql) == 7 and sql[-2].startswith("UPDATE") and "last_used_at" in sql[-2], sql
    assert ApiToken.objects.get(user=a.user).last_used_at == T0 + dt.timedelta(seconds=10)
    # a first use that writes no bid: recorded after the answer (its own statement)
    tc = account_services.api_token_issue(user=a.user)
    status, body, sql = native(tc, "100000", "k9")
    assert (status, body["code"]) == (409, "self_raise") and "last_used_at" in sql[-1], sql
    assert ApiToken.objects.get(digest=account_services.api_token_digest(tc)).last_used_at is not None
    account_services.api_token_authenticate(raw=tb)  # b's first use recorded
    # then: the bid's 6 statements, no token lookup of its own
    status, body, sql = native(tb, "101000", "k2")
    assert status == 201 and body["seq"] == 2 and len(sql) == 6, sql
    status, body, sql = native(ta, "102000", "k3")
    assert status == 201 and len(sql) == 6, sql
    # an unknown token is refused by the same statements (nothing written), as ninja refuses it
    status, body, sql = native("wrong", "103000", "k4")
    assert (status, body["code"]) == (401, "unauthenticated") and not any(q.startswith("INSERT") for q in sql)
    # answers decided before the bidder statement look the token up first (ninja: 401 comes first)
    assert native("wrong", "abc", "k5")[:2] == (
        401,
        {"code": "unauthenticated", "message": "请先登录或提供有效的令牌。"},
    )
    assert native(ta, "abc", "k5")[1]["code"] == "invalid_amount"
    assert Auction.objects.get(pk=auction.pk).seq == 3


def test_out_of_range_query_values_are_answered_not_500(client):
    auction, _ = auction_with_bidders(1)
    for q in ["after=99999999999999999999999", "after=-5&limit=-3", "limit=99999999999999999999"]:
        assert client.get(f"/api/v1/auctions/{auction.pk}/bids?{q}").status_code in (200, 422), q
    assert client.get("/api/v1/auctions/99999999999999999999999").status_code in (404, 422)


def test_practice_drills_are_visible_to_their_bidders_and_staff_only(client):
    drill, (a, _b) = auction_with_bidders(2, is_practice=True)
    real, _ = auction_with_bidders(1)
    outsider, staff = UserFactory(), UserFactory(role="reviewer")
    url = f"/api/v1/auctions/{drill.pk}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=auth(outsider)).status_code == 404
    assert client.get(f"{url}/bids", headers=auth(outsider)).status_code == 404
    assert client.get(url, headers=auth(a.user)).json()["my_no"] == a.bidder_no
    assert client.get(url, headers=auth(staff)).status_code == 200
    with clock.frozen(T0):
        listed = {x["id"] for x in client.get("/api/v1/auctions").json()}
        mine = {x["id"] for x in client.get("/api/v1/auctions", headers=auth(a.user)).json()}
    assert real.pk in listed and drill.pk not in listed and {real.pk, drill.pk} <= mine


def test_a_bid_on_an_auction_id_beyond_the_integer_range_is_a_404(client):
    # given a logged-in member (the fuzzer found a 500 here: the id overflowed SQLite's integer)
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    # when
    response = client.post(
        "/api/v1/auctions/612149891122919639089152/bids",
        {"amount": "100.00", "key": "k"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "auction_not_found"


def test_preemption_only_over_the_api(client):
    # given a Dutch lot taken by a bidder without a right while a holder outranks them
    auction, (taker, other, holder) = auction_with_bidders(
        3,
        ranks=(0, 0, 1),
        mode=rules.DUTCH,
        start_price=200000,
        dutch_tick=5000,
        dutch_interval_seconds=30,
        dutch_floor=150000,
    )
    assert post_bid(client, auction, auth(taker.user), "200000.00", when=10).status_code == 201
    # when others bid in the pre-emption window
    r = post_bid(client, auction, auth(other.user), "200000.00", when=11)
    r2 = post_bid(client, auction, auth(holder.user), "195000.00", when=12)
    ok = post_bid(client, auction, auth(holder.user), "200000.00", key="k2", when=13)
    # then
    assert (r.status_code, r.json()["code"]) == (409, "preemption_only")
    assert "优先购买权" in r.json()["message"] and "minimum" not in r.json()
    assert (r2.status_code, r2.json()["code"], r2.json()["minimum"]) == (409, "preemption_only", "200000.00")
    assert ok.status_code == 201
    auction.refresh_from_db()
    assert auction.status == "closed" and auction.winner_id == holder.pk
