from __future__ import annotations

import itertools
import re
from decimal import Decimal as D

import cn2an
import pytest
from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core.errors import InvalidInput
from exchange.core.money import (
    format_per_unit,
    format_wan,
    format_yuan,
    parse_money,
    quantize_money,
    to_chinese_upper,
)

MAX_UPPER = D("999999999999.99")
amounts = st.decimals(min_value=-MAX_UPPER, max_value=MAX_UPPER, places=2, allow_nan=False, allow_infinity=False)
column_amounts = st.decimals(  # anything DecimalField(18, 2) holds
    min_value=D("-9999999999999999.99"), max_value=D("9999999999999999.99"), places=2
)

# --- quantize_money ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1.005"), D("1.01")),  # half up, not banker's rounding
        (D("1.015"), D("1.02")),
        (D("-1.005"), D("-1.01")),  # half away from zero
        (D("2.004"), D("2.00")),
        (7, D("7.00")),
        (" 12.345 ", D("12.35")),
        (D("-0.001"), D("0.00")),  # no negative zero
    ],
)
def test_quantize_money_rounds_half_up_to_fen(value, expected):
    result = quantize_money(value)
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", [0.1, 1.0, True])
def test_quantize_money_refuses_float_and_bool(value):
    with pytest.raises(TypeError):
        quantize_money(value)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", D("NaN"), D("-Infinity"), ""])
def test_quantize_money_refuses_non_numbers(value):
    with pytest.raises(ValueError, match="not a"):
        quantize_money(value)


@given(st.decimals(min_value=-(10**16), max_value=10**16, allow_nan=False, allow_infinity=False) | st.integers())
def test_quantize_is_idempotent_and_within_half_a_fen(value):
    if abs(value) >= 10**30:  # beyond any amount; keep the context's precision honest
        return
    once = quantize_money(value)
    assert quantize_money(once) == once
    assert once.as_tuple().exponent == -2
    assert abs(once - value) <= D("0.005")


# --- parse_money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", D("1234.00")),
        ("1,234.5", D("1234.50")),
        ("1234.50", D("1234.50")),
        ("¥1,234.56", D("1234.56")),
        ("￥1,234.56", D("1234.56")),
        ("  ¥ 1,234,567.8 ", D("1234567.80")),
        ("１，２３４．５", D("1234.50")),  # full-width IME input
        ("0", D("0.00")),
        ("0.05", D("0.05")),
        ("9999999999999999.99", D("9999999999999999.99")),
    ],
)
def test_parse_money_accepts(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请输入金额"),
        ("   ", "请输入金额"),
        ("abc", "金额格式不正确"),
        ("NaN", "金额格式不正确"),
        ("Infinity", "金额格式不正确"),
        ("1e5", "金额格式不正确"),
        ("1,5", "金额格式不正确"),  # a decimal comma, not a thousands separator
        ("12,34", "金额格式不正确"),
        ("1.", "金额格式不正确"),
        (".5", "金额格式不正确"),
        ("¥¥5", "金额格式不正确"),
        ("--5", "金额格式不正确"),
        ("1.234", "最多保留两位小数"),
        ("1.500", "最多保留两位小数"),
        ("12345678901234567", "金额过大"),
        ("-1", "不能为负数"),
        ("-¥0.01", "不能为负数"),
    ],
)
def test_parse_money_refuses_with_message_and_field(text, message):
    with pytest.raises(InvalidInput) as err:
        parse_money(text, field="price")
    assert message in err.value.message
    assert err.value.as_dict()["code"] == "invalid"
    assert err.value.data == {"field": "price"}


def test_parse_money_accepts_negative_only_when_allowed():
    assert parse_money("-¥1,234.00", allow_negative=True) == D("-1234.00")
    assert parse_money("¥-5", allow_negative=True) == D("-5.00")
    assert parse_money("-0") == D("0.00")


@given(column_amounts)
def test_parse_reads_back_what_format_yuan_wrote(value):
    assert parse_money(format_yuan(value), allow_negative=True) == value
    assert parse_money(str(value), allow_negative=True) == value


# --- format_yuan / format_wan --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567, "¥1,234,567.00"),
        (D("-1234"), "-¥1,234.00"),
        (D("0.5"), "¥0.50"),
        ("999.995", "¥1,000.00"),
        (D("-0.001"), "¥0.00"),
    ],
)
def test_format_yuan(value, expected):
    assert format_yuan(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345678, "¥1,234.57万"),
        (2350000, "¥235万"),  # trailing zeros dropped
        (D("125000"), "¥12.5万"),
        (10000, "¥1万"),
        (D("9999.99"), "¥9,999.99"),  # below 1万: the full amount
        (D("9999.995"), "¥1万"),  # rounded to the fen first: 10,000.00
        (D("10049.99"), "¥1万"),  # 1.004999万 → 1.00
        (D("10050"), "¥1.01万"),  # 1.005万 rounds half up
        (D("123456789012.34"), "¥12,345,678.9万"),
        (-12345678, "-¥1,234.57万"),
        (D("-500"), "-¥500.00"),
        (0, "¥0.00"),
    ],
)
def test_format_wan(value, expected):
    assert format_wan(value) == expected


