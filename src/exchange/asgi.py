"""The one server process type of the site: uvicorn workers running this ASGI app.

Why not Django's own ASGI handler: on this 2-core box Django under ASGI served ≈0.5k
SQLite bid requests/s against ≈1.6k under WSGI workers (ARCHITECTURE.md D4), because every
sync view and middleware hops threads through `sync_to_async`. Why not gunicorn alone:
Server-Sent Events hold thousands of idle connections, which sync workers cannot.

So `application` dispatches on the path, once per request:
- `GET /api/v1/auctions/<id>/events` → `exchange.bidding.sse.events_app`, a native
  asyncio handler (fan-out hub, thousands of connections per process);
- everything else → Django's plain **WSGI** handler, run in a small thread pool
  (`WSGI_THREADS`, default 4) — one thread hop per request instead of one per
  middleware, with uvicorn's C HTTP parser (httptools) in front.

Measured figures and the comparison with gunicorn + a separate events server are in
docs/bidding_live.md ("Serving topology").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BUFFERED_BODY = 64 * 1024 * 1024  # Django enforces its own, smaller, upload limits
STREAM_AFTER = 256 * 1024  # answers larger than this are streamed, not buffered


class WsgiBridge:
    """Run a WSGI application for ASGI HTTP requests in a thread pool.

    The request body is read fully before the app runs (bodies here are forms and JSON;
    uploads are capped by Django at 10 MB). The app runs in a worker thread, which returns
    a small answer whole (one thread hop per request); an answer larger than STREAM_AFTER is
    streamed chunk by chunk, so large downloads are not held in memory.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self.wsgi_app = wsgi_app
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets are not served
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > MAX_BUFFERED_BODY:
                await _plain(send, 413, b"Request body too large")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        environ = _environ(scope, b"".join(chunks))
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


def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
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
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
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


def _plain_start(status: int) -> dict[str, Any]:
    return {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(_plain_start(status))
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build(wsgi_app: Callable[..., Iterable[bytes]], threads: int | None = None) -> Callable[..., Awaitable[None]]:
    """The dispatching ASGI app around a WSGI app (tests pass one that also serves static files)."""
    bridge = WsgiBridge(wsgi_app, threads=threads or int(os.environ.get("WSGI_THREADS", "4")))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch: the bidding event streams natively, everything else to Django over WSGI."""
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith("/events"):
            from exchange.bidding import sse

            if sse.is_events_path(scope["path"]):
                await sse.events_app(scope, receive, send)
                return
        await bridge(scope, receive, send)

    app.bridge = bridge  # type: ignore[attr-defined]
    return app


django_wsgi = get_wsgi_application()
application = build(django_wsgi)
