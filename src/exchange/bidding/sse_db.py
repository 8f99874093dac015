"""The database work of the SSE endpoint, off the event loop: a small thread pool, the
viewer's authentication (bearer token or session), the opening state and the replay reads.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections
from django.http import HttpRequest

from exchange.accounts import services as account_services
from exchange.bidding import selectors
from exchange.bidding.models import Auction
from exchange.core.thread_connections import close_thread_connections

REPLAY_BATCH = 500  # bids per replay read

_db_pool = ThreadPoolExecutor(max_workers=int(os.environ.get("SSE_DB_THREADS", "4")), thread_name_prefix="sse-db")


def close_db_connections() -> None:
    """Close the connections of the handler's database threads (tests, shutdown)."""

    close_thread_connections(_db_pool, _db_pool._max_workers)


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    def call() -> Any:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return await asyncio.get_running_loop().run_in_executor(_db_pool, call)


def authenticate(headers: dict[str, str]) -> Any:
    """The viewer: a bearer token, else the site session, else anonymous."""

    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = account_services.api_token_authenticate(raw=auth[7:].strip())
        return user if user is not None else AnonymousUser()
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is an anonymous viewer
        return AnonymousUser()
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return AnonymousUser()
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    return get_user(request)


def open_stream(auction_id: int, headers: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    viewer = authenticate(headers)
    return viewer, selectors.auction_public(auction_id=auction_id, viewer=viewer)


def bids_after(auction_id: int, after_seq: int, viewer: Any = None) -> list[dict[str, Any]]:
    return list(selectors.bids_after(auction_id=auction_id, after_seq=after_seq, limit=REPLAY_BATCH, viewer=viewer))


def latest_seqs(auction_ids: list[int]) -> dict[int, int]:
    return dict(Auction.objects.filter(pk__in=auction_ids).values_list("pk", "seq"))
