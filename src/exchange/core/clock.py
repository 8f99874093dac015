"""The one place that reads the time.

Services call `clock.now()` / `clock.today()`; tests move time with `clock.frozen(...)`
(a context manager) instead of patching `datetime`. The override is a ContextVar, so it
is per thread / per task and never leaks between concurrent requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_override: ContextVar[dt.datetime | None] = ContextVar("clock_override", default=None)


def now() -> dt.datetime:
    """Aware current time (UTC internally; render in Asia/Shanghai)."""
    fixed = _override.get()
    return fixed if fixed is not None else timezone.now()


def today() -> dt.date:
    """Today's date in the exchange's time zone (Asia/Shanghai)."""
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Make `now()` return `at` inside the block (naive values are taken as local time)."""
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    token = _override.set(at)
    try:
        yield
    finally:
        _override.reset(token)
