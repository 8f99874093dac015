"""exchange.server.http_protocol: a response's header block waits for its body, so that the two
leave in one write (one TCP segment, one wake-up of the reader) — on a real event-loop
transport over a real socket pair."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from exchange.server.http_protocol import CoalescingTransport

HEAD = b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n"


async def _pair() -> tuple[CoalescingTransport, socket.socket, asyncio.Transport]:
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    return CoalescingTransport(transport, loop), theirs, transport  # type: ignore[arg-type]


def _run(coroutine: Any) -> Any:
    """asyncio.run in a thread of its own: in a test process that also drives Playwright's
    sync API, the main thread may already have a running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _readable(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except BlockingIOError:
        return b""


def test_the_header_block_leaves_with_the_body():
    async def scenario() -> list[bytes]:
        coalescing, peer, raw = await _pair()
        coalescing.write(HEAD)
        after_head = _readable(peer)  # held: nothing sent yet
        coalescing.write(b"{}")
        together = _readable(peer)
        await asyncio.sleep(0)  # the turn's end: nothing more to send
        rest = _readable(peer)
        raw.close()
        peer.close()
        return [after_head, together, rest]

    assert _run(scenario()) == [b"", HEAD + b"{}", b""]


def test_a_header_block_without_a_body_leaves_at_the_end_of_the_turn_and_streams_pass_through():
    async def scenario() -> list[bytes]:
        coalescing, peer, raw = await _pair()
        coalescing.write(HEAD)  # e.g. an event stream's headers
        held = _readable(peer)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        head = _readable(peer)
        coalescing.write(b"id: 1\nevent: bid\ndata: {}\n\n")  # events are not held
        event = _readable(peer)
        coalescing.write(HEAD)
        coalescing.close()  # closing sends what is held
        await asyncio.sleep(0.01)
        last = _readable(peer)
        peer.close()
        assert raw.is_closing()
        return [held, head, event, last]

    assert _run(scenario()) == [b"", HEAD, b"id: 1\nevent: bid\ndata: {}\n\n", HEAD]
