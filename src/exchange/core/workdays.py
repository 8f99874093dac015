"""The working-day (工作日) calendar of mainland China, for every "N WD" rule.

A date is a working day by, in order of precedence:
1. a staff-entered `HolidayOverride` row for that date (kind workday / holiday);
2. the `holidays.China` library: statutory holidays, the days off given in lieu (补假),
   and the State Council's yearly 调休 (days off moved plus weekends worked,
   `weekend_workdays`);
3. otherwise Monday–Friday work, Saturday–Sunday rest.

A year is *known* when the library carries the State Council notice for it or staff
entered at least one override in it. For a later year the library still supplies the
statutory holidays and the 补假 the law requires (放假办法 §6), so estimates do not run
through 国庆 as if it were a working week; only the 调休 is missing. Results that touch
such a year are *provisional*: callers show them as such and recompute when staff have
entered the notice (enter all of it: every day off and every working weekend).

Dates are Asia/Shanghai calendar dates. Every public function reads the overrides of the
years it needs in one query (no per-process cache: a cache would go stale in the other
processes when staff edit the table), so none queries per day stepped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from holidays import country_holidays
from holidays.countries.china import ChinaStaticHolidays

from exchange.core.models import HolidayOverride

# The last year whose State Council notice the installed library carries: each notice
# adds that year's 调休 to this table (2026 in holidays 0.109).
LIBRARY_KNOWN_THROUGH: Final[int] = max(ChinaStaticHolidays.special_public_holidays)

_MAX_NON_WORKING_RUN: Final = 31  # no real calendar has a month without a working day


@dataclass(frozen=True, slots=True)
class WorkdayResult:
    """A computed date and whether it rests on a year whose schedule is not yet known."""

    date: dt.date
    provisional: bool


@lru_cache(maxsize=256)
def _library_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(weekday holidays, weekend working days) of one year, per the library.

    Neighbouring years are populated too: a notice may move a working day into the
    previous year (2002's 元旦 made 2001-12-29 a working Saturday).
    """
    cn = country_holidays("CN", years=(year - 1, year, year + 1))
    off = frozenset(d for d in cn if d.year == year and d.weekday() < 5)
    worked = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return off, worked


class _Calendar:
    """The overrides of a span of whole years, loaded in one query, plus the library."""

    def __init__(self, first_year: int, last_year: int) -> None:
        self._overrides: dict[dt.date, bool] = {}
        self._override_years: set[int] = set()
        self._first = self._last = first_year
        self._load(first_year, last_year)

    def _load(self, first_year: int, last_year: int) -> None:
        rows = HolidayOverride.objects.filter(
            date__gte=dt.date(first_year, 1, 1), date__lte=dt.date(last_year, 12, 31)
        ).values_list("date", "kind")
        for day, kind in rows:
            self._overrides[day] = kind == HolidayOverride.Kind.WORKDAY
            self._override_years.add(day.year)
        self._first, self._last = min(self._first, first_year), max(self._last, last_year)

    def _ensure(self, year: int) -> None:
        # Stepping past the span loads two more years at once, so a long walk costs a
        # query per two years, never one per day.
        if year > self._last:
            self._load(self._last + 1, year + 1)
        elif year < self._first:
            self._load(year - 1, self._first - 1)

    def is_workday(self, day: dt.date) -> bool:
        self._ensure(day.year)
        if (override := self._overrides.get(day)) is not None:
            return override
        off, worked = _library_year(day.year)
        return day in worked if day.weekday() >= 5 else day not in off

    def is_known(self, year: int) -> bool:
        self._ensure(year)
        return year <= LIBRARY_KNOWN_THROUGH or year in self._override_years

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        for step in range(1, _MAX_NON_WORKING_RUN + 1):
            if self.is_workday(candidate := day + dt.timedelta(days=step)):
                return candidate
        raise RuntimeError(f"no working day within {_MAX_NON_WORKING_RUN} days after {day}: check HolidayOverride")

    def provisional(self, first: dt.date, last: dt.date) -> bool:
        return not all(self.is_known(y) for y in range(first.year, last.year + 1))


def _calendar_for(start: dt.date, end: dt.date) -> _Calendar:
    return _Calendar(start.year, max(start.year, end.year))


def is_workday(d: dt.date) -> bool:
    """Whether `d` is a working day (override, else library with 调休, else Mon–Fri)."""
    return _calendar_for(d, d).is_workday(d)


def next_workday(d: dt.date, *, include_self: bool = False) -> dt.date:
    """The first working day after `d` (or `d` itself if include_self and it is one)."""
    cal = _calendar_for(d, d + dt.timedelta(days=_MAX_NON_WORKING_RUN))
    return d if include_self and cal.is_workday(d) else cal.next_workday(d)


def add_workdays_detailed(start: dt.date, n: int) -> WorkdayResult:
    """The n-th working day strictly after `start`, and whether it is provisional.

    "Within N working days after X" in the rules counts from the day after X, so
    `add_workdays(Friday, 1)` is the next working Monday, whether or not Friday worked.
    n = 0 gives `start` if it is a working day, else the next one. The result is
    provisional if any year from `start` to it is not known. Raises ValueError if n < 0.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    # 5 working days per 7, plus room for holidays: usually one query covers the walk.
    estimate = start + dt.timedelta(days=n * 7 // 5 + n // 10 + _MAX_NON_WORKING_RUN)
    cal = _calendar_for(start, estimate)
    if n == 0:
        day = start if cal.is_workday(start) else cal.next_workday(start)
    else:
        day = start
        for _ in range(n):
            day = cal.next_workday(day)
    return WorkdayResult(date=day, provisional=cal.provisional(start, day))


def add_workdays(start: dt.date, n: int) -> dt.date:
    """`add_workdays_detailed(start, n).date`: the n-th working day strictly after start."""
    return add_workdays_detailed(start, n).date


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Number of working days in (start, end]: `start` excluded, `end` included.

    So `workdays_between(d, add_workdays(d, n)) == n` for n >= 1. For end < start the
    result is the negated count over (end, start], 0 for end == start.
    """
    if end < start:
        return -workdays_between(end, start)
    cal = _calendar_for(start, end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += cal.is_workday(day)
    return count


def is_provisional(d: dt.date) -> bool:
    """Whether `d` lies in a year whose official schedule is not known yet."""
    return not _calendar_for(d, d).is_known(d.year)


def calendar_known_through() -> int:
    """The last year up to which every year's schedule is known (library, then overrides).

    Staff entering next year's notice as overrides extends it; a gap year stops it.
    """
    after_library = HolidayOverride.objects.filter(date__gt=dt.date(LIBRARY_KNOWN_THROUGH, 12, 31))
    years = {first_of_year.year for first_of_year in after_library.dates("date", "year")}
    year = LIBRARY_KNOWN_THROUGH
    while year + 1 in years:
        year += 1
    return year
