"""The native bid path's two guards that depend on things outside it (exchange.bidding.native):
the site's middleware it reproduces, and the one low-level asyncio call it makes."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

from exchange.bidding import native


def test_the_site_middleware_is_the_set_the_native_path_reproduces():
    assert native.middleware_reproduced(settings.MIDDLEWARE)
    assert native.middleware_reproduced(list(reversed(settings.MIDDLEWARE)))  # the order is not what counts


def test_a_middleware_added_or_removed_turns_the_native_path_off_and_says_so(caplog):
    added = [*settings.MIDDLEWARE, "example.middleware.TenantMiddleware"]
    removed = [m for m in settings.MIDDLEWARE if "clickjacking" not in m]
    with caplog.at_level(logging.WARNING, logger="exchange.bidding.native"):
        assert not native.middleware_reproduced(added)
        assert not native.middleware_reproduced(removed)
    assert "example.middleware.TenantMiddleware" in caplog.text
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in caplog.text


def run_in_own_thread(main: Any) -> Any:
    """asyncio.run in a thread of its own (Playwright's sync API, used by the browser tests in
    the same pytest worker, keeps an event loop running in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=10)


def test_no_loop_runs_inside_loop_unset_and_the_loop_is_back_afterwards():
    assert native.LOOP_UNSET_WORKS  # this Python has the low-level pair: the inline attempt is on

    async def main() -> tuple[bool, bool]:
        running = asyncio.get_running_loop()
        with native.loop_unset():
            try:
                asyncio.get_running_loop()
                inside = True
            except RuntimeError:
                inside = False
        return inside, asyncio.get_running_loop() is running

    inside, restored = run_in_own_thread(main)
    assert not inside and restored


def test_the_loop_comes_back_when_the_block_raises():
    async def main() -> bool:
        running = asyncio.get_running_loop()
        try:
            with native.loop_unset():
                raise ValueError
        except ValueError:
            pass
        return asyncio.get_running_loop() is running

    assert run_in_own_thread(main)
