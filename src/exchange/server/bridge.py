"""Django's WSGI application under ASGI: the request body read within its limits, the app
run in a small thread pool, the answer sent back in one message (or streamed when large).

Why a bridge of our own instead of Django's ASGI handler: under ASGI every sync view and
middleware hops threads through `sync_to_async`; here a request costs one hop (measured:
docs/bidding_live.md, "Serving topology").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import IO, Any

from exchange.core import request_limits
from exchange.server.lifespan import lifespan

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

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        threads: int,
        authenticated: Callable[[Iterable[tuple[bytes, bytes]]], bool] | None = None,
    ) -> None:
        """`authenticated(headers)`: whether a request may send an upload route's larger body
        (exchange.server.authentication, given once the apps are loaded); without it, none may."""
        self.wsgi_app = wsgi_app
        self.authenticated = authenticated or (lambda headers: False)
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.deadlines = BodyDeadlines()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
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
                    if await loop.run_in_executor(self.executor, self.authenticated, scope["headers"]):
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
