from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core.errors import InvalidInput
from exchange.core.money import format_wan, format_yuan, parse_money, quantize_money, to_chinese_upper

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
    ("value", "places", "expected"),
    [
        (12345678, 2, "1,234.57万元"),
        (10000, 2, "1.00万元"),  # trailing zeros kept: columns line up
        (D("50"), 2, "0.01万元"),  # 0.005万 rounds half up
        (D("49.99"), 2, "0.00万元"),
        (12345678, 4, "1,234.5678万元"),
        (12345678, 0, "1,235万元"),
        (-12345678, 2, "-1,234.57万元"),
    ],
)
def test_format_wan(value, places, expected):
    assert format_wan(value, places) == expected


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


# --- template filters ------------------------------------------------------------------------


def test_template_filters_render_and_fail_quietly():
    template = Template("{% load money %}{{ x|yuan }}|{{ x|wan }}|{{ x|wan:4 }}|{{ x|daxie }}")
    assert template.render(Context({"x": D("12345678.9")})) == (
        "¥12,345,678.90|1,234.57万元|1,234.5679万元|壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"
    )
    for bad in (None, "", "abc", 0.5):
        assert template.render(Context({"x": bad})) == "|||"


def test_wan_filter_shows_whole_yuan_outside_chinese():
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load money %}{{ x|wan }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"x": D("12750000")})) == "1,275.00万元"
    with translation.override("en"):
        assert template.render(Context({"x": D("12750000")})) == "¥12,750,000.00"
