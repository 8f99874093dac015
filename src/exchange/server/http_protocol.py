"""uvicorn's httptools protocol, with each response leaving in one `send()`.

uvicorn writes a response's status line and headers when the application sends
`http.response.start`, and the body when it sends `http.response.body`: two `send()` system
calls, two TCP segments and two wake-ups of the reader (nginx or the client) for every small
answer. On the hot auction that kernel work was the largest single item of the app
processes' CPU (a quarter of the time the GIL was held, py-spy, docs/benchmarks.md). Here
the header block is held until the body follows, so a bid answer is one segment. Nothing
waits longer than the current turn of the event loop: if no body follows in it (an event
stream's headers), the held bytes leave at its end (`call_soon`, ahead of the next poll).

Used by the `web:` line of the Procfile and the systemd unit: `--http exchange.server.http_protocol:HttpProtocol`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that holds a response's header block (a write ending in a blank line)
    until the next write — the body, which then leaves with it in one `send()` — or the end
    of the event loop's turn. Other writes (an event stream's events, a streamed body) go
    straight through. Everything else is the wrapped transport's; `close()` and
    `write_eof()` send what is held first, `abort()` drops it."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif data.endswith(b"\r\n\r\n"):
            self._held = data
            self._loop.call_soon(self.flush)
            return
        if data:
            self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:  # get_extra_info, pause_reading, set_protocol, …
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
