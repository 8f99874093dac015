"""Reading bank statement files (CSV or Excel) into validated lines. No database writes.

The layout of each bank's file is a `BankProfile` (field → column header; see
docs/settlement.md). The whole file is checked before anything is imported: any bad
line refuses the file with the line number and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core.errors import DomainError, InvalidInput
from exchange.core.money import parse_money

FIELDS = (
    "date",
    "time",
    "amount",
    "debit",
    "payer_name",
    "payer_account",
    "payer_bank",
    "virtual_account",
    "remark",
    "bank_txn_id",
)
REQUIRED = ("date", "amount")
VIRTUAL_ACCOUNT_RE = re.compile(r"(?<!\d)(\d{16})(?!\d)")
MAX_ERRORS = 50
HEADER_SEARCH_ROWS = 20


class StatementInvalid(InvalidInput):
    """The file was refused; `errors` lists (line number, reason). Nothing was imported."""

    code = "statement_invalid"

    def __init__(self, errors: Sequence[tuple[int, str]]) -> None:
        self.errors = list(errors)[:MAX_ERRORS]
        first = "; ".join(_("第 %(line)d 行：%(reason)s") % {"line": n, "reason": r} for n, r in self.errors[:3])
        super().__init__(_("对账单未导入：%(first)s") % {"first": first}, errors=[list(e) for e in self.errors])


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    booked_at: dt.datetime
    amount: Decimal  # > 0: credit to the exchange's account; 0 with debit > 0: an outgoing line
    debit: Decimal
    payer_name: str
    payer_account: str
    payer_bank: str
    virtual_account: str
    remark: str
    bank_txn_id: str


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) first, then GBK (as its superset GB18030)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if b"\x00" in data[:4096]:
        raise StatementInvalid([(1, _("文件编码无法识别（支持 UTF-8 与 GBK 编码的 CSV，或 Excel 文件）"))])
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StatementInvalid([(line, _("文件编码无法识别（支持 UTF-8 与 GBK）"))]) from None


def _rows_csv(data: bytes) -> tuple[Iterator[list[str]], str]:
    text, encoding = decode(data)
    return csv.reader(io.StringIO(text, newline="")), encoding


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        return repr(value)  # amounts typed into Excel: checked for >2 decimals like any text
    return str(value)


def _rows_excel(data: bytes) -> tuple[Iterator[list[str]], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise StatementInvalid([(1, _("无法读取 Excel 文件"))]) from None
    sheet = book.worksheets[0]
    return ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)), "xlsx"


def _date(text: str, fmt: str) -> dt.date | dt.datetime:
    text = text.strip()
    for candidate in (fmt, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            parsed = dt.datetime.strptime(text, candidate)
        except ValueError:
            continue
        return parsed if " " in text or "%H" in candidate else parsed.date()
    raise ValueError(text)


def _time(text: str, fmt: str) -> dt.time:
    text = text.strip()
    for candidate in (fmt, "%H:%M:%S", "%H:%M", "%H%M%S"):
        try:
            return dt.datetime.strptime(text, candidate).time()
        except ValueError:
            continue
    raise ValueError(text)


def _amount(text: str, field: str) -> Decimal:
    text = text.strip()
    if not text or text in {"-", "--"}:
        return Decimal("0.00")
    try:
        return parse_money(text, field=field)
    except DomainError as exc:
        raise ValueError(exc.message) from None


def parse_statement(data: bytes, *, file_name: str, profile: Any) -> tuple[list[ParsedLine], str]:
    """Parse and validate a whole statement file. Returns (lines, encoding).

    Raises StatementInvalid with (line number, reason) for: unknown encoding, no header
    row with the profile's columns, a bad date, time or amount (more than 2 decimals,
    negative), a line with neither credit nor debit. Line numbers are the file's own
    (1 = the first line of the file).
    """
    if not data:
        raise StatementInvalid([(1, _("文件为空"))])
    is_excel = file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK"
    rows, encoding = _rows_excel(data) if is_excel else _rows_csv(data)
    columns: dict[str, str] = dict(profile.columns)
    missing_required = [f for f in REQUIRED if f not in columns]
    if missing_required:
        raise StatementInvalid([(0, _("对账单格式缺少必需字段：%(f)s") % {"f": ", ".join(missing_required)})])
    index: dict[str, int] | None = None
    errors: list[tuple[int, str]] = []
    lines: list[ParsedLine] = []
    candidate: tuple[int, list[str]] | None = None  # the first row naming some of our columns
    try:
        for line_no, raw in enumerate(rows, start=1):
            row = [c.strip() for c in raw]
            if index is None:
                # The header is the first row holding every required column (banks put
                # titles, account numbers and periods above it).
                header = {c: i for i, c in enumerate(row) if c}
                named = [f for f, h in columns.items() if h in header]
                if named and candidate is None:
                    candidate = (line_no, [columns[f] for f in REQUIRED if columns[f] not in header])
                if all(columns[f] in header for f in REQUIRED) and (
                    not profile.header_contains or any(profile.header_contains in c for c in row)
                ):
                    index = {f: header[h] for f, h in columns.items() if h in header}
                elif line_no >= HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(row):
                continue
            try:
                lines.append(_line(line_no, row, index, profile))
            except ValueError as exc:
                errors.append((line_no, str(exc)))
                if len(errors) >= MAX_ERRORS:
                    break
    except csv.Error as exc:
        errors.append((0, _("CSV 格式错误：%(e)s") % {"e": exc}))
    if index is None and not errors:
        if candidate is not None and candidate[1]:
            errors.append((candidate[0], _("缺少列：%(cols)s") % {"cols": "、".join(candidate[1])}))
        else:
            errors.append((1, _("找不到表头行（应包含：%(cols)s）") % {"cols": "、".join(columns.values())}))
    if errors:
        raise StatementInvalid(errors)
    if not lines:
        raise StatementInvalid([(1, _("对账单没有交易明细"))])
    return lines, encoding


def _line(line_no: int, row: list[str], index: dict[str, int], profile: Any) -> ParsedLine:
    def get(name: str) -> str:
        i = index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    try:
        when = _date(get("date"), profile.date_format)
    except ValueError:
        raise ValueError(_("日期格式不正确：“%(v)s”") % {"v": get("date")}) from None
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        clock_time = dt.time(0, 0)
        if get("time"):
            try:
                clock_time = _time(get("time"), profile.time_format)
            except ValueError:
                raise ValueError(_("时间格式不正确：“%(v)s”") % {"v": get("time")}) from None
        when = dt.datetime.combine(when, clock_time)
    try:
        credit = _amount(get("amount"), "amount")
        debit = _amount(get("debit"), "debit")
    except ValueError as exc:
        raise ValueError(_("金额不正确：%(e)s") % {"e": exc}) from None
    if credit == 0 and debit == 0:
        raise ValueError(_("没有发生额"))
    if credit and debit:
        raise ValueError(_("同一行不能同时有收入和支出"))
    remark = get("remark")
    virtual = re.sub(r"\s", "", get("virtual_account"))
    if not virtual:
        found = VIRTUAL_ACCOUNT_RE.search(remark)
        virtual = found.group(1) if found else ""
    return ParsedLine(
        line_no=line_no,
        booked_at=timezone.make_aware(when),
        amount=credit,
        debit=debit,
        payer_name=get("payer_name")[:200],
        payer_account=re.sub(r"\s", "", get("payer_account"))[:40],
        payer_bank=get("payer_bank")[:120],
        virtual_account=virtual[:24],
        remark=remark[:300],
        bank_txn_id=get("bank_txn_id")[:60],
    )


def fingerprints(lines: Sequence[ParsedLine], *, bank: str) -> list[str]:
    """A stable identity per line: the bank's transaction id when the file has one,
    otherwise its content plus its occurrence among identical lines of the file (so two
    genuinely identical payments both count, and re-importing the file matches both)."""
    seen: Counter[tuple[str, ...]] = Counter()
    out = []
    for line in lines:
        if line.bank_txn_id:
            basis: tuple[str, ...] = (bank, "txn", line.bank_txn_id)
        else:
            content = (
                bank,
                line.booked_at.isoformat(),
                str(line.amount),
                str(line.debit),
                line.payer_account,
                line.virtual_account,
                line.remark,
            )
            seen[content] += 1
            basis = (*content, str(seen[content]))
        out.append(hashlib.sha256("\x1f".join(basis).encode()).hexdigest())
    return out
