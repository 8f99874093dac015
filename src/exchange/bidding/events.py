"""Publish/subscribe of live auction events (docs/design/decisions.md D4): bid, state, closed.

`publish(auction_id, event, data)` is called by the engine through `transaction.on_commit`
after an accepted bid ("bid"), a state change ("state") and the close ("closed"). It never
blocks and never raises: the bid ledger in the database is the source of truth, and a
watcher that misses a notification gets the bids back from the ledger (gap detection in
the hub, `Last-Event-ID` replay on reconnect). `data` must be public: no identities.

Transports, chosen by the settings:

- `REDIS_URL` set → Redis pub/sub on one channel (`BIDDING_EVENTS_CHANNEL`), so that every
  events server of every node receives every event (N stateless app nodes behind a proxy).
- otherwise (the embedded single-node default) → **Unix datagram sockets**: every server
  process that serves the events stream binds one socket in `BIDDING_EVENTS_DIR`
  (`var/run/bidding-events-<database tag>/`); `publish` sends one datagram to each of them. The
  publisher may be a web worker, the clock (closing) or a management command, and the
  watcher may be connected to another worker process: the socket directory is the
  rendezvous. A process that also runs a hub gets its own events in-process, without a
  socket. Measured cost: see docs/bidding_live.md.

Wire format (both transports): UTF-8 JSON `{"a": auction_id, "e": event, "d": data,
"t": unix time of publish}`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

log = logging.getLogger(__name__)

EVENTS = ("bid", "state", "closed")
SOCKET_SUFFIX = ".sock"


def events_dir() -> Path:
    """Where the events servers of this deployment bind their sockets: one directory per
    database, so that two deployments (or a benchmark) on one machine never cross-talk."""
    configured = getattr(settings, "BIDDING_EVENTS_DIR", "") or os.environ.get("BIDDING_EVENTS_DIR", "")
    if configured:
        return Path(configured)
    db = settings.DATABASES["default"]
    tag = hashlib.sha1(f"{db.get('HOST', '')}:{db.get('PORT', '')}/{db['NAME']}".encode()).hexdigest()[:10]
    return Path(settings.BASE_DIR) / "var" / "run" / f"bidding-events-{tag}"


def channel_name() -> str:
    return str(getattr(settings, "BIDDING_EVENTS_CHANNEL", "bidding:events"))


def encode(auction_id: int, event: str, data: dict[str, Any]) -> bytes:
    """The wire format of one event."""
    message = {"a": int(auction_id), "e": event, "d": data, "t": time.time()}
    return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> tuple[int, str, dict[str, Any], float]:
    message = json.loads(raw)
    return int(message["a"]), str(message["e"]), dict(message["d"]), float(message.get("t", 0.0))


# --- the in-process hook (set by the events server of this process) ------------------------
_local_sink: Callable[[bytes], None] | None = None
_local_socket_path: str | None = None


def set_local_sink(sink: Callable[[bytes], None] | None, socket_path: str | None = None) -> None:
    """Register the hub of this process: events published here reach it without a socket."""
    global _local_sink, _local_socket_path
    _local_sink = sink
    _local_socket_path = socket_path


# --- transports ------------------------------------------------------------------------------
class _UnixDatagramPublisher:
    """Sends each event to every socket in the events directory (listing cached 1 s)."""

    LISTING_TTL = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._targets: list[str] = []
        self._listed_at = 0.0

    def _socket(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self._sock = sock
        return self._sock

    def _list(self) -> list[str]:
        now = time.monotonic()
        if now - self._listed_at > self.LISTING_TTL:
            try:
                names = os.listdir(events_dir())
            except FileNotFoundError:
                names = []
            base = str(events_dir())
            self._targets = [os.path.join(base, n) for n in names if n.endswith(SOCKET_SUFFIX)]
            self._listed_at = now
        return self._targets

    def publish(self, raw: bytes) -> None:
        with self._lock:
            targets = self._list()
            if not targets:
                return
            sock = self._socket()
            for path in targets:
                if path == _local_socket_path:
                    continue
                try:
                    sock.sendto(raw, path)
                except (ConnectionRefusedError, FileNotFoundError):
                    _remove_stale(path)
                    self._listed_at = 0.0
                except OSError as exc:  # full receive buffer: the hub backfills from the ledger
                    if exc.errno not in (errno.EAGAIN, errno.ENOBUFS):
                        log.warning("bidding event to %s not sent: %s", path, exc)


class _RedisPublisher:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def publish(self, raw: bytes) -> None:
        self._client.publish(channel_name(), raw)


def _remove_stale(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


_publisher: _UnixDatagramPublisher | _RedisPublisher | None = None
_publisher_key: str | None = None
_publisher_lock = threading.Lock()


def _get_publisher() -> _UnixDatagramPublisher | _RedisPublisher:
    global _publisher, _publisher_key
    key = settings.REDIS_URL or f"unix:{events_dir()}"
    if _publisher is None or _publisher_key != key:
        with _publisher_lock:
            if _publisher is None or _publisher_key != key:
                _publisher = _RedisPublisher(settings.REDIS_URL) if settings.REDIS_URL else _UnixDatagramPublisher()
                _publisher_key = key
    return _publisher


def publish(auction_id: int, event: str, data: dict[str, Any]) -> None:
    """Announce an event of an auction to every watcher on every events server.

    Call it after commit (`transaction.on_commit(lambda: events.publish(...))`). `event` is
    "bid" (data: seq, amount, bidder_no, accepted_at, ends_at, …), "state" or "closed".
    Never raises: a lost notification is recovered from the ledger.
    """
    try:
        raw = encode(auction_id, event, data)
    except (TypeError, ValueError):
        log.exception("bidding event of auction %s not serialisable", auction_id)
        return
    sink = None if settings.REDIS_URL else _local_sink  # Redis echoes to this process too
    if sink is not None:
        try:
            sink(raw)
        except Exception:  # the hub's problem must never fail a bid
            log.exception("local bidding event delivery failed")
    try:
        _get_publisher().publish(raw)
    except Exception:  # Redis down etc.: watchers recover from the ledger
        log.warning("bidding event of auction %s not published", auction_id, exc_info=True)
