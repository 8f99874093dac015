"""Playwright in Debian's Chromium against a live server of the app.

Browser tests are skipped where /usr/bin/chromium is missing, and fail instead when
CI=true: CI must run them (`.ci/run` installs chromium and a CJK font).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests are required in CI but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    from django.db import connections
    from playwright.sync_api import sync_playwright

    before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as p:
        _keep_serialized_contents(before)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _keep_serialized_contents(before: dict[str, object]) -> None:
    """Playwright's sync API keeps an event loop running in this thread, and from then on
    Django's connection handler (an asgiref Local) hands out *new* connection objects for
    this context. The test database's serialized contents, which serialized_rollback
    restores at the start of each transactional test, live on the old objects: without
    copying them over, a browser test that runs after another transactional test silently
    starts on an empty database (no regions, no role groups)."""
    from django.db import connections

    for alias, old in before.items():
        new = connections[alias]
        if new is not old and hasattr(old, "_test_serialized_contents"):
            new._test_serialized_contents = old._test_serialized_contents  # type: ignore[attr-defined]


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shot():  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-artifacts/screenshots/ (looked at by a person)."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def asgi_server(django_db_serialized_rollback, transactional_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The production ASGI app (uvicorn in a thread, static files from the finders) with the
    in-process event fan-out in a directory of this test's own."""
    from exchange.bidding import sse
    from tests.bidding.test_sse_support import ThreadServer

    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    with ThreadServer(static=True) as server:
        yield server
    sse.hub.stop()
