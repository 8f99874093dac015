"""Moments on pages: the date whenever the moment is not the exchange's today (issue 15, item 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from exchange.core import clock
from exchange.core.moments import format_moment

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 10, 30, tzinfo=UTC)  # 18:30 in Asia/Shanghai


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (dt.datetime(2026, 12, 7, 10, 42, 1, tzinfo=UTC), "18:42:01"),  # today
        (dt.datetime(2026, 12, 7, 15, 59, 59, tzinfo=UTC), "23:59:59"),  # still today in Shanghai
        (dt.datetime(2026, 12, 7, 16, 0, tzinfo=UTC), "12-08 00:00:00"),  # tomorrow there, today in UTC
        (dt.datetime(2026, 12, 6, 16, 0, tzinfo=UTC), "00:00:00"),  # yesterday in UTC, today there
        (dt.datetime(2026, 12, 10, 3, 3, tzinfo=UTC), "12-10 11:03:00"),  # days later
        (dt.datetime(2026, 11, 9, 9, 0, tzinfo=UTC), "11-09 17:00:00"),  # earlier this year
        (dt.datetime(2027, 1, 6, 14, 34, 41, tzinfo=UTC), "2027-01-06 22:34:41"),  # another year
    ],
)
def test_format_moment(at, expected):
    assert format_moment(at, NOW) == expected


def test_the_filter_reads_datetimes_and_the_api_iso_text_and_uses_the_clock():
    template = Template("{% load moments %}{{ x|moment }}")
    with clock.frozen(NOW):
        assert template.render(Context({"x": dt.datetime(2026, 12, 10, 3, 3, tzinfo=UTC)})) == "12-10 11:03:00"
        assert template.render(Context({"x": "2026-12-07T18:42:01.123456+08:00"})) == "18:42:01"
        assert template.render(Context({"x": "2026-12-10T11:03:00+08:00"})) == "12-10 11:03:00"
        for bad in (None, "", "tomorrow", dt.datetime(2026, 12, 7, 18, 0), dt.date(2026, 12, 7)):
            assert template.render(Context({"x": bad})) == ""
