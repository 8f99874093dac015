from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import workdays
from exchange.core.models import HolidayOverride
from exchange.core.workdays import (
    LIBRARY_KNOWN_THROUGH,
    WorkdayResult,
    add_workdays,
    add_workdays_detailed,
    calendar_known_through,
    is_provisional,
    is_workday,
    next_workday,
    workdays_between,
)

pytestmark = pytest.mark.django_db

HOLIDAY, WORKDAY = HolidayOverride.Kind.HOLIDAY, HolidayOverride.Kind.WORKDAY


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


# The State Council notices as published (国务院办公厅关于20xx年部分节假日安排的通知):
# (days off, weekend days worked). Typed in from the notices, independent of the library.
OFFICIAL = {
    2025: (
        {date(2025, 1, 1)}
        | _days(date(2025, 1, 28), date(2025, 2, 4))
        | _days(date(2025, 4, 4), date(2025, 4, 6))
        | _days(date(2025, 5, 1), date(2025, 5, 5))
        | _days(date(2025, 5, 31), date(2025, 6, 2))
        | _days(date(2025, 10, 1), date(2025, 10, 8)),
        {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)},
    ),
    2026: (
        _days(date(2026, 1, 1), date(2026, 1, 3))
        | _days(date(2026, 2, 15), date(2026, 2, 23))
        | _days(date(2026, 4, 4), date(2026, 4, 6))
        | _days(date(2026, 5, 1), date(2026, 5, 5))
        | _days(date(2026, 6, 19), date(2026, 6, 21))
        | _days(date(2026, 9, 25), date(2026, 9, 27))
        | _days(date(2026, 10, 1), date(2026, 10, 7)),
        {
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        },
    ),
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_library_calendar_matches_the_official_notice_day_by_day(year):
    # given
    off, worked = OFFICIAL[year]
    # when
    disagreements = [
        (d, is_workday(d))
        for d in sorted(_days(date(year, 1, 1), date(year, 12, 31)))
        if is_workday(d) != (d in worked or (d.weekday() < 5 and d not in off))
    ]
    # then (a disagreement is fixed with HolidayOverride rows, then this test uses them)
    assert disagreements == []


def test_spring_festival_2026():
    assert not any(is_workday(d) for d in _days(date(2026, 2, 15), date(2026, 2, 23)))
    assert is_workday(date(2026, 2, 14))  # Saturday worked (调休)
    assert is_workday(date(2026, 2, 28))  # Saturday worked (调休)
    assert is_workday(date(2026, 2, 13))
    assert is_workday(date(2026, 2, 24))


def test_national_day_2026():
    assert not any(is_workday(d) for d in _days(date(2026, 10, 1), date(2026, 10, 7)))
    assert is_workday(date(2026, 9, 20))  # Sunday worked (调休)
    assert is_workday(date(2026, 10, 10))  # Saturday worked (调休)
    assert not is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert next_workday(date(2026, 9, 30)) == date(2026, 10, 8)


def test_add_workdays_counts_from_the_day_after_and_crosses_spring_festival():
    assert add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Fri → the working Saturday
    assert add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)  # then over 春节
    assert add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    # a 20-WD disclosure starting Monday 2026-02-02
    assert add_workdays(date(2026, 2, 2), 20) == date(2026, 3, 6)
    assert workdays_between(date(2026, 2, 2), date(2026, 3, 6)) == 20


def test_add_zero_workdays_is_the_start_or_the_next_workday():
    assert add_workdays(date(2026, 2, 14), 0) == date(2026, 2, 14)
    assert add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 24)
    assert add_workdays(date(2026, 3, 2), 0) == date(2026, 3, 2)


def test_next_workday_include_self():
    assert next_workday(date(2026, 3, 2)) == date(2026, 3, 3)
    assert next_workday(date(2026, 3, 2), include_self=True) == date(2026, 3, 2)
    assert next_workday(date(2026, 3, 7), include_self=True) == date(2026, 3, 9)


def test_workdays_between_excludes_start_includes_end_and_is_antisymmetric():
    assert workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert workdays_between(date(2026, 3, 2), date(2026, 3, 3)) == 1
    assert workdays_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # over a weekend
    assert workdays_between(date(2026, 3, 9), date(2026, 3, 6)) == -1
    assert workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 248  # 261 weekdays - 19 off + 6 worked


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_workdays(date(2026, 3, 2), -1)


# --- overrides -----------------------------------------------------------------------------


