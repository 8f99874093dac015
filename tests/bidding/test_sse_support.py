"""A real uvicorn server of `exchange.asgi.application` in a thread of the test process (it
shares the test database), an SSE reader, and drill helpers — for the SSE and browser tests."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from exchange.bidding import engine, rules, services
from exchange.bidding.models import AuctionBidder
from exchange.core import clock


class ThreadServer:
    """uvicorn (the httptools protocol with one write per response, as in production) on a free
    loopback port, in a thread."""

    def __init__(self, *, static: bool = False, native_bids: bool = True, wsgi_app: Any = None) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import StaticFilesHandler

        from exchange.asgi import build, django_wsgi

        # a bridge of its own (its threads' connections are closed at the end); static files
        # from the finders when asked, as the live_server fixture serves them
        wsgi = wsgi_app or django_wsgi
        application = build(StaticFilesHandler(wsgi) if static else wsgi, native_bids=native_bids)  # type: ignore[arg-type]
        self.application = application
        self.bridge = application.bridge  # type: ignore[attr-defined]

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            loop="asyncio",
            http="exchange.server.http_protocol:HttpProtocol",  # as the Procfile
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        from exchange.bidding import sse
        from exchange.core.thread_connections import close_thread_connections

        self.server.should_exit = True
        self.thread.join(timeout=10)
        sse.hub.stop()
        close_thread_connections(self.bridge.executor, self.bridge.threads)
        sse.close_db_connections()


@dataclass
class Event:
    event: str
    data: dict[str, Any]
    id: int | None = None
    raw: str = ""


@dataclass
class Stream:
    """An open SSE response read line by line (`next_event`, with a timeout)."""

    response: httpx.Response
    lines: Iterator[str]
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def next_event(self) -> Event:
        kind, data, event_id, raw = "message", "", None, []
        for line in self.lines:
            self.text.append(line)
            if line == "":
                if data:
                    return Event(kind, json.loads(data), event_id, "\n".join(raw))
                continue
            raw.append(line)
            if line.startswith(":"):
                self.comments.append(line)
            elif line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
        raise EOFError("stream ended")

    def events(self, n: int) -> list[Event]:
        return [self.next_event() for _ in range(n)]

    def until_bid(self, seq: int) -> list[Event]:
        out = []
        while True:
            e = self.next_event()
            out.append(e)
            if e.event == "bid" and e.id == seq:
                return out


class Watch:
    """`with Watch(url, last_event_id=3) as stream:` — an SSE connection."""

    def __init__(self, url: str, *, last_event_id: int | None = None, query: bool = False, **headers: str) -> None:
        self.url = url
        self.headers = {"Accept": "text/event-stream", **headers}
        if last_event_id is not None:
            if query:
                self.url += f"?last_event_id={last_event_id}"
            else:
                self.headers["Last-Event-ID"] = str(last_event_id)
        self.client = httpx.Client(timeout=httpx.Timeout(10.0))

    def __enter__(self) -> Stream:
        self.cm = self.client.stream("GET", self.url, headers=self.headers)
        response = self.cm.__enter__()
        return Stream(response, response.iter_lines())

    def __exit__(self, *exc: object) -> None:
        self.cm.__exit__(None, None, None)
        self.client.close()


def running_drill(
    bidders: int = 2, *, mode: str = rules.ENGLISH, minutes: int = 30, practice: bool = False, **spec: Any
) -> tuple[int, list[AuctionBidder]]:
    """A running auction with its bidders (users attached): a real auction (public, like
    the hall shows it) by default, a practice drill (invited bidders and staff only) on request."""
    from tests.factories import UserFactory

    spec.setdefault("start_price", Decimal("100000.00"))
    spec.setdefault("increment", Decimal("1000.00"))
    full = services.AuctionSpec(
        title="SSE 测试标的", mode=mode, starts_at=clock.now(), duration=dt.timedelta(minutes=minutes), **spec
    )
    if practice:
        auction_id = services.drill_create(spec=full, bidders=bidders, actor=None)["auction_id"]
    else:
        auction_id = services.auction_create(spec=full, actor=None).pk
        services.bidders_admit(
            auction_id=auction_id,
            users=[UserFactory() for _ in range(bidders)],
            kind=AuctionBidder.Kind.DEPOSIT,
            actor=None,
        )
    engine.auction_open(auction_id=auction_id)
    people = list(AuctionBidder.objects.filter(auction_id=auction_id).select_related("user").order_by("bidder_no"))
    return auction_id, people


def bid_war(auction_id: int, people: list[AuctionBidder], n: int, start: Decimal, step: Decimal) -> list[int]:
    """n alternating bids start, start+step, …; returns their sequence numbers."""
    seqs = []
    for i in range(n):
        who = people[i % len(people)]
        bid = engine.bid_place(auction_id=auction_id, user=who.user, amount=start + step * i, key=f"k{time.time_ns()}")
        seqs.append(bid.seq)
    return seqs


@contextmanager
def clock_thread() -> Iterator[None]:
    """Stands in for the clock process in browser tests: closes due auctions every 0.25 s.
    The test database may be SQLite's shared in-memory one, whose table locks are not
    retried by busy_timeout: a tick that meets a writer just tries again at the next tick."""
    from django.db import OperationalError, close_old_connections

    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.25):
            try:
                engine.auction_close_due(now=clock.now())
            except OperationalError:
                pass
            finally:
                close_old_connections()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join(timeout=5)
