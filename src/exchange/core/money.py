"""Money: parsing, the one rounding rule, and the ways an exchange prints amounts.

Money is `Decimal` yuan with 2 places (`DecimalField(18, 2)`: at most 16 integer digits).
A float never gets in: `quantize_money` refuses it, because `0.1 + 0.2` is already wrong
before any rounding could fix it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Final

from django.utils.translation import gettext as _

from exchange.core.errors import InvalidInput

CENT: Final = Decimal("0.01")
MAX_INTEGER_DIGITS: Final = 16  # DecimalField(max_digits=18, decimal_places=2)
# A private context: the result must not depend on what some caller set as the thread's
# decimal context, and 40 digits leave room above the 18 a money column can hold.
_CTX: Final = Context(prec=40, rounding=ROUND_HALF_UP)

MoneyLike = Decimal | int | str


def quantize_money(value: MoneyLike) -> Decimal:
    """Round to fen (0.01) with ROUND_HALF_UP: the one rounding rule for money.

    Accepts Decimal, int or a numeric str. Raises TypeError for float (and bool),
    ValueError for a non-numeric str, NaN or Infinity. Negative zero becomes 0.00.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    result = number.quantize(CENT, context=_CTX)
    return abs(result) if result.is_zero() else result


# Full-width forms a Chinese IME produces: ０-９ ， ． － ＋ ￥ and the ideographic space.
_FULL_WIDTH: Final = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "，": ",",
        "．": ".",
        "－": "-",
        "＋": "+",
        "￥": "¥",
        "\u3000": " ",
    }
)
# Commas only as thousands separators: "1,5" is refused rather than read as 15, because
# someone who types it may well mean 1.5.
_AMOUNT_RE: Final = re.compile(
    r"(?:(?P<sign>[-+]?)¥?|¥(?P<sign2>[-+]))"  # "-¥5", "¥-5", "¥5", "-5", "5"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?"
)


def parse_money(text: str, *, allow_negative: bool = False, field: str = "amount") -> Decimal:
    """Parse an amount typed by a user into Decimal yuan with 2 places.

    Accepts "1234", "1,234.5", "1234.50", "¥1,234.56", "-¥1,234.00" (full-width digits
    and ￥ too; spaces ignored). Raises InvalidInput(field=field) for an empty or
    non-numeric text (NaN/Infinity included), misplaced commas, more than 2 decimals,
    more than 16 integer digits, or a negative amount unless allow_negative.
    """
    cleaned = "".join(text.translate(_FULL_WIDTH).split())
    if not cleaned:
        raise InvalidInput(_("请输入金额。"), field=field)
    match = _AMOUNT_RE.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(_("金额格式不正确，请输入数字，如 1,234.56。"), field=field)
    sign = match["sign"] or match["sign2"] or ""
    integer, fraction = match["int"].replace(",", ""), match["frac"] or ""
    if len(fraction) > 2:
        raise InvalidInput(_("金额最多保留两位小数（到分）。"), field=field)
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise InvalidInput(_("金额过大，整数部分最多 %(n)d 位。") % {"n": MAX_INTEGER_DIGITS}, field=field)
    amount = quantize_money(f"{sign}{integer}.{fraction or '0'}")
    if amount < 0 and not allow_negative:
        raise InvalidInput(_("金额不能为负数。"), field=field)
    return amount