def test_override_turns_a_weekday_into_a_holiday_and_a_saturday_into_a_workday():
    # given
    HolidayOverride.objects.create(date=date(2026, 3, 10), kind=HOLIDAY, note="本地停业")
    HolidayOverride.objects.create(date=date(2026, 3, 14), kind=WORKDAY, note="补班")
    # then
    assert not is_workday(date(2026, 3, 10))
    assert is_workday(date(2026, 3, 14))
    assert add_workdays(date(2026, 3, 9), 1) == date(2026, 3, 11)
    assert add_workdays(date(2026, 3, 13), 1) == date(2026, 3, 14)
    assert workdays_between(date(2026, 3, 8), date(2026, 3, 15)) == 5  # -1 holiday, +1 Saturday


def test_override_wins_over_the_library():
    HolidayOverride.objects.create(date=date(2026, 10, 6), kind=WORKDAY)
    HolidayOverride.objects.create(date=date(2026, 9, 20), kind=HOLIDAY)
    assert is_workday(date(2026, 10, 6))
    assert not is_workday(date(2026, 9, 20))


def test_a_walk_reads_the_overrides_in_one_query(django_assert_num_queries):
    HolidayOverride.objects.create(date=date(2026, 3, 10), kind=HOLIDAY)
    with django_assert_num_queries(1):
        add_workdays(date(2026, 1, 5), 250)
    with django_assert_num_queries(1):
        workdays_between(date(2025, 1, 1), date(2026, 12, 31))
    with django_assert_num_queries(1):
        is_workday(date(2026, 3, 10))


# --- years the library does not know ---------------------------------------------------------


def test_library_knows_at_least_2026():
    assert LIBRARY_KNOWN_THROUGH >= 2026
    assert calendar_known_through() == LIBRARY_KNOWN_THROUGH
    assert not is_provisional(date(2026, 12, 31))


def test_unknown_year_is_provisional_until_staff_enter_it():
    unknown = LIBRARY_KNOWN_THROUGH + 1
    assert is_provisional(date(unknown, 6, 1))
    # when staff enter the notice of the next year, and one of the year after with a gap
    HolidayOverride.objects.create(date=date(unknown, 1, 2), kind=WORKDAY, note="调休上班")
    HolidayOverride.objects.create(date=date(unknown + 2, 1, 3), kind=HOLIDAY)
    # then
    assert not is_provisional(date(unknown, 6, 1))
    assert is_provisional(date(unknown + 1, 6, 1))
    assert not is_provisional(date(unknown + 2, 6, 1))
    assert calendar_known_through() == unknown  # the gap year stops it


def test_a_year_without_a_notice_is_estimated_and_provisional():
    # a year the library can never know yet: two past its last notice
    year = LIBRARY_KNOWN_THROUGH + 2
    wednesday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 2)
    national_day = next(date(year, 10, d) for d in (1, 2, 3) if date(year, 10, d).weekday() < 5)
    # weekends off, weekdays working, and the statutory holidays the law fixes still off
    assert is_workday(wednesday)
    assert not is_workday(wednesday + timedelta(days=3))  # the Saturday
    assert not is_workday(national_day)  # 国庆 falls on a weekday
    assert add_workdays_detailed(wednesday, 2) == WorkdayResult(wednesday + timedelta(days=2), provisional=True)


def test_period_running_into_an_unknown_year_is_provisional():
    start = date(LIBRARY_KNOWN_THROUGH, 12, 1)
    result = add_workdays_detailed(start, 40)
    assert result.date.year == LIBRARY_KNOWN_THROUGH + 1
    assert result.provisional
    assert not add_workdays_detailed(start, 5).provisional
    assert result.date == add_workdays(start, 40)


def test_the_library_horizon_is_the_last_year_with_a_notice():
    # The horizon is read from the library's table of notices; check it against what the
    # library computes: 调休 in that year, none after (2027 is missing in holidays 0.109).
    assert workdays._library_year(LIBRARY_KNOWN_THROUGH)[1]
    assert not any(workdays._library_year(y)[1] for y in range(LIBRARY_KNOWN_THROUGH + 1, LIBRARY_KNOWN_THROUGH + 4))


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)), n=st.integers(1, 80))
def test_add_workdays_lands_on_a_workday_n_workdays_later(start, n):
    end = add_workdays(start, n)
    assert end > start
    assert is_workday(end)
    assert workdays_between(start, end) == n
    assert workdays_between(start, end - timedelta(days=1)) == n - 1
