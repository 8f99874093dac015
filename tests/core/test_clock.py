import datetime as dt
from zoneinfo import ZoneInfo

from exchange.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_frozen_time_is_returned_and_restored():
    at = dt.datetime(2026, 10, 1, 9, 30, tzinfo=SHANGHAI)
    before = clock.now()
    with clock.frozen(at):
        assert clock.now() == at
        assert clock.today() == dt.date(2026, 10, 1)
    assert clock.now() >= before


def test_today_is_the_shanghai_date_not_utc():
    # 2026-02-16 20:00 UTC is already 2026-02-17 04:00 in Beijing
    with clock.frozen(dt.datetime(2026, 2, 16, 20, 0, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2026, 2, 17)


def test_naive_times_are_taken_as_local():
    with clock.frozen(dt.datetime(2026, 5, 1, 8, 0)):
        assert clock.now().utcoffset() == dt.timedelta(hours=8)


def test_frozen_blocks_nest():
    outer, inner = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)
    with clock.frozen(outer):
        with clock.frozen(inner):
            assert clock.now() == inner
        assert clock.now() == outer
