"""Whether the platform could take requests: the web processes' heartbeat, and outages.

Every web process (`exchange.server.lifespan`, under uvicorn) writes the heartbeat
row `Heartbeat(process="web")` when it starts — before it accepts a connection — and then
every `WEB_HEARTBEAT_SECONDS` from a thread of its own. A beat that finds the previous one
older than `OUTAGE_AFTER_SECONDS` has found an outage: nobody could reach the platform from
the previous beat (the last sign of life) to now. In the same transaction as that beat (so
exactly one process handles one outage, and before the process that found it serves a
request) it sends `outage_ended(down_from, up_at)`; the apps whose deadlines must not pass
unseen connect to it (bidding: every affected auction's deadline moves, engine.outage_extend).

`web_alive_through()` tells the clock up to when the web was last known alive: an auction
closes only on a deadline the web outlived (bidding.engine.auction_close_due), so a close is
never decided while nobody could bid. No row at all (web liveness not tracked: tests, a
management command on its own) means no restriction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.dispatch import Signal

from exchange.core import clock
from exchange.core.models import Heartbeat
from exchange.core.sqlite_writers import writer_queue

log = logging.getLogger(__name__)

WEB = "web"

# Sent inside the transaction of the beat that found an outage (receivers write in it):
# down_from (the last beat before it), up_at (this beat's time).
outage_ended = Signal()


def heartbeat_seconds() -> float:
    return float(getattr(settings, "WEB_HEARTBEAT_SECONDS", 0.5))


def outage_after() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "OUTAGE_AFTER_SECONDS", 2.0)))


def web_beat(*, detail: str = "") -> tuple[dt.datetime, dt.datetime] | None:
    """Record that a web process is alive now; (down_from, up_at) when the previous beat is
    older than OUTAGE_AFTER_SECONDS (an outage, announced with `outage_ended` in this
    transaction), else None.

    A beat that finds a beat younger than three quarters of the interval (another web
    process beat just now) writes nothing: however many processes serve, the row is written
    about once per interval. On SQLite every write takes the database's one write lock, which
    the bids need; the beat also queues for it like a bid writer (core.sqlite_writers), so a
    bid never waits for it in SQLite's busy handler.

    A beat that writes is one transaction with the heartbeat row locked (`FOR UPDATE` on
    PostgreSQL; SQLite's `BEGIN IMMEDIATE`), so concurrent beats of several processes handle
    one outage once. The gap is measured to the moment this beat *began*: time spent waiting
    for the database's write lock (other writers — bids — were being served) is no outage."""
    started = clock.now()
    last = Heartbeat.objects.filter(process=WEB).values_list("beat_at", flat=True).first()
    if last is not None and dt.timedelta(0) <= started - last < _skip_within():
        return None
    with writer_queue(connection), transaction.atomic():
        now = clock.now()
        qs = Heartbeat.objects.filter(process=WEB)
        if connection.vendor == "postgresql":
            qs = qs.select_for_update()
        row = qs.first()
        if row is None:
            Heartbeat.objects.create(process=WEB, beat_at=now, detail=detail)
            return None
        outage = None
        if started - row.beat_at > outage_after():
            outage = (row.beat_at, now)
            log.warning("liveness: the web was unreachable from %s to %s", row.beat_at, now)
            outage_ended.send(sender=Heartbeat, down_from=row.beat_at, up_at=now)
        if now > row.beat_at:
            Heartbeat.objects.filter(pk=row.pk).update(beat_at=now, detail=detail)
        return outage


def _skip_within() -> dt.timedelta:
    return dt.timedelta(seconds=0.75 * heartbeat_seconds())


def web_alive_through() -> dt.datetime | None:
    """The last time a web process was known alive (its last beat), or None when web
    liveness is not tracked here (no beat was ever written)."""
    return Heartbeat.objects.filter(process=WEB).values_list("beat_at", flat=True).first()


class WebHeartbeat:
    """The beats of one web process: `start()` beats once (call it before serving: an outage
    is handled before the first request) and then every `interval` seconds in a daemon
    thread until `stop()`. A failing beat (the database away) is logged and retried: the
    gap it leaves is an outage, handled by the next beat that succeeds."""

    def __init__(self, interval: float | None = None, detail: str = "") -> None:
        self.interval = heartbeat_seconds() if interval is None else interval
        self.detail = detail
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._beat()
        self._thread = threading.Thread(target=self._run, name="web-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat()
        close_old_connections()

    def _beat(self) -> None:
        try:
            web_beat(detail=self.detail)
        except Exception:  # never let the thread die: the next beat retries
            log.exception("liveness: the web heartbeat failed")
        finally:
            close_old_connections()  # a broken connection is replaced at the next beat
