"""The live event stream GET /api/v1/auctions/{id}/events against a real uvicorn server:
replay from Last-Event-ID (header and query), then live; reconnect without loss; gaps filled
from the ledger; no identities in any payload; the monitor stream is for supervisors only."""

from __future__ import annotations

import socket
from decimal import Decimal

import httpx
import pytest

from exchange.bidding import engine, events, rules, sse
from exchange.bidding.models import Auction
from tests.bidding.test_sse_support import ThreadServer, Watch, bid_war, running_drill
from tests.factories import UserFactory

pytestmark = pytest.mark.xdist_group("bidding-sse")

START = Decimal("100000.00")
STEP = Decimal("1000.00")


@pytest.fixture
def server(django_db_serialized_rollback, transactional_db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    with ThreadServer() as s:
        yield s
    sse.hub.stop()


def events_url(server: ThreadServer, auction_id: int) -> str:
    return f"{server.url}/api/v1/auctions/{auction_id}/events"


def test_replay_from_last_event_id_then_live(server):
    # given an auction with five bids
    auction_id, people = running_drill(2)
    bid_war(auction_id, people, 5, START, STEP)
    # when a client reconnects having seen bid 2
    with Watch(events_url(server, auction_id), last_event_id=2) as stream:
        assert stream.response.status_code == 200
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        state = stream.next_event()
        replay = stream.events(3)
        # then: the state, bids 3..5 from the ledger in order with id = seq …
        assert state.event == "state" and state.id is None
        assert state.data["bid_count"] == 5
        assert [(e.event, e.id) for e in replay] == [("bid", 3), ("bid", 4), ("bid", 5)]
        assert [e.data["amount"] for e in replay] == ["102000.00", "103000.00", "104000.00"]
        # … and then bid 6 live
        bid_war(auction_id, people[1:], 1, START + 5 * STEP, STEP)
        live = stream.next_event()
        assert (live.event, live.id, live.data["amount"], live.data["bidder_no"]) == (
            "bid",
            6,
            "105000.00",
            people[1].bidder_no,
        )


def test_replay_from_query_parameter_for_clients_without_headers(server):
    auction_id, people = running_drill(2)
    bid_war(auction_id, people, 4, START, STEP)
    with Watch(events_url(server, auction_id), last_event_id=3, query=True) as stream:
        state, bid = stream.events(2)
        assert state.event == "state"
        assert (bid.event, bid.id) == ("bid", 4)


def test_a_new_watcher_gets_the_whole_history(server):
    auction_id, people = running_drill(2)
    bid_war(auction_id, people, 3, START, STEP)
    with Watch(events_url(server, auction_id)) as stream:
        got = stream.events(4)
    assert [e.id for e in got] == [None, 1, 2, 3]


def test_reconnect_loses_nothing(server):
    # given a watcher that saw bids 1..2 and dropped
    auction_id, people = running_drill(3)
    bid_war(auction_id, people, 2, START, STEP)
    with Watch(events_url(server, auction_id)) as stream:
        seen = [e.id for e in stream.until_bid(2) if e.event == "bid"]
    # when bids 3..7 happen while it is away and it reconnects with Last-Event-ID
    bid_war(auction_id, people, 5, START + 2 * STEP, STEP)
    with Watch(events_url(server, auction_id), last_event_id=seen[-1]) as stream:
        seen += [e.id for e in stream.until_bid(7) if e.event == "bid"]
        bid_war(auction_id, people[:1], 1, START + 7 * STEP, STEP)
        seen += [e.id for e in stream.until_bid(8) if e.event == "bid"]
    # then it has every bid exactly once, in order
    assert seen == list(range(1, 9))


def test_a_lost_notification_is_filled_from_the_ledger(server, monkeypatch):
    # given a live watcher
    auction_id, people = running_drill(2)
    with Watch(events_url(server, auction_id)) as stream:
        assert stream.next_event().event == "state"
        bid_war(auction_id, people, 1, START, STEP)
        assert stream.next_event().id == 1
        # when the notification of bid 2 is lost (transport failure) …
        with monkeypatch.context() as m:
            m.setattr(events, "publish", lambda *a, **k: None)
            bid_war(auction_id, people[1:], 1, START + STEP, STEP)
        # … and bid 3 is announced
        bid_war(auction_id, people[:1], 1, START + 2 * STEP, STEP)
        # then the watcher still gets 2 before 3
        assert [stream.next_event().id for _ in range(2)] == [2, 3]


def test_state_events_and_close_reach_watchers(server):
    auction_id, _people = running_drill(2)
    staff = UserFactory(role="supervisor")
    with Watch(events_url(server, auction_id)) as stream:
        assert stream.next_event().event == "state"
        engine.auction_pause(auction_id=auction_id, actor=staff, reason="网络故障排查")
        paused = stream.next_event()
        assert (paused.event, paused.data["status"]) == ("state", rules.PAUSED)
        engine.auction_resume(auction_id=auction_id, actor=staff, reason="已恢复")
        assert stream.next_event().data["status"] == rules.RUNNING


def test_no_identities_in_any_payload(server):
    # given bidders with names, phones and e-mails
    auction_id, people = running_drill(2)
    for i, p in enumerate(people):
        p.user.name = f"张三{i}"
        p.user.save()
    bid_war(auction_id, people, 3, START, STEP)
    with Watch(events_url(server, auction_id), Cookie="") as stream:
        got = stream.events(4)
        bid_war(auction_id, people[1:], 1, START + 3 * STEP, STEP)
        got.append(stream.next_event())
    text = "\n".join(stream.text)
    for p in people:
        for secret in (p.user.phone, p.user.name, p.user.email, p.user.member_no):
            if secret:
                assert secret not in text
    bid_keys = {"seq", "amount", "bidder_no", "accepted_at", "ends_at"}
    assert all(set(e.data) <= bid_keys for e in got if e.event == "bid")
    assert not any(k in got[0].data for k in ("user", "user_id", "leader_id", "leader_max", "reserve_price"))


def test_bidder_sees_own_number_in_the_first_state(server, client):
    auction_id, people = running_drill(2)
    me = people[0]
    client.force_login(me.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with Watch(events_url(server, auction_id), Cookie=cookie) as stream:
        state = stream.next_event()
    assert state.data["my_no"] == me.bidder_no


def test_heartbeat_comment(server, settings):
    settings.BIDDING_SSE_HEARTBEAT_SECONDS = 0.2
    sse.hub.stop()  # the heartbeat task reads the interval when it starts
    auction_id, _people = running_drill(1)
    with Watch(events_url(server, auction_id)) as stream:
        stream.next_event()
        comment = next(line for line in stream.lines if line.startswith(":"))
    assert comment == ": hb"


def test_a_practice_drill_streams_only_to_its_bidders(server, client):
    auction_id, people = running_drill(2, practice=True)
    assert httpx.get(events_url(server, auction_id), timeout=5).status_code == 404
    client.force_login(people[1].user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with Watch(events_url(server, auction_id), Cookie=cookie) as stream:
        assert stream.response.status_code == 200
        assert stream.next_event().data["my_no"] == people[1].bidder_no


def test_unknown_auction_is_a_json_404(server):
    r = httpx.get(events_url(server, 999999), timeout=5)
    assert r.status_code == 404
    assert r.json()["code"] == "auction_not_found"


def test_monitor_stream_is_for_supervisors(server, client):
    url = f"{server.url}/api/v1/auctions/events"
    assert httpx.get(url, timeout=5).status_code == 401
    member = UserFactory()
    client.force_login(member)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    assert httpx.get(url, headers={"Cookie": cookie}, timeout=5).status_code == 403
    # a supervisor sees every auction's bids with the auction id
    auction_id, people = running_drill(2)
    client.force_login(UserFactory(role="supervisor"))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with Watch(url, Cookie=cookie) as stream:
        bid_war(auction_id, people, 1, START, STEP)
        e = stream.next_event()
    assert (e.event, e.data["auction_id"], e.data["seq"]) == ("bid", auction_id, 1)


def test_datagram_transport_reaches_another_process_socket(settings, tmp_path):
    """The embedded cross-process path: publish() sends one datagram to every socket in
    the events directory (here: a socket standing for another server process)."""
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / f"other{events.SOCKET_SUFFIX}"))
    sock.settimeout(2)
    events._publisher = None  # the listing is cached for a second
    events.publish(7, "bid", {"seq": 1, "amount": "1.00", "bidder_no": "0001"})
    auction_id, event, data, sent = events.decode(sock.recv(65536))
    assert (auction_id, event, data["seq"]) == (7, "bid", 1) and sent > 0
    sock.close()


def test_publish_never_raises_without_listeners(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "nobody")
    events._publisher = None
    events.publish(1, "bid", {"seq": 1})
    (tmp_path / "nobody").mkdir()
    (tmp_path / "nobody" / f"dead{events.SOCKET_SUFFIX}").write_text("")  # a stale file
    events._publisher = None
    events.publish(1, "bid", {"seq": 2})
    assert not (tmp_path / "nobody" / f"dead{events.SOCKET_SUFFIX}").exists()


def test_sealed_quotes_are_not_streamed_before_the_opening(server):
    auction_id, people = running_drill(2, mode=rules.SEALED)
    with Watch(events_url(server, auction_id)) as stream:
        state = stream.next_event()
        assert state.data.get("sealed") is True
        engine.bid_place(auction_id=auction_id, user=people[0].user, amount=START, key="s1")
        Auction.objects.filter(pk=auction_id).update()  # nothing else to wait for
        engine.auction_pause(auction_id=auction_id, actor=UserFactory(role="supervisor"), reason="检查")
        nxt = stream.next_event()
    assert nxt.event == "state"  # the quote itself never appeared


def test_wsgi_bridge_answers_small_whole_and_streams_large():
    """exchange.asgi's bridge: one message for a page, chunked streaming for a download."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from exchange.server.bridge import STREAM_AFTER, WsgiBridge

    closed = []

    class Body:
        def __init__(self, n: int) -> None:
            self.n = n

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter([b"x" * 65536] * self.n)

        def close(self) -> None:
            closed.append(self.n)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        n = int(environ["QUERY_STRING"] or 1)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Body(n)

    async def call(query: bytes) -> list[dict]:
        sent: list[dict] = []
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():  # type: ignore[no-untyped-def]
            return messages.pop(0)

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/x", "query_string": query, "headers": []}
        await WsgiBridge(app, threads=2)(scope, receive, send)
        return sent

    def run(coro):  # type: ignore[no-untyped-def]  # a loop of its own, whatever runs in this thread
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    small = run(call(b"1"))
    assert [m["type"] for m in small] == ["http.response.start", "http.response.body"]
    assert len(small[1]["body"]) == 65536 and not small[1].get("more_body")
    n = STREAM_AFTER // 65536 * 3
    large = run(call(str(n).encode()))
    assert sum(len(m.get("body", b"")) for m in large[1:]) == n * 65536
    assert len(large) > 3 and large[-1] == {"type": "http.response.body", "body": b""}
    assert closed == [1, n]