def exact_money(
    value: object, *, field: str = "amount", positive: bool = False, allow_negative: bool = True
) -> Decimal:
    """The one validator for an amount that is already a number (a service's argument).

    Accepts Decimal or int (never float or bool, never NaN/Infinity), at most 2 decimals and
    16 integer digits; returns it quantized to fen. `positive=True` refuses zero and negatives,
    `allow_negative=False` refuses negatives. Raises InvalidInput(field=field) with a Chinese
    message — text a user typed goes through `parse_money` instead.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInput(_("金额必须是数值。"), field=field)
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInput(_("金额必须是数值。"), field=field)
    if number != number.quantize(CENT, context=_CTX):
        raise InvalidInput(_("金额最多保留两位小数（到分）。"), field=field)
    if len(str(int(abs(number)))) > MAX_INTEGER_DIGITS:
        raise InvalidInput(_("金额过大，整数部分最多 %(n)d 位。") % {"n": MAX_INTEGER_DIGITS}, field=field)
    amount = quantize_money(number)
    if positive and amount <= 0:
        raise InvalidInput(_("金额必须大于零。"), field=field)
    if not allow_negative and amount < 0:
        raise InvalidInput(_("金额不能为负数。"), field=field)
    return amount


def format_yuan(value: MoneyLike) -> str:
    """Format as "¥1,234,567.00", negative as "-¥1,234.00" (parse_money reads both back)."""
    amount = quantize_money(value)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


WAN: Final = Decimal(10000)


def format_wan(value: MoneyLike) -> str:
    """The compact form, for a line too narrow for the full amount: 12345678 → "¥1,234.57万".

    From 1万 up: the amount in 万, rounded ROUND_HALF_UP to 2 decimals (of the fen-exact
    amount) with trailing zeros dropped (¥235万, ¥12.5万); below 1万 the full amount
    (¥8,500.00), which is short already. A reader sees "¥" in front of every amount on
    the platform, in either form.
    """
    return _compact(value, WAN, "万")


MILLION: Final = Decimal(1000000)


def format_millions(value: MoneyLike) -> str:
    """The compact form for English pages, where 万 means nothing: 14440000 → "¥14.44M".

    From one million up: the amount in millions, 2 decimals ROUND_HALF_UP, trailing zeros
    dropped (¥2.35M, ¥120M); below a million the full amount (¥850,000.00).
    """
    return _compact(value, MILLION, "M")


def _compact(value: MoneyLike, unit: Decimal, suffix: str) -> str:
    """The amount in `unit`s from one unit up (2 decimals half up, trailing zeros dropped, then
    `suffix`), the full amount below."""
    amount = quantize_money(value)
    if abs(amount) < unit:
        return format_yuan(amount)
    units = abs(amount / unit).quantize(CENT, context=_CTX)
    text = f"{units:,.2f}".rstrip("0").rstrip(".")
    return f"{'-' if amount < 0 else ''}¥{text}{suffix}"


def format_per_unit(value: MoneyLike, unit: str) -> str:
    """A unit price in the one money format: (12051.57, "元/㎡") → "¥12,051.57/㎡".

    `unit` is how listings store it ("元/㎡", "元/亩", "元/吨"): the "元" is the ¥ already
    printed, so only "/㎡" follows; a unit without it follows after a space.
    """
    text = format_yuan(value)
    return text + unit[1:] if unit.startswith("元/") else f"{text} {unit}".rstrip()


_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_IN_SECTION: Final = ("仟", "佰", "拾", "")
_SECTIONS: Final = ("亿", "万", "")
MAX_UPPER: Final = Decimal("999999999999.99")  # 9999亿…: the largest amount a 亿 section holds


def to_chinese_upper(value: MoneyLike) -> str:
    """大写金额 as written on contracts and cheques (《支付结算办法》 writing rules).

    Conventions where the rules leave a choice (one of each, used throughout):
    - 整 only after 元: 1000 → "壹仟元整", 10.50 → "壹拾元伍角" (no 整 after 角), and
      never after 分.
    - 零 stands for a run of zeros between non-zero digits (壹仟零伍元整, 壹亿零壹元整) and
      after 元 when 角 is 0 but 分 is not (壹佰元零伍分, required by the rules); it is
      not written where the rules make it optional: before a 仟 that opens a section
      (壹拾万伍仟元整) and between 元 and a non-zero 角 (壹仟陆佰捌拾元叁角贰分).
    - 10–19 are written 壹拾…, as on cheques.
    - Less than one yuan has no 元: 0.5 → "伍角", 0.05 → "伍分"; zero is "零元整".
    - Negative amounts are prefixed 负.
    Raises ValueError above 9999亿 (999,999,999,999.99 yuan).
    """
    amount = quantize_money(value)
    if abs(amount) > MAX_UPPER:
        raise ValueError(f"amount beyond 9999亿: {amount}")
    if amount.is_zero():
        return "零元整"
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    out = "负" if amount < 0 else ""
    if yuan:
        out += _integer_upper(yuan) + "元"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    elif not jiao:
        out += "整"
    return out


def _integer_upper(number: int) -> str:
    """Chinese upper-case digits of 1 ≤ number < 10**12, read by 4-digit sections."""
    out = ""
    zero_pending = False  # zeros skipped since the last digit written
    text = f"{number:012d}"
    for s, unit in enumerate(_SECTIONS):
        section = text[s * 4 : s * 4 + 4]
        follows_digits = s > 0 and text[s * 4 - 4 : s * 4] != "0000"
        for i, ch in enumerate(section):
            if ch == "0":
                zero_pending = zero_pending or bool(out)
                continue
            # Zeros ending at a section's 仟 right after a non-zero section read without
            # 零 (壹拾万伍仟); zeros inside a section or over a whole one need it
            # (壹仟零伍, 壹亿零壹仟: without 零 that would read as 1.1亿).
            if zero_pending and not (i == 0 and follows_digits):
                out += "零"
            zero_pending = False
            out += _DIGITS[int(ch)] + _IN_SECTION[i]
        if section != "0000":
            out += unit
    return out
