"""The browser prints money and moments as the server does: js/format.js run in Chromium over
thousands of generated amounts (zero-rich digit patterns, 角分, negatives, half-up rounding,
the largest column values), texts a user may type, and moments around "today", compared with
exchange.core.money and exchange.core.moments (issue 15, items 3, 4 and 11)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D
from pathlib import Path

from exchange.core.errors import InvalidInput
from exchange.core.moments import format_moment
from exchange.core.money import MAX_UPPER, format_wan, format_yuan, parse_money, to_chinese_upper

FORMAT_JS = Path(__file__).resolve().parents[2] / "src" / "exchange" / "static" / "js" / "format.js"


def _amounts(n: int) -> list[str]:
    rng = random.Random(15)
    out = ["0", "0.00", "-0.00", "2350000.00", "100001000", "105000", "1005", "100.05", "0.5", "0.05",
           "10.50", "1680.32", "999999999999.99", "1000000000000", "9999999999999999.99", "-9999999999999999.99",
           "9999.995", "10049.99", "10050", "1.005", "-1.005", "2.004", "123456789.125"]  # fmt: skip
    for _ in range(n):
        digits = "".join(rng.choice("0000000123456789") for _ in range(rng.randint(0, 16))).lstrip("0") or "0"
        places = rng.choice((2, 2, 2, 0, 1, 3))
        frac = "".join(rng.choice("0000123456789") for _ in range(places))
        sign = "-" if rng.random() < 0.1 else ""
        out.append(f"{sign}{digits}" + (f".{frac}" if places else ""))
    return out


def _typed(n: int) -> list[str]:
    rng = random.Random(3)
    out = ["", " ", "1,234.5", "¥1,234.56", "-¥5", "¥-5", "-5", "+5", "1,5", "12,34", "1.234", "１２３４．５",
           "￥２,３５０,０００", "2 350 000", "abc", "1e5", "NaN", ".5", "5.", "0", "-0", "00012",
           "12345678901234567", "1234567890123456", "1,234,567,890,123,456.78", "¥ 1,000", "1\u30002"]  # fmt: skip
    alphabet = "0123456789,.,-¥ "
    for _ in range(n):
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return out


def _python_parse(text: str) -> str | None:
    try:
        return str(int(parse_money(text) * 100))
    except InvalidInput:
        return None


def test_format_js_agrees_with_the_server(page):  # type: ignore[no-untyped-def]
    page.set_content('<html lang="zh-hans"><body></body></html>')
    page.add_script_tag(path=str(FORMAT_JS))
    amounts, typed = _amounts(6000), _typed(3000)
    now = dt.datetime(2026, 12, 7, 10, 30, tzinfo=dt.UTC)
    rng = random.Random(4)
    moments = [
        (now + dt.timedelta(seconds=rng.randint(-400 * 86400, 400 * 86400))).astimezone(
            dt.timezone(dt.timedelta(hours=8))
        )
        for _ in range(2000)
    ]
    isos = [m.isoformat(timespec=rng.choice(("seconds", "microseconds"))) for m in moments]
    js = page.evaluate(
        """([amounts, typed, isos, nowMs]) => {
            const F = window.ExchangeFormat;
            return {
                yuan: amounts.map(a => F.yuan(a)),
                wan: amounts.map(a => F.wan(a)),
                daxie: amounts.map(a => F.daxie(a)),
                parse: typed.map(t => { const c = F.parse(t); return c === null ? null : c.toString(); }),
                moment: isos.map(i => F.moment(i, nowMs)),
            };
        }""",
        [amounts, typed, isos, int(now.timestamp() * 1000)],
    )
    mismatches = []
    for i, a in enumerate(amounts):
        upper = to_chinese_upper(a) if abs(D(a).quantize(D("0.01"))) <= MAX_UPPER else ""
        for name, python in (("yuan", format_yuan(a)), ("wan", format_wan(a)), ("daxie", upper)):
            if js[name][i] != python:
                mismatches.append((name, a, js[name][i], python))
    for i, t in enumerate(typed):
        if js["parse"][i] != _python_parse(t):
            mismatches.append(("parse", t, js["parse"][i], _python_parse(t)))
    for i, (iso, m) in enumerate(zip(isos, moments, strict=True)):
        if js["moment"][i] != format_moment(m, now):
            mismatches.append(("moment", iso, js["moment"][i], format_moment(m, now)))
    assert not mismatches, mismatches[:20]
    # the examples of the issue
    assert js["daxie"][amounts.index("2350000.00")] == "贰佰叁拾伍万元整"
    assert sum(p is not None for p in js["parse"]) > 100  # the typed texts are not all refused
