"""居民身份证 numbers: the check digit and the birth date are checked, and the region code may be
any code that has existed — a card keeps the code of where it was first issued."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric

from exchange.accounts import validators
from exchange.accounts.validators import clean_resident_id
from exchange.core import clock
from exchange.core.errors import InvalidInput


def _with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


@cache
def _stdnum_codes() -> list[str]:
    """Every 6-digit code of python-stdnum's table, historical ones included."""
    codes = []
    for province in range(11, 92):
        for rest in range(10000):
            code = f"{province}{rest:04d}"
            if any("county" in props for _p, props in numdb.get("cn/loc").info(code)):
                codes.append(code)
    return codes


def test_the_reported_number_is_accepted():
    # 140105 太原市小店区 exists since 1997: a card first issued there to someone born in 1990
    assert clean_resident_id("140105199003071234") == "140105199003071234"


@pytest.mark.parametrize(
    "code",
    ["140102", "110103", "110104", "140120", "330113", "330114", "810000", "820000", "830000"],
)  # abolished (南城区, 崇文区, 宣武区, 太原市市区), newer than stdnum's table (临平区, 钱塘区), 港澳台居住证
def test_historical_current_and_residence_permit_codes_are_known(code):
    assert validators.region_code_known(code)


@pytest.mark.parametrize("code", ["990105", "149999", "000000", "14010", "14010a", "１４０１０５"])
def test_codes_that_never_existed_are_not(code):
    assert not validators.region_code_known(code)


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=10**6),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_code_that_ever_existed_with_a_real_date_and_the_right_check_digit_passes(index, born, seq):
    codes = _stdnum_codes()
    number = _with_check_digit(f"{codes[index % len(codes)]}{born:%Y%m%d}{seq:03d}")
    assert clean_resident_id(number.lower()) == number


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    wrong=st.integers(min_value=1, max_value=10),
)
def test_a_wrong_check_digit_is_refused(born, seq, wrong):
    number = _with_check_digit(f"140105{born:%Y%m%d}{seq:03d}")
    digits = "0123456789X"
    bad = number[:-1] + digits[(digits.index(number[-1]) + wrong) % 11]
    with pytest.raises(InvalidInput, match="校验位错误"):
        clean_resident_id(bad)


@pytest.mark.parametrize("date", ["19900230", "19901301", "19900000", "17990101"])
def test_impossible_birth_dates_are_refused(date):
    with pytest.raises(InvalidInput, match="出生日期不对"):
        clean_resident_id(_with_check_digit(f"140105{date}123"))


def test_a_birth_date_in_the_future_is_refused():
    tomorrow = clock.today() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput, match="出生日期不对"):
        clean_resident_id(_with_check_digit(f"140105{tomorrow:%Y%m%d}123"))


@settings(max_examples=200, deadline=None)
@given(code=st.integers(min_value=0, max_value=999999).map(lambda n: f"{n:06d}"))
def test_an_unknown_region_code_is_refused_with_its_own_reason(code):
    number = _with_check_digit(f"{code}19900307123")
    if validators.region_code_known(code):
        assert clean_resident_id(number) == number
    else:
        with pytest.raises(InvalidInput, match="地区码不对"):
            clean_resident_id(number)
