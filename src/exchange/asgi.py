"""The one server process type of the site: uvicorn workers running this ASGI app.

Why not Django's own ASGI handler: on this 2-core box Django under ASGI served ≈0.5k
SQLite bid requests/s against ≈1.6k under WSGI workers (docs/design/decisions.md D4), because
every sync view and middleware hops threads through `sync_to_async`. Why not gunicorn
alone: Server-Sent Events hold thousands of idle connections, which sync workers cannot.

So `application` dispatches on the path, once per request:
- `GET /api/v1/auctions/<id>/events` → `exchange.bidding.sse.events_app`, a native
  asyncio handler (fan-out hub, thousands of connections per process);
- `POST /api/v1/auctions/<id>/bids` with a bearer token → `exchange.bidding.native.NativeBids`:
  the hot path of a hot auction, answered without Django's middleware and URL resolving
  (anything unusual goes to Django);
- everything else → Django's plain **WSGI** handler through `exchange.server.bridge`, run
  in a small thread pool (`WSGI_THREADS`, default 4) — one thread hop per request instead of
  one per middleware, with uvicorn's C HTTP parser (httptools, `exchange.server.http_protocol`)
  in front.

Measured figures and the comparison with gunicorn + a separate events server are in
docs/bidding_live.md ("Serving topology").
"""

from __future__ import annotations

import gc
import os
from collections.abc import Awaitable, Callable, Iterable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

from django.core.wsgi import get_wsgi_application

from exchange.server.bridge import Receive, Scope, Send, WsgiBridge

django_wsgi = get_wsgi_application()

from exchange.bidding import sse  # noqa: E402  (the apps are loaded from here on)
from exchange.bidding.native import BIDS_PATH, NativeBids  # noqa: E402
from exchange.server.authentication import authenticated  # noqa: E402


def build(
    wsgi_app: Callable[..., Iterable[bytes]], threads: int | None = None, *, native_bids: bool = True
) -> Callable[..., Awaitable[None]]:
    """The dispatching ASGI app around a WSGI app (tests pass one that also serves static
    files; `native_bids=False` sends the bids through Django as well)."""
    bridge = WsgiBridge(
        wsgi_app, threads=threads or int(os.environ.get("WSGI_THREADS", "4")), authenticated=authenticated
    )
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
            elif path.rstrip("/").endswith("/events") and sse.is_events_path(path):
                await sse.events_app(scope, receive, send)
                return
        await bridge(scope, receive, send)

    app.bridge = bridge  # type: ignore[attr-defined]
    app.native_bids = bids  # type: ignore[attr-defined]
    return app


# What is loaded by now (Django, the apps, the models) lives as long as the process: kept out
# of the cyclic collector's sight, a full collection no longer walks its ~150,000 objects
# (≈100 ms on this box, during which the worker answers nobody).
gc.collect()
gc.freeze()
application = build(django_wsgi)
