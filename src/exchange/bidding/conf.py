"""Defaults of the bidding app's numbers; override any in settings as `BIDDING = {"NAME": value}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "COUNTDOWN_SECONDS": 180,  # 动态报价: T, the countdown of the timed period
    "WINDOW_SECONDS": 300,  # 延时: W, a bid within the last W seconds extends
    "EXTENSION_SECONDS": 300,  # 延时: E, the new end is bid time + E
    "DUTCH_INTERVAL_SECONDS": 60,
    "PREEMPTION_SECONDS": 60,  # 减价: the pre-emption window after a take, when a holder outranks the taker
    "CLOSE_INTERVAL_SECONDS": 0.25,  # how often the clock looks for due auctions (run_clock --tick ≤ this)
    # after an outage of the platform an auction whose deadline fell in it gets back the time
    # it had left, and at least this many seconds to reconnect (docs/bidding.md, "Outages")
    "OUTAGE_GRACE_SECONDS": 30,
    "BIDDER_NO_DIGITS": 4,
    "LOG_PAGE_SIZE": 500,
}


def get(name: str) -> Any:
    return getattr(settings, "BIDDING", {}).get(name, DEFAULTS[name])


def default_countdown() -> int:
    return int(get("COUNTDOWN_SECONDS"))


def default_window() -> int:
    return int(get("WINDOW_SECONDS"))


def default_extension() -> int:
    return int(get("EXTENSION_SECONDS"))


def default_dutch_interval() -> int:
    return int(get("DUTCH_INTERVAL_SECONDS"))


def default_preemption() -> int:
    return int(get("PREEMPTION_SECONDS"))
