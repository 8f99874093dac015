"""The native bid path: `POST /api/v1/auctions/{id}/bids` with a bearer token, answered
without Django's request stack. `exchange.asgi` dispatches such requests here; the answer
itself comes from `bidding.api.bid_native` (the same token lookup and engine call as the
ninja endpoint, the same answer to the byte); the headers are those the site's middleware
would add. Anything unusual goes to Django (docs/bidding_live.md, "Native dispatch").

The server's side of the request (reading the body within its limits, the thread pool,
answering through Django) is the bridge's (`exchange.server.bridge.WsgiBridge`), passed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import IO, Any, Protocol

from django.conf import settings
from django.core import signals
from django.db import OperationalError, connections
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from exchange.bidding.api import bid_native, native_bid_payload
from exchange.bidding.engine import WouldBlock, is_sqlite_busy
from exchange.core.security import headers_for

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Bridge(Protocol):
    """What the native path uses of the server's WSGI bridge."""

    executor: ThreadPoolExecutor

    async def read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | IO[bytes] | None: ...

    async def serve(self, scope: Scope, body: bytes | IO[bytes], send: Send) -> None: ...


# The site's middleware and what each does to a bearer-token bid answer — reproduced here
# (headers), or nothing to reproduce on this path. The native path runs only when
# settings.MIDDLEWARE is exactly this set (in any order): a middleware added (whose effect
# is unknown here) or removed (whose headers would still be sent) turns it off, logged once,
# and every bid goes through Django — slower, never different.
REPRODUCED_MIDDLEWARE: dict[str, str] = {
    "django.middleware.security.SecurityMiddleware": "HSTS, nosniff, Referrer-Policy, COOP headers",
    "exchange.core.security.SecurityHeadersMiddleware": "CSP and Permissions-Policy (core.security.headers_for)",
    "whitenoise.middleware.WhiteNoiseMiddleware": "nothing: static files only",
    "exchange.api_guard.ApiGuardMiddleware": "the JSON 500 (_native_bid)",
    "django.contrib.sessions.middleware.SessionMiddleware": "nothing: a request with a cookie goes to Django",
    "django.middleware.locale.LocaleMiddleware": "the language of Accept-Language, Content-Language, Vary",
    "django.middleware.common.CommonMiddleware": "Content-Length",
    "django.middleware.csrf.CsrfViewMiddleware": "nothing: a bearer token, no cookie",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the bearer token's user (bid_native)",
    "django.contrib.messages.middleware.MessageMiddleware": "nothing: no messages in an API answer",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "X-Frame-Options",
    "django_htmx.middleware.HtmxMiddleware": "nothing: a request attribute",
    "auditlog.middleware.AuditlogMiddleware": "nothing: the engine audits with its own actor",
    "axes.middleware.AxesMiddleware": "nothing: no login on this path",
}


def middleware_reproduced(middleware: Sequence[str]) -> bool:
    """Whether the native path reproduces exactly this middleware (else logged, once)."""
    added = sorted(set(middleware) - REPRODUCED_MIDDLEWARE.keys())
    removed = sorted(REPRODUCED_MIDDLEWARE.keys() - set(middleware))
    if added or removed:
        log.warning(
            "native bid path off (bids go through Django): middleware added %s, removed %s — "
            "see REPRODUCED_MIDDLEWARE in exchange/bidding/native.py",
            added or "none",
            removed or "none",
        )
        return False
    return True


# Django refuses database calls from a thread that runs an event loop (a guard against
# blocking one by accident). The inline bid (NativeBids._run_inline) is the deliberate
# exception: the running loop is unset for its duration. asyncio has no public call for
# that; its low-level pair (_get_running_loop / _set_running_loop, in asyncio.events'
# __all__ since Python 3.7) is used here only, and checked at import: without it the inline
# attempt is off and every native bid takes the pool (tests/bidding/test_native_loop.py).
LOOP_UNSET_WORKS = callable(getattr(asyncio, "_get_running_loop", None)) and callable(
    getattr(asyncio, "_set_running_loop", None)
)


@contextlib.contextmanager
def loop_unset() -> Iterator[None]:
    """No running event loop in this thread for the block (restored afterwards)."""
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


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

    def __init__(self, bridge: Bridge, inline: bool | None = None) -> None:
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
        with loop_unset():
            return self._context.run(_native_bid, auction_id, token, payload, language, False)


class _WouldBlock(Exception):
    """Not answerable on the event loop's thread: use the pool."""


class _NativeChecks:
    """What the native bid path needs from the settings, read once."""

    def __init__(self, inline: bool | None = None) -> None:
        # bids on the event loop's thread: SQLite only (a PostgreSQL round trip would block
        # the loop); NATIVE_BIDS_INLINE=0 turns it off (benchmarks compare both)
        if inline is None:
            inline = os.environ.get("NATIVE_BIDS_INLINE", "1") != "0"
        self.inline = inline and connections["default"].vendor == "sqlite" and LOOP_UNSET_WORKS

        self.allowed_hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not self.allowed_hosts:
            self.allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
        self.usable = (
            not settings.USE_X_FORWARDED_HOST
            and not settings.PREPEND_WWW
            and not settings.DISALLOWED_USER_AGENTS
            and middleware_reproduced(settings.MIDDLEWARE)
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
        policies = [(k.lower().encode(), v.encode()) for k, v in headers_for("/api/v1/auctions/0/bids")]
        self.tail = policies + tail
        self.tail_secure = policies + ([hsts] if hsts else []) + tail

    def accept(self, scope: Scope, body: bytes) -> tuple[str, Any, str, bool] | None:
        """(token, payload, language, secure) for a request served natively, else None."""
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


@functools.lru_cache(maxsize=256)
def _valid_host(host: str, allowed: tuple[str, ...]) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, list(allowed))


@functools.lru_cache(maxsize=256)
def _language(accept_language: str) -> str:
    """The language LocaleMiddleware activates for this Accept-Language (no cookie, no prefix)."""

    request = SimpleNamespace(COOKIES={}, META={"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {})
    return translation.get_language_from_request(request, check_path=False)  # type: ignore[arg-type]


def _native_bid(
    auction_id: int, token: str, payload: Any, language: str, wait: bool = True, snapshot: bool = True
) -> tuple[int, bytes, bytes]:
    """In a pool thread (or, `wait=False`, on the loop's: see NativeBids._run_inline):
    (status, JSON body, Content-Language) of a native bid request, framed by Django's request
    signals (connection upkeep) like a request through Django."""

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
