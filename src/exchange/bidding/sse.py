"""`GET /api/v1/auctions/{id}/events` — Server-Sent Events of one auction (docs/design/decisions.md D4).

Served natively on the event loop of every uvicorn worker (see `exchange.asgi`), not by a
Django view: a watcher costs one idle connection and a few hundred bytes of state, and
thousands of them share one fan-out hub per process.

Protocol (documented in docs/api.md, "Events (SSE)"):
- `id:` is the bid's sequence number; `event: bid` carries `{seq, amount, bidder_no,
  accepted_at, ends_at, …}` — public data only, the same bytes for every watcher;
- on connect the stream first sends `event: state` (the auction as
  `GET /api/v1/auctions/{id}` shows it to this viewer, no `id:`), then replays every bid
  after `Last-Event-ID` (header, or `?last_event_id=` for clients that cannot set
  headers) from the bid ledger, then live events (`bid`, `state`, `closed`) — nothing is
  lost across a reconnect;
- a comment line (`: hb`) every `BIDDING_SSE_HEARTBEAT_SECONDS` (15) keeps proxies and
  mobile networks from dropping the idle connection; `retry: 2000` sets the reconnect delay.

The hub (`Hub`, one per process) receives events from `exchange.bidding.events` (in-process,
a Unix datagram socket, or Redis), serialises each once into an SSE frame and writes it to
every watcher of that auction. With uvicorn's httptools protocol it writes the frame to
the connection's transport directly (no task wake-up per watcher); other servers get the
portable path (a queue per watcher and `await send`). It tracks the last sequence number
per auction: a gap (a lost datagram, a Redis reconnect) is filled from the ledger before
newer events are sent, and a periodic check (`BIDDING_SSE_RESYNC_SECONDS`) catches a
lost last event.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import redis.asyncio as aioredis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from exchange.bidding import events
from exchange.bidding.sse_db import (
    REPLAY_BATCH,
    authenticate,
    bids_after,
    close_db_connections,  # noqa: F401  (sse.close_db_connections: tests, shutdown)
    in_thread,
    latest_seqs,
    open_stream,
)
from exchange.core.errors import DomainError

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

EVENTS_PATH = re.compile(r"^/api/v1/auctions/(\d+)/events/?$")
ALL_EVENTS_PATH = "/api/v1/auctions/events"  # every auction: the supervisor monitor
ALL = 0  # the hub's key for watchers of every auction
MAX_BUFFERED_BYTES = 1024 * 1024  # a watcher this far behind is dropped; it reconnects and replays
HEARTBEAT = b": hb\n\n"


def heartbeat_seconds() -> float:
    return float(getattr(settings, "BIDDING_SSE_HEARTBEAT_SECONDS", 15))


def resync_seconds() -> float:
    return float(getattr(settings, "BIDDING_SSE_RESYNC_SECONDS", 10))


def is_events_path(path: str) -> bool:
    return path.rstrip("/") == ALL_EVENTS_PATH or EVENTS_PATH.match(path) is not None


def frame(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One SSE message: optional `id:`, `event:`, one `data:` line of compact JSON."""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