@settings(max_examples=300)
@given(column_amounts)
def test_format_wan_is_the_amount_to_half_a_hundredth_of_wan(value):
    text = format_wan(value)
    if abs(value) < 10000 and abs(quantize_money(value)) < 10000:
        assert text == format_yuan(value)
        return
    assert re.fullmatch(r"-?¥\d{1,3}(,\d{3})*(\.\d?[1-9])?万", text), text
    wan = D(text.removeprefix("-").removeprefix("¥").removesuffix("万").replace(",", ""))
    assert abs(wan * 10000 - abs(value)) <= 50
    assert text.startswith("-") == (value < 0)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (D("12051.57"), "元/㎡", "¥12,051.57/㎡"),
        (D("1550"), "元/亩", "¥1,550.00/亩"),
        (D("63492.06"), "元/万吨", "¥63,492.06/万吨"),
        (D("8"), "per lot", "¥8.00 per lot"),
        (D("8"), "", "¥8.00"),
    ],
)
def test_format_per_unit(value, unit, expected):
    assert format_per_unit(value, unit) == expected


# --- to_chinese_upper ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "零元整"),
        (D("1234.56"), "壹仟贰佰叁拾肆元伍角陆分"),
        (1000000, "壹佰万元整"),
        (D("100.05"), "壹佰元零伍分"),
        (D("10.50"), "壹拾元伍角"),  # convention: no 整 after 角
        (100000000, "壹亿元整"),
        (1_0000_0001, "壹亿零壹元整"),
        (105000, "壹拾万伍仟元整"),
        (1005, "壹仟零伍元整"),
        (D("0.5"), "伍角"),
        (D("0.05"), "伍分"),
        (D("0.55"), "伍角伍分"),
        (10, "壹拾元整"),
        (100010, "壹拾万零壹拾元整"),
        (1_0000_1000, "壹亿零壹仟元整"),  # without 零 it would read 1.1亿
        (1_0100_0000, "壹亿零壹佰万元整"),
        # the examples of 《正确填写票据和结算凭证的基本规定》
        (D("1409.50"), "壹仟肆佰零玖元伍角"),
        (D("6007.14"), "陆仟零柒元壹角肆分"),
        (D("1680.32"), "壹仟陆佰捌拾元叁角贰分"),
        (D("107000.53"), "壹拾万柒仟元伍角叁分"),
        (D("16409.02"), "壹万陆仟肆佰零玖元零贰分"),
        (D("325.04"), "叁佰贰拾伍元零肆分"),
        (D("-1234.5"), "负壹仟贰佰叁拾肆元伍角"),
        (D("999999999999.99"), "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_to_chinese_upper(value, expected):
    assert to_chinese_upper(value) == expected


def test_to_chinese_upper_refuses_beyond_9999_yi_and_float():
    with pytest.raises(ValueError, match="beyond 9999亿"):
        to_chinese_upper(D("1000000000000"))
    with pytest.raises(TypeError):
        to_chinese_upper(0.5)


_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _section_value(text: str) -> int:
    total = digit = 0
    for ch in text:
        if ch in _UNIT:
            total, digit = total + digit * _UNIT[ch], 0
        else:
            digit = _DIGIT[ch]
    return total + digit


def _integer_value(text: str) -> int:
    for unit, scale in (("亿", 10**8), ("万", 10**4)):
        if unit in text:
            high, low = text.split(unit)
            return _section_value(high) * scale + _integer_value(low)
    return _section_value(text)


def _from_upper(text: str) -> D:
    """An independent reader of 大写金额, to check to_chinese_upper by round trip."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整")
    integer, _, cents = text.rpartition("元")
    jiao = _DIGIT[cents[cents.index("角") - 1]] if "角" in cents else 0
    fen = _DIGIT[cents[cents.index("分") - 1]] if "分" in cents else 0
    return sign * (_integer_value(integer) + D(jiao) / 10 + D(fen) / 100)


@settings(max_examples=300)
@given(amounts)
def test_to_chinese_upper_reads_back_and_keeps_its_shape(value):
    text = to_chinese_upper(value)
    assert _from_upper(text) == value
    assert set(text) <= set("负零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")  # no digits, "." or "e"
    assert "零零" not in text
    assert text == "零元整" or not any(f"零{unit}" in text for unit in "万亿元角分整")
    assert not any(f"{unit}{unit}" in text for unit in "拾佰仟万亿元")
    fen_total = int(abs(value) * 100)
    assert text.endswith("整") == (fen_total % 100 == 0)
    assert ("元" in text) == (fen_total >= 100 or value == 0)
    assert text.startswith("负") == (value < 0)


# --- to_chinese_upper against cn2an (an independent, maintained implementation) ------------------
#
# The two agree everywhere but at one choice the writing rules leave open: 零 after 亿 when the
# whole 万 section is zero and the next digit is a 仟 (100,001,000). cn2an never writes it,
# we always do (壹亿零壹仟元整: without 零 it would read 1.1亿); the rules (《正确填写票据和结算
# 凭证的基本规定》) allow both, so only there is cn2an's text compared with that 零 removed.
_OPTIONAL_ZERO = re.compile(r"亿零([壹贰叁肆伍陆柒捌玖]仟)")


def _oracle(value: D) -> str:
    # cn2an writes -0.00 as 负零元整; an amount of zero has no sign (quantize_money drops it)
    return cn2an.an2cn(f"{value if value else abs(value):f}", "rmb")


def _agrees_with_cn2an(value: D) -> None:
    ours = to_chinese_upper(value)
    assert _OPTIONAL_ZERO.sub(r"亿\1", ours) == _oracle(value), value


def test_to_chinese_upper_agrees_with_cn2an_on_every_zero_pattern():
    """零 rules depend only on which digits are zero: every pattern of zero / non-zero digits in
    12 integer places (4,096) times every 角分 pattern (00, 05, 50, 55), and negative."""
    for digits in itertools.product("07", repeat=12):
        integer = "".join(digits)
        for cents in ("00", "05", "50", "55"):
            value = D(f"{integer}.{cents}")
            _agrees_with_cn2an(value)
        if int(integer):
            _agrees_with_cn2an(-D(integer))


def test_the_one_optional_zero_is_where_we_say():
    assert to_chinese_upper(100001000) == "壹亿零壹仟元整"
    assert _oracle(D(100001000)) == "壹亿壹仟元整"
    assert to_chinese_upper(2350000) == _oracle(D(2350000)) == "贰佰叁拾伍万元整"  # issue 15, item 3


zero_rich_amounts = st.builds(
    lambda digits, cents, negative: (-1 if negative else 1) * D(f"{digits or '0'}.{cents:02d}"),
    st.text(alphabet="00000123456789", max_size=12),
    st.integers(0, 99),
    st.booleans(),
)


@settings(max_examples=600)
@given(st.one_of(amounts, zero_rich_amounts))
def test_to_chinese_upper_agrees_with_cn2an(value):
    _agrees_with_cn2an(value)


# --- template filters ------------------------------------------------------------------------


def test_template_filters_render_and_fail_quietly():
    template = Template('{% load money %}{{ x|yuan }}|{{ x|wan }}|{{ x|daxie }}|{{ x|per_unit:"元/㎡" }}')
    assert template.render(Context({"x": D("12345678.9")})) == (
        "¥12,345,678.90|¥1,234.57万|壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角|¥12,345,678.90/㎡"
    )
    assert template.render(Context({"x": "2420500.00"})).startswith("¥2,420,500.00|¥242.05万|")  # API strings
    for bad in (None, "", "abc", 0.5):
        assert template.render(Context({"x": bad})) == "|||"


def test_per_unit_escapes_a_unit_from_user_input():
    template = Template("{% load money %}{{ x|per_unit:unit }}")
    assert template.render(Context({"x": D("5"), "unit": "元/<b>"})) == "¥5.00/&lt;b&gt;"


def test_wan_filter_uses_millions_outside_chinese():
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load money %}{{ x|wan }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"x": D("12750000")})) == "¥1,275万"
    with translation.override("en"):
        assert template.render(Context({"x": D("12750000")})) == "¥12.75M"
        assert template.render(Context({"x": D("850000")})) == "¥850,000.00"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("999999.99", "¥999,999.99"),
        ("1000000", "¥1M"),
        ("2350000", "¥2.35M"),
        ("2355000", "¥2.36M"),  # half up
        ("120000000", "¥120M"),
        ("1234567890123.45", "¥1,234,567.89M"),
        ("-5000000", "-¥5M"),
    ],
)
def test_format_millions(amount, shown):
    from exchange.core.money import format_millions

    assert format_millions(D(amount)) == shown
