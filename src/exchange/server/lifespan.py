"""uvicorn's start and stop of a web process: the web heartbeat (core.liveness)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any


async def lifespan(
    receive: Callable[[], Awaitable[dict[str, Any]]], send: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
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
