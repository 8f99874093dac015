"""The one server process type of the site: uvicorn workers running this ASGI app.

Why not Django's own ASGI handler: on this 2-core box Django under ASGI served ≈0.5k
SQLite bid requests/s against ≈1.6k under WSGI workers (ARCHITECTURE.md D4), because every
sync view and middleware hops threads through `sync_to_async`. Why not gunicorn alone:
Server-Sent Events hold thousands of idle connections, which sync workers cannot.

So `application` dispatches on the path, once per request:
- `GET /api/v1/auctions/<id>/events` → `exchange.bidding.sse.events_app`, a native
  asyncio handler (fan-out hub, thousands of connections per process);
- `POST /api/v1/auctions/<id>/bids` with a bearer token → `NativeBids`: the hot path of a
  hot auction, answered without Django's middleware and URL resolving (the same token
  lookup and engine call as the ninja endpoint, the same answer to the byte; anything
  unusual goes to Django);
- everything else → Django's plain **WSGI** handler, run in a small thread pool
  (`WSGI_THREADS`, default 4) — one thread hop per request instead of one per
  middleware, with uvicorn's C HTTP parser (httptools) in front.

Measured figures and the comparison with gunicorn + a separate events server are in
docs/bidding_live.md ("Serving topology").
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import gc
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import IO, Any

from django.core.wsgi import get_wsgi_application

from exchange.core import request_limits

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

STREAM_AFTER = 256 * 1024  # answers larger than this are streamed, not buffered
Body = bytes | IO[bytes]  # a request body: in memory, or (uploads) spooled to a temporary file


class WsgiBridge:
    """Run a WSGI application for ASGI HTTP requests in a thread pool.

    The request body is read fully before the app runs, within the limits of
    exchange.core.request_limits (decided from the request line and headers before reading:
    REQUEST_MAX_BODY_BYTES for any request, more only on the upload routes and only for a
    logged-in user or a valid token; a deadline for slow bodies). Bodies up to
    REQUEST_MAX_BODY_BYTES are held in memory, larger ones spooled to a temporary file. The
    app runs in a worker thread, which returns a small answer whole (one thread hop per
    request); an answer larger than STREAM_AFTER is streamed chunk by chunk, so large
    downloads are not held in memory.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self.wsgi_app = wsgi_app
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.deadlines = BodyDeadlines()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets are not served
            return
        body = await self.read_body(scope, receive, send)
        if body is not None:
            try:
                await self.serve(scope, body, send)
            finally:
                if not isinstance(body, bytes):
                    body.close()

    async def read_body(self, scope: Scope, receive: Receive, send: Send) -> Body | None:
        """The request body within its limits (exchange.core.request_limits), or None when the
        client left or the request was refused (413 too large, 408 too slow: answered here,
        the connection closed, the rest of the body never read)."""
        small = request_limits.small_limit()
        length = _content_length(scope)
        limit = small
        if length is None or length > small:
            upload = request_limits.upload_limit(scope["method"], scope["path"])
            if upload is not None:
                if length is not None and length > upload:
                    limit = upload  # refused below, whoever asks
                else:
                    loop = asyncio.get_running_loop()
                    if await loop.run_in_executor(self.executor, request_limits.authenticated, scope["headers"]):
                        limit = upload
        if length is not None and length > limit:
            await self.refuse(413, scope, send, limit, receive if length else None)
            return None
        timeout = request_limits.deadline_seconds(length if length is not None else limit)
        body = await read_body(receive, limit, self.deadlines, timeout, spool_over=small if limit > small else None)
        if isinstance(body, _Refused):
            await self.refuse(body.status, scope, send, limit, receive if body is TOO_LARGE else None)
            return None
        return body

    async def refuse(self, status: int, scope: Scope, send: Send, limit: int, drain: Receive | None = None) -> None:
        """A 413/408 answer (JSON under /api/, a page elsewhere) that closes the connection.

        With `drain`, the answer leaves first and then up to DRAIN_BYTES of the body still
        coming are read and dropped (for at most DRAIN_SECONDS) before the connection closes:
        closing on unread data makes the kernel send a reset, which can destroy the answer
        before a client (or nginx, still sending the body) has read it."""
        loop = asyncio.get_running_loop()
        headers, content = await loop.run_in_executor(
            self.executor, request_limits.refusal, status, scope["path"], scope["headers"], limit
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content, "more_body": drain is not None})
        if drain is not None:
            await _drain(drain)
            await send({"type": "http.response.body", "body": b""})

    async def serve(self, scope: Scope, body: Body, send: Send) -> None:
        """Answer an HTTP request whose body has been read."""
        environ = _environ(scope, body)
        loop = asyncio.get_running_loop()
        # phase 1, in a thread: run the app and buffer the answer; a small one (nearly every
        # page and API answer) comes back whole, in one hop
        start, body, rest = await loop.run_in_executor(self.executor, self._run, environ)
        if rest is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        # phase 2, a large answer (a download): stream the rest, pulling chunks in a thread
        try:
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": True})
            while (chunk := await loop.run_in_executor(self.executor, next, rest, None)) is not None:
                if chunk:
                    await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            close = getattr(rest, "close", None)
            if close is not None:
                await loop.run_in_executor(self.executor, close)

    def _run(self, environ: dict[str, Any]) -> tuple[dict[str, Any], bytes, Any]:
        """(start message, body, None) — or, past STREAM_AFTER bytes, (start, the first
        bytes, the response iterator to continue with)."""
        state: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            state["start"] = {
                "type": "http.response.start",
                "status": int(status.split(" ", 1)[0]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
            return lambda data: None  # the legacy write() callable is not used by Django

        try:
            result = self.wsgi_app(environ, start_response)
        except Exception:  # Django turns view errors into 500 pages; this is the last resort
            logging.getLogger("django.request").exception("WSGI application failed")
            return _plain_start(500), b"Internal Server Error", None
        iterator = iter(result)
        parts: list[bytes] = []
        size = 0
        finished = False
        try:
            for chunk in iterator:
                parts.append(bytes(chunk))
                size += len(chunk)
                if size > STREAM_AFTER:
                    break
            else:
                finished = True
        finally:
            if finished:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        body = b"".join(parts)
        if finished:
            return state["start"], body, None
        return state["start"], body, _Rest(iterator, result)


class _Rest:
    """The unread part of a large WSGI response (closed through the original iterable)."""

    def __init__(self, iterator: Any, result: Any) -> None:
        self.iterator, self.result = iterator, result

    def __next__(self) -> bytes:
        return next(self.iterator)

    def __iter__(self) -> _Rest:
        return self

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


class _Refused:
    def __init__(self, status: int) -> None:
        self.status = status


TOO_LARGE, TOO_SLOW = _Refused(413), _Refused(408)


class BodyDeadlines:
    """The deadlines of the request bodies being read, enforced by one periodic check per
    bridge (every REAP_EVERY seconds, running only while bodies are being read) that cancels
    the reading tasks whose time is up. A timer per request would cost ≈15 µs under uvloop
    (asyncio.timeout: a call_at and its cancel) — on the bid path, more than the rest of
    reading the body; an entry in a dict costs a fraction of a microsecond."""

    REAP_EVERY = 0.5

    def __init__(self) -> None:
        self.reading: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        self.reaper: asyncio.Task[None] | None = None

    def enter(self, timeout: float) -> asyncio.Task[Any]:
        task = asyncio.current_task()
        assert task is not None
        self.reading[task] = time.monotonic() + timeout
        if self.reaper is None:
            self.reaper = asyncio.get_running_loop().create_task(self._reap())
        return task

    def leave(self, task: asyncio.Task[Any]) -> None:
        self.reading.pop(task, None)

    def timed_out(self, task: asyncio.Task[Any]) -> bool:
        """Whether this task's cancellation was its deadline (then undone: the task goes on)."""
        if task in self.expired:
            self.expired.discard(task)
            task.uncancel()
            return True
        return False

    async def _reap(self) -> None:
        try:
            while self.reading:
                await asyncio.sleep(self.REAP_EVERY)
                now = time.monotonic()
                for task, deadline in list(self.reading.items()):
                    if deadline <= now:
                        del self.reading[task]
                        self.expired.add(task)
                        task.cancel()
        finally:
            self.reaper = None


async def read_body(
    receive: Receive, limit: int, deadlines: BodyDeadlines, timeout: float, spool_over: int | None = None
) -> Body | _Refused | None:
    """The whole request body — in memory, or past `spool_over` bytes in a temporary file —
    TOO_LARGE past `limit` bytes, TOO_SLOW when it has not arrived within `timeout` seconds,
    None when the client left."""
    chunks: list[bytes] = []
    size = 0
    spooled: IO[bytes] | None = None
    complete = False
    task = deadlines.enter(timeout)
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return TOO_LARGE
            if spooled is not None:
                spooled.write(body)
            elif spool_over is not None and size > spool_over:
                spooled = _spool(spool_over)
                spooled.writelines(chunks)
                spooled.write(body)
                chunks = []
            else:
                chunks.append(body)
            if not message.get("more_body", False):
                complete = True
                break
    except asyncio.CancelledError:
        if deadlines.timed_out(task):
            return TOO_SLOW
        raise
    finally:
        deadlines.leave(task)
        if spooled is not None and not complete:
            spooled.close()
    if spooled is not None:
        spooled.seek(0)
        return spooled
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# what is read and dropped of a refused body: enough for nginx (which sends the whole body,
# up to its client_max_body_size, before it reads the answer) on a local link, bounded in time
DRAIN_BYTES = 256 * 1024 * 1024
DRAIN_SECONDS = 3.0


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of a refused request's body (bounded in bytes and time)."""
    size = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while size <= DRAIN_BYTES:
                message = await receive()
                if message["type"] == "http.disconnect" or not message.get("more_body", False):
                    return
                size += len(message.get("body", b""))


def _spool(memory: int) -> IO[bytes]:
    """A temporary file for an upload's body (in memory up to `memory` bytes, then on disk,
    under FILE_UPLOAD_TEMP_DIR like Django's own upload files)."""
    import tempfile

    from django.conf import settings

    return tempfile.SpooledTemporaryFile(max_size=memory, dir=settings.FILE_UPLOAD_TEMP_DIR)


def _content_length(scope: Scope) -> int | None:
    """The request's Content-Length (None without one; httptools refuses a malformed one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def close_thread_connections(executor: ThreadPoolExecutor, threads: int) -> None:
    """Close the database connections held by every thread of `executor` (tests and
    shutdown: a pooled thread keeps its connection open between requests)."""
    from django.db import connections

    barrier = threading.Barrier(threads, timeout=5)

    def close() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # each thread takes exactly one of these tasks

    for future in [executor.submit(close) for _ in range(threads)]:
        future.result(timeout=10)


BIDS_PATH = re.compile(r"/api/v1/auctions/([0-9]{1,18})/bids")


class NativeBids:
    """`POST /api/v1/auctions/{id}/bids` with a bearer token, answered without Django's
    request stack (middleware, URL resolving, ninja): the hot path of a hot auction.

    The database work — the token lookup, `engine.bid_place` — runs in the bridge's thread
    pool (the same threads and connections as Django's requests) through
    `bidding.api.bid_native`, which answers exactly what the ninja endpoint answers. The
    headers are those the middleware adds (security, frame options, language, Vary).
    Anything this does not reproduce goes to Django unchanged: a cookie (the site's session
    and its CSRF check), a query string, another content type, a host Django would refuse,
    plain HTTP when HTTPS is enforced, a body of an unusual shape.
    """

    def __init__(self, bridge: WsgiBridge, inline: bool | None = None) -> None:
        self.bridge = bridge
        self.served = 0  # requests answered here (tests check the path taken)
        self.served_inline = 0  # of which on the event loop's thread
        self._checks: _NativeChecks | None = None
        self._inline = inline
        self._context = contextvars.Context()  # the inline calls' own, kept across requests
        # the recent share of inline attempts that had to go to the pool anyway (moving
        # average over ≈32): above one half — many auctions, every bid a write, colliding
        # with the other processes' writes — the next 256 bids skip the inline attempt
        self._blocked = 0.0
        self._skip_inline = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send, auction_id: int) -> None:
        body = await self.bridge.read_body(scope, receive, send)
        if body is None:
            return
        if not isinstance(body, bytes):  # not a bid (bids are small): Django answers
            try:
                await self.bridge.serve(scope, body, send)
            finally:
                body.close()
            return
        checks = self._checks or self._load_checks()
        accepted = checks.accept(scope, body)
        if accepted is None:
            await self.bridge.serve(scope, body, send)
            return
        token, payload, language, secure = accepted
        loop = asyncio.get_running_loop()
        if checks.inline and self._skip_inline == 0:
            try:
                status, content, content_language = self._run_inline(auction_id, token, payload, language)
                self.served_inline += 1
                self._blocked -= self._blocked / 32
            except _WouldBlock:  # nothing written: the pool, straight to the engine's locked step
                self._blocked += (1 - self._blocked) / 32
                if self._blocked > 0.5:  # mostly writes colliding with another process's
                    self._skip_inline, self._blocked = 256, 0.0
                status, content, content_language = await loop.run_in_executor(
                    self.bridge.executor, _native_bid, auction_id, token, payload, language, True, False
                )
        else:
            self._skip_inline = max(0, self._skip_inline - 1)
            status, content, content_language = await loop.run_in_executor(
                self.bridge.executor, _native_bid, auction_id, token, payload, language
            )
        self.served += 1
        headers = checks.headers(status, content, content_language, secure)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _load_checks(self) -> _NativeChecks:
        self._checks = _NativeChecks(self._inline)
        return self._checks

    def _run_inline(self, auction_id: int, token: str, payload: Any, language: str) -> tuple[int, bytes, bytes]:
        """The bid on this (the event loop's) thread, when it can be decided without waiting:
        on SQLite a token lookup and a snapshot read — and for most accepted bids the write —
        take a few hundred microseconds of CPU, which the pool thread would spend too, while
        the hop there and back (a queue, two thread wake-ups, the GIL handed over twice) cost
        more than the work at moderate load. A bid that would wait for SQLite's write lock
        raises engine.WouldBlock (nothing written) and goes to the pool like before. Measured
        (docs/benchmarks.md): a hot auction (mostly rejections) gains; where nearly every bid
        is a write colliding with another process's, the failed attempts cost more than the hop
        saved — hence the moving average in __call__ that then skips them for a while.

        Django refuses database calls from a thread running an event loop (its guard against
        blocking one by accident); this call is the deliberate exception, so the loop is
        unset for its duration. Database connections are per thread: this thread keeps one.
        """
        loop = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            return self._context.run(_native_bid, auction_id, token, payload, language, False)
        finally:
            asyncio.events._set_running_loop(loop)


class _WouldBlock(Exception):
    """Not answerable on the event loop's thread: use the pool."""


class _NativeChecks:
    """What the native bid path needs from the settings, read once."""

    def __init__(self, inline: bool | None = None) -> None:
        from django.conf import settings
        from django.db import connections

        # bids on the event loop's thread: SQLite only (a PostgreSQL round trip would block
        # the loop); NATIVE_BIDS_INLINE=0 turns it off (benchmarks compare both)
        if inline is None:
            inline = os.environ.get("NATIVE_BIDS_INLINE", "1") != "0"
        self.inline = inline and connections["default"].vendor == "sqlite"

        self.allowed_hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not self.allowed_hosts:
            self.allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
        self.usable = (
            not settings.USE_X_FORWARDED_HOST
            and not settings.PREPEND_WWW
            and not settings.DISALLOWED_USER_AGENTS
            and list(settings.MIDDLEWARE) == EXPECTED_MIDDLEWARE
        )
        self.ssl_redirect = bool(settings.SECURE_SSL_REDIRECT)
        proxy = settings.SECURE_PROXY_SSL_HEADER
        self.proxy_header = (proxy[0].removeprefix("HTTP_").replace("_", "-").lower(), proxy[1]) if proxy else None
        # SecurityMiddleware, XFrameOptionsMiddleware (in the order Django emits them)
        self.frame = [(b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode())]
        hsts = None
        if settings.SECURE_HSTS_SECONDS:
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            hsts = (b"strict-transport-security", value.encode())
        tail = []
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            tail.append((b"x-content-type-options", b"nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            policy = policy if isinstance(policy, str) else ",".join(policy)
            tail.append((b"referrer-policy", ",".join(v.strip() for v in policy.split(",")).encode()))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            tail.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
        # SecurityHeadersMiddleware (inside SecurityMiddleware, so its headers come first)
        from exchange.core.security import headers_for

        policies = [(k.lower().encode(), v.encode()) for k, v in headers_for("/api/v1/auctions/0/bids")]
        self.tail = policies + tail
        self.tail_secure = policies + ([hsts] if hsts else []) + tail

    def accept(self, scope: Scope, body: bytes) -> tuple[str, Any, str, bool] | None:
        """(token, payload, language, secure) for a request served natively, else None."""
        from exchange.bidding.api import native_bid_payload

        if not self.usable or scope.get("query_string"):
            return None
        auth = host = language = proxy = None
        content_type = ""
        proxy_name = self.proxy_header[0] if self.proxy_header else None
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name == "authorization":
                if auth is not None:
                    return None
                auth = raw_value.decode("latin-1")
            elif name == "cookie":
                return None  # the site's session (CSRF-checked) or a language cookie: Django
            elif name == "content-type":
                content_type = raw_value.decode("latin-1")
            elif name == "host":
                if host is not None:
                    return None
                host = raw_value.decode("latin-1")
            elif name == "accept-language":
                if language is not None:
                    return None
                language = raw_value.decode("latin-1")
            elif name == proxy_name:
                if proxy is not None:
                    return None
                proxy = raw_value.decode("latin-1")
        if not auth or host is None or not _valid_host(host, tuple(self.allowed_hosts)):
            return None
        parts = auth.split(" ")  # as ninja's HttpBearer reads the header
        if parts[0].lower() != "bearer":
            return None
        if content_type and content_type.split(";", 1)[0].strip().lower() != "application/json":
            return None
        if self.proxy_header and proxy is not None:
            secure = proxy.split(",", 1)[0].strip() == self.proxy_header[1]
        else:
            secure = scope.get("scheme") == "https"
        if self.ssl_redirect and not secure:
            return None
        payload = native_bid_payload(body)
        if payload is None:
            return None
        return " ".join(parts[1:]), payload, _language(language or ""), secure

    def headers(self, status: int, content: bytes, content_language: bytes, secure: bool) -> list[tuple[bytes, bytes]]:
        if status == 500:  # the API guard's JSON, made after the inner middleware ran: only the security headers
            return [(b"content-type", b"application/json"), *(self.tail_secure if secure else self.tail)]
        return [
            (b"content-type", b"application/json; charset=utf-8"),
            *self.frame,
            (b"content-length", str(len(content)).encode()),
            (b"vary", b"Accept-Language, Cookie"),
            (b"content-language", content_language),
            *(self.tail_secure if secure else self.tail),
        ]


# the middleware whose effect on a bid answer NativeBids reproduces; another list: Django answers
EXPECTED_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "exchange.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "exchange.api_guard.ApiGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]


@functools.lru_cache(maxsize=256)
def _valid_host(host: str, allowed: tuple[str, ...]) -> bool:
    from django.http.request import split_domain_port, validate_host

    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, list(allowed))


@functools.lru_cache(maxsize=256)
def _language(accept_language: str) -> str:
    """The language LocaleMiddleware activates for this Accept-Language (no cookie, no prefix)."""
    from types import SimpleNamespace

    from django.utils import translation

    request = SimpleNamespace(COOKIES={}, META={"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {})
    return translation.get_language_from_request(request, check_path=False)  # type: ignore[arg-type]


def _native_bid(
    auction_id: int, token: str, payload: Any, language: str, wait: bool = True, snapshot: bool = True
) -> tuple[int, bytes, bytes]:
    """In a pool thread (or, `wait=False`, on the loop's: see NativeBids._run_inline):
    (status, JSON body, Content-Language) of a native bid request, framed by Django's request
    signals (connection upkeep) like a request through Django."""
    from django.core import signals
    from django.db import OperationalError
    from django.utils import translation

    from exchange.bidding.api import bid_native
    from exchange.bidding.engine import WouldBlock, is_sqlite_busy

    signals.request_started.send(sender=NativeBids, environ=None)
    try:
        with translation.override(language):
            try:
                status, data = bid_native(
                    auction_id=auction_id, token=token, payload=payload, wait=wait, snapshot=snapshot
                )
            except WouldBlock:
                raise _WouldBlock() from None
            except Exception as exc:  # as Django + the API guard: logged, a JSON 500
                if not wait and isinstance(exc, OperationalError) and is_sqlite_busy(exc):
                    raise _WouldBlock() from None  # on the loop's thread, SQLite locked: the pool
                logging.getLogger("django.request").exception(
                    "Internal Server Error: /api/v1/auctions/%s/bids", auction_id
                )
                status = 500
                data = {"code": "server_error", "message": translation.gettext("服务器内部错误，请稍后再试。")}
            return status, json.dumps(data).encode(), translation.get_language().encode()
    finally:
        signals.request_finished.send(sender=NativeBids)


def _environ(scope: Scope, body: Body) -> dict[str, Any]:
    server = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client") or ("127.0.0.1", 0)
    path = scope.get("root_path", "") + scope["path"]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "REMOTE_ADDR": client[0],
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": BytesIO(body) if isinstance(body, bytes) else body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body) if isinstance(body, bytes) else _size(body)),
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT_LENGTH":
            continue
        key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _size(file: IO[bytes]) -> int:
    position = file.tell()
    size = file.seek(0, os.SEEK_END)
    file.seek(position)
    return size


def _plain_start(status: int) -> dict[str, Any]:
    return {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}


async def _lifespan(receive: Receive, send: Send) -> None:
    """uvicorn's start and stop of this process (not sent by servers run with lifespan off,
    as the tests' in-thread servers are). At the start, before any connection is accepted:
    the web heartbeat's first beat (which handles an outage: deadlines that fell in it move,
    docs/bidding.md "Outages"), then its thread."""
    from exchange.core.liveness import WebHeartbeat

    heartbeat = WebHeartbeat(detail=f"pid {os.getpid()}")
    loop = asyncio.get_running_loop()
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await loop.run_in_executor(None, heartbeat.start)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await loop.run_in_executor(None, heartbeat.stop)
            await send({"type": "lifespan.shutdown.complete"})
            return


def build(
    wsgi_app: Callable[..., Iterable[bytes]], threads: int | None = None, *, native_bids: bool = True
) -> Callable[..., Awaitable[None]]:
    """The dispatching ASGI app around a WSGI app (tests pass one that also serves static
    files; `native_bids=False` sends the bids through Django as well)."""
    bridge = WsgiBridge(wsgi_app, threads=threads or int(os.environ.get("WSGI_THREADS", "4")))
    bids = NativeBids(bridge) if native_bids else None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch: the bidding event streams and bearer-token bids natively, everything
        else to Django over WSGI."""
        if scope["type"] == "http":
            path = scope["path"]
            if path.endswith("/bids"):
                if bids is not None and scope["method"] == "POST" and (match := BIDS_PATH.fullmatch(path)):
                    await bids(scope, receive, send, int(match.group(1)))
                    return
            elif path.rstrip("/").endswith("/events"):
                from exchange.bidding import sse

                if sse.is_events_path(path):
                    await sse.events_app(scope, receive, send)
                    return
        await bridge(scope, receive, send)

    app.bridge = bridge  # type: ignore[attr-defined]
    app.native_bids = bids  # type: ignore[attr-defined]
    return app


django_wsgi = get_wsgi_application()
# What is loaded by now (Django, the apps, the models) lives as long as the process: kept out
# of the cyclic collector's sight, a full collection no longer walks its ~150,000 objects
# (≈100 ms on this box, during which the worker answers nobody).
gc.collect()
gc.freeze()
application = build(django_wsgi)