# --- watchers and the hub -------------------------------------------------------------------
class Watcher:
    """One connected client. `write` is the fast path (a transport), else `queue`."""

    __slots__ = ("auction_id", "closed", "cycle", "last_seq", "live", "pending", "queue")

    def __init__(self, auction_id: int, send: Send, last_seq: int) -> None:
        self.auction_id = auction_id
        cycle = getattr(send, "__self__", None)
        fast = (
            cycle is not None
            and type(cycle).__module__.endswith("httptools_impl")
            and hasattr(cycle, "transport")
            and hasattr(cycle, "chunked_encoding")
        )
        self.cycle = cycle if fast else None
        self.queue: asyncio.Queue[bytes | None] | None = None if fast else asyncio.Queue()
        self.last_seq = last_seq
        self.live = False
        self.pending: list[tuple[int | None, bytes]] = []
        self.closed = asyncio.Event()

    def write(self, data: bytes, chunk: bytes) -> None:
        """Send an SSE frame (`chunk` is the same frame in HTTP chunked framing)."""
        cycle = self.cycle
        if cycle is None:
            assert self.queue is not None
            self.queue.put_nowait(data)
            return
        if cycle.disconnected:
            self.closed.set()
            return
        transport = cycle.transport
        if transport.get_write_buffer_size() > MAX_BUFFERED_BYTES:
            transport.close()  # too slow: it reconnects and replays from its Last-Event-ID
            self.closed.set()
            return
        transport.write(chunk if cycle.chunked_encoding else data)

    def deliver(self, seq: int | None, data: bytes, chunk: bytes) -> None:
        if not self.live:
            self.pending.append((seq, data))
            return
        if seq is not None:
            if seq <= self.last_seq:
                return
            self.last_seq = seq
        self.write(data, chunk)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Hub:
    """The fan-out of one process: auction id → watchers, one transport subscription."""

    def __init__(self) -> None:
        self.watchers: dict[int, set[Watcher]] = {}
        self.last_seq: dict[int, int] = {}
        self.resyncing: set[int] = set()
        self.hidden: set[int] = set()  # sealed auctions before the opening: no bid events
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.sock: socket.socket | None = None
        self.sock_path: str | None = None
        self.received = 0

    # lifecycle
    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        if self.loop is not None:  # a new server in this process (tests): start afresh
            self.stop()
        self.loop = loop
        if settings.REDIS_URL:
            self.tasks.append(self.loop.create_task(self._redis_listener()))
        else:
            self._bind_socket()
        self.tasks.append(self.loop.create_task(self._heartbeat()))
        self.tasks.append(self.loop.create_task(self._resync_loop()))

    def _bind_socket(self) -> None:
        assert self.loop is not None
        directory = events.events_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = str(directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}{events.SOCKET_SUFFIX}")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind(path)
        sock.setblocking(False)
        self.sock, self.sock_path = sock, path
        self.loop.add_reader(sock.fileno(), self._read_socket)
        loop = self.loop

        def sink(raw: bytes) -> None:  # called from the web threads of this process
            loop.call_soon_threadsafe(self.on_raw, raw)

        events.set_local_sink(sink, path)
        atexit.register(_unlink, path)

    def stop(self) -> None:
        for task in self.tasks:
            if not task.done() and self.loop is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(task.cancel)
        self.tasks = []
        if self.sock is not None:
            with contextlib.suppress(Exception):
                if self.loop is not None and not self.loop.is_closed():
                    self.loop.remove_reader(self.sock.fileno())
            self.sock.close()
            _unlink(self.sock_path or "")
            events.set_local_sink(None)
        self.sock = self.sock_path = None
        self.watchers.clear()
        self.last_seq.clear()
        self.resyncing.clear()
        self.hidden.clear()
        self.loop = None

    def _read_socket(self) -> None:
        assert self.sock is not None
        while True:
            try:
                raw = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            self.on_raw(raw)

    async def _redis_listener(self) -> None:
        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(events.channel_name())
                delay = 0.5
                self._resync_all()  # anything published while we were not subscribed
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.on_raw(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: resubscribe, then resync from the ledger
                log.warning("bidding events: Redis subscription lost, retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                await client.aclose()

    async def _heartbeat(self) -> None:
        chunk = _chunk(HEARTBEAT)
        while True:
            await asyncio.sleep(heartbeat_seconds())
            for group in list(self.watchers.values()):
                for w in list(group):
                    if w.live:
                        w.write(HEARTBEAT, chunk)

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(resync_seconds())
            ids = [a for a, group in self.watchers.items() if group and a != ALL]
            if not ids:
                continue
            try:
                latest = await in_thread(latest_seqs, ids)
            except Exception:
                log.warning("bidding events: resync query failed", exc_info=True)
                continue
            for auction_id, seq in latest.items():
                if seq > self.last_seq.get(auction_id, 0):
                    self._start_resync(auction_id)

    def _resync_all(self) -> None:
        for auction_id in list(self.watchers):
            if auction_id != ALL:
                self._start_resync(auction_id)

    # subscriptions
    def add(self, watcher: Watcher) -> None:
        self.watchers.setdefault(watcher.auction_id, set()).add(watcher)

    def remove(self, watcher: Watcher) -> None:
        group = self.watchers.get(watcher.auction_id)
        if group is not None:
            group.discard(watcher)
            if not group:
                del self.watchers[watcher.auction_id]
                self.last_seq.pop(watcher.auction_id, None)

    # delivery
    def on_raw(self, raw: bytes) -> None:
        self.received += 1
        try:
            auction_id, event, data, _sent = events.decode(raw)
        except Exception:
            log.warning("bidding events: undecodable message dropped")
            return
        if event != "bid":
            if data.get("sealed"):
                self.hidden.add(auction_id)
            else:
                self.hidden.discard(auction_id)
        elif auction_id in self.hidden:
            return  # a sealed quote stays hidden until the opening
        if not self.watchers.get(auction_id):
            if self.watchers.get(ALL):
                self._fan_out_all(auction_id, event, data)
            return
        if event == "bid":
            seq = int(data.get("seq", 0))
            last = self.last_seq.get(auction_id, 0)
            if seq <= last:
                return  # already delivered (replay, resync or a duplicate)
            if auction_id in self.resyncing or (last and seq > last + 1):
                self._start_resync(auction_id)  # a gap: fill it from the ledger, in order
                return
            self._fan_out(auction_id, "bid", data, seq)
        else:
            self._fan_out(auction_id, event, data, None)

    def _fan_out(self, auction_id: int, event: str, data: dict[str, Any], seq: int | None) -> None:
        if seq is not None:
            self.last_seq[auction_id] = seq
        payload = frame(event, data, seq)
        chunk = _chunk(payload)
        for w in list(self.watchers.get(auction_id, ())):
            w.deliver(seq, payload, chunk)
        if self.watchers.get(ALL):
            self._fan_out_all(auction_id, event, data)

    def _fan_out_all(self, auction_id: int, event: str, data: dict[str, Any]) -> None:
        payload = frame(event, {**data, "auction_id": auction_id})
        chunk = _chunk(payload)
        for w in list(self.watchers.get(ALL, ())):
            w.deliver(None, payload, chunk)

    def _start_resync(self, auction_id: int) -> None:
        if auction_id in self.resyncing or self.loop is None:
            return
        self.resyncing.add(auction_id)
        self.loop.create_task(self._resync(auction_id))

    async def _resync(self, auction_id: int) -> None:
        try:
            while auction_id in self.watchers:
                after = self.last_seq.get(auction_id, 0)
                rows = await in_thread(bids_after, auction_id, after)
                for row in rows:
                    if int(row["seq"]) > self.last_seq.get(auction_id, 0):
                        self._fan_out(auction_id, "bid", row, int(row["seq"]))
                if len(rows) < REPLAY_BATCH:
                    break
        except Exception:
            log.warning("bidding events: resync of auction %s failed", auction_id, exc_info=True)
        finally:
            self.resyncing.discard(auction_id)

    def learn(self, auction_id: int, state: dict[str, Any]) -> None:
        """What a watcher's snapshot says about the auction (sealed quotes stay hidden)."""
        if state.get("sealed"):
            self.hidden.add(auction_id)
        else:
            self.hidden.discard(auction_id)

    def stats(self) -> dict[str, int]:
        return {"auctions": len(self.watchers), "watchers": sum(len(g) for g in self.watchers.values())}


hub = Hub()


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --- the endpoint ---------------------------------------------------------------------------
def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        name = k.decode("latin-1").lower()
        value = v.decode("latin-1")
        out[name] = f"{out[name]}; {value}" if name == "cookie" and name in out else value
    return out


def _last_event_id(scope: Scope, headers: dict[str, str]) -> int:
    raw = headers.get("last-event-id", "")
    if not raw:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("last_event_id") or query.get("lastEventId") or [""])[0]
    try:
        return max(0, int(raw.strip()))
    except ValueError:
        return 0


async def _json_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"code": code, "message": message}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _public_state(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in {"bidders", "log"}}


