"""Moments (deadlines, start times) as pages print them: the date whenever it is not today.

"当前截止 18:42:01" beside a 71-hour countdown hides which day is meant, so a moment is
written with its time alone only on the exchange's today (Asia/Shanghai), with month and
day in the same year, and with the year otherwise. `static/js/format.js` (`moment`) writes
the same text in the browser for live updates; tests/browser/test_money_format.py checks
that the two agree.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from exchange.core import clock


def format_moment(at: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "18:42:01" today, "12-03 18:42:01" this year, "2027-01-03 18:42:01" otherwise.

    Both moments are read in the exchange's time zone; `now` defaults to `clock.now()`.
    """
    local = timezone.localtime(at)
    today = timezone.localtime(now or clock.now()).date()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%m-%d %H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")