async def events_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI handler of `GET /api/v1/auctions/{id}/events`."""

    if scope["method"] not in ("GET", "HEAD"):
        await _json_error(send, 405, "method_not_allowed", "不支持该请求方法。")
        return
    if scope["path"].rstrip("/") == ALL_EVENTS_PATH:
        await _all_events(scope, receive, send)
        return
    match = EVENTS_PATH.match(scope["path"])
    assert match is not None
    auction_id = int(match.group(1))
    headers = _headers(scope)
    after = _last_event_id(scope, headers)
    hub.ensure_started()

    watcher = Watcher(auction_id, send, after)
    hub.add(watcher)  # before the first query: nothing published meanwhile can be missed
    try:
        try:
            viewer, state = await in_thread(open_stream, auction_id, headers)
        except DomainError as exc:
            with translation.override(settings.LANGUAGE_CODE):
                body = exc.as_dict()
            await _json_error(send, exc.status, str(body.get("code")), str(body.get("message")))
            return
        hub.learn(auction_id, state)
        await send({"type": "http.response.start", "status": 200, "headers": _STREAM_HEADERS})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        # 1. the state as this viewer sees it (their own number included), then 2. every bid
        # after Last-Event-ID from the ledger (bids newer than the snapshot included), then
        # 3. whatever the hub received meanwhile, then live
        first = [b"retry: 2000\n\n", frame("state", _public_state(state))]
        last = after
        while True:
            rows = await in_thread(bids_after, auction_id, last, viewer)
            for row in rows:
                seq = int(row["seq"])
                if seq > last:
                    first.append(frame("bid", row, seq))
                    last = seq
            await send({"type": "http.response.body", "body": b"".join(first), "more_body": True})
            first = []
            if len(rows) < REPLAY_BATCH:
                break
        for pending_seq, data in watcher.pending:
            if pending_seq is not None:
                if pending_seq <= last:
                    continue
                last = pending_seq
            first.append(data)
        watcher.pending.clear()
        watcher.last_seq = last
        if first:
            await send({"type": "http.response.body", "body": b"".join(first), "more_body": True})
        watcher.live = True
        if watcher.queue is not None:
            await _pump(watcher, receive, send)
        else:
            await _wait_disconnect(watcher, receive)
    finally:
        hub.remove(watcher)


_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    (b"x-accel-buffering", b"no"),
]


def _may_monitor(headers: dict[str, str]) -> int:
    """200 for a user who may watch every auction (view_auction), else 401/403."""
    user = authenticate(headers)
    if not user.is_authenticated:
        return 401
    return 200 if user.is_active and user.has_perm("bidding.view_auction") else 403


async def _all_events(scope: Scope, receive: Receive, send: Send) -> None:
    """`GET /api/v1/auctions/events`: live events of every auction (`auction_id` added to
    each payload), no replay — the monitor page renders the current state itself."""
    hub.ensure_started()
    status = await in_thread(_may_monitor, _headers(scope))
    if status == 401:
        await _json_error(send, 401, "unauthenticated", "请先登录或提供有效的令牌。")
        return
    if status != 200:
        await _json_error(send, 403, "permission_denied", "没有权限执行此操作。")
        return
    watcher = Watcher(ALL, send, 0)
    hub.add(watcher)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": _STREAM_HEADERS})
        await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
        watcher.live = True
        if watcher.queue is not None:
            await _pump(watcher, receive, send)
        else:
            await _wait_disconnect(watcher, receive)
    finally:
        hub.remove(watcher)


async def _wait_disconnect(watcher: Watcher, receive: Receive) -> None:
    closed = asyncio.ensure_future(watcher.closed.wait())
    try:
        while True:
            recv = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait({recv, closed}, return_when=asyncio.FIRST_COMPLETED)
            if closed in done:
                recv.cancel()
                return
            if recv.result()["type"] == "http.disconnect":
                return
    finally:
        closed.cancel()


async def _pump(watcher: Watcher, receive: Receive, send: Send) -> None:
    """Portable path: a queue per watcher, drained with `await send`."""
    assert watcher.queue is not None
    queue = watcher.queue

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        queue.put_nowait(None)

    watch = asyncio.ensure_future(disconnected())
    try:
        while True:
            data = await queue.get()
            if data is None:
                return
            await send({"type": "http.response.body", "body": data, "more_body": True})
    finally:
        watch.cancel()
