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
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
# What each of our fields means, for finance (the import page, the templates, the back office).
FIELD_LABELS: dict[str, Any] = {
    "date": gettext_lazy("交易日期"),
    "time": gettext_lazy("交易时间"),
    "amount": gettext_lazy("收入金额（贷方）"),
    "debit": gettext_lazy("支出金额（借方）"),
    "payer_name": gettext_lazy("付款户名"),
    "payer_account": gettext_lazy("付款账号"),
    "payer_bank": gettext_lazy("付款行"),
    "virtual_account": gettext_lazy("收款子账号"),
    "remark": gettext_lazy("摘要/附言"),
    "bank_txn_id": gettext_lazy("银行流水号"),
}
FIELD_HELP: dict[str, Any] = {
    "date": gettext_lazy("入账日期；也可是“日期 时间”"),
    "time": gettext_lazy("入账时间，如 09:30:00"),
    "amount": gettext_lazy("来款金额，最多两位小数；支出行留空"),
    "debit": gettext_lazy("支出金额；有值的行记为非入账款项，不参与匹配"),
    "payer_name": gettext_lazy("付款人名称"),
    "payer_account": gettext_lazy("付款人账号，退款时原路退回"),
    "payer_bank": gettext_lazy("付款人开户行"),
    "virtual_account": gettext_lazy("来款进入的虚拟子账号（16 位），按它匹配保证金与价款；为空时从摘要中识别"),
    "remark": gettext_lazy("摘要、用途或附言"),
    "bank_txn_id": gettext_lazy("银行的交易流水号，用于识别重复导入"),
}
# Headings many banks use for each field. A profile's own heading is tried first, then its
# extra synonyms (`BankProfile.synonyms`), then these. Compared after `normalize_heading`.
COMMON_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "入账日期", "日期", "发生日期", "账务日期", "交易日"),
    "time": ("交易时间", "记账时间", "入账时间", "时间"),
    "amount": ("贷方金额", "贷方发生额", "收入金额", "收入", "来账金额", "入账金额", "贷方", "收款金额"),
    "debit": ("借方金额", "借方发生额", "支出金额", "支出", "往账金额", "借方", "付款金额"),
    "payer_name": (
        "对方户名",
        "对方单位名称",
        "对方名称",
        "对方账户名称",
        "付款人名称",
        "付款户名",
        "付款方户名",
        "付款人",
    ),
    "payer_account": ("对方账号", "对方账户", "付款人账号", "付款账号", "付款方账号"),
    "payer_bank": ("对方开户行", "对方行名", "对方开户银行", "付款行", "付款人开户行", "付款行名称"),
    "virtual_account": (
        "收款子账号",
        "子账号",
        "虚拟子账号",
        "虚拟账号",
        "入账子账号",
        "收款虚拟账号",
        "子账户",
        "虚拟子账户",
    ),
    "remark": ("摘要", "用途", "附言", "备注", "交易摘要", "摘要/附言", "交易附言"),
    "bank_txn_id": ("交易流水号", "银行流水号", "流水号", "凭证号", "交易参考号", "业务流水号", "交易序号"),
}
VIRTUAL_ACCOUNT_RE = re.compile(r"(?<!\d)(\d{16})(?!\d)")
MAX_ERRORS = 50
HEADER_SEARCH_ROWS = 20


class StatementInvalid(InvalidInput):
    """The file was refused; `errors` lists (line number, reason). Nothing was imported.
    `layout` is how the header row closest to the profile's was understood, when there was one."""

    code = "statement_invalid"

    def __init__(self, errors: Sequence[tuple[int, str]], layout: Layout | None = None) -> None:
        self.errors = list(errors)[:MAX_ERRORS]
        self.layout = layout
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
    from openpyxl import load_workbook  # imported for an Excel file only: slow to load (as in core.spreadsheet)

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


_UNIT_SUFFIX = re.compile(r"\((?:元|人民币|人民币元|rmb|cny|yuan)\)$")


def normalize_heading(text: str) -> str:
    """A column heading as compared: full-width forms folded (NFKC), spaces, a trailing colon
    and a unit such as “（元）” dropped, Latin letters lower-cased."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = re.sub(r"\s+", "", folded).rstrip(":").lower()
    return _UNIT_SUFFIX.sub("", folded)


def accepted_headings(profile: Any) -> dict[str, list[str]]:
    """Per field, the headings a file may use, in the order they are tried: the profile's own
    heading, the profile's extra synonyms, then the common ones (`COMMON_SYNONYMS`)."""
    columns: dict[str, str] = dict(profile.columns or {})
    extra: dict[str, Any] = dict(getattr(profile, "synonyms", None) or {})
    out: dict[str, list[str]] = {}
    for field in FIELDS:
        names = [columns.get(field, ""), *_as_list(extra.get(field)), *COMMON_SYNONYMS.get(field, ())]
        seen: dict[str, str] = {}
        for name in names:
            key = normalize_heading(str(name))
            if key and key not in seen:
                seen[key] = str(name).strip()
        out[field] = list(seen.values())
    return out


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in re.split(r"[,，、;；\n]", value) if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return []


@dataclass(frozen=True)
class Column:
    """One column of the file's header row and how it was understood."""

    index: int
    heading: str
    field: str  # "" = not used
    how: str  # "profile" (the profile's own heading), "synonym", "" (not used)

    @property
    def label(self) -> Any:
        return FIELD_LABELS.get(self.field, "")


@dataclass(frozen=True)
class Layout:
    """The header row of a file: its line number and each column's meaning."""

    line_no: int
    columns: tuple[Column, ...]
    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]

    @property
    def index(self) -> dict[str, int]:
        return {c.field: c.index for c in self.columns if c.field}

    @property
    def complete(self) -> bool:
        return not self.missing_required

    def missing_labels(self) -> list[Any]:
        return [FIELD_LABELS[f] for f in self.missing_required]


def match_header(row: Sequence[str], profile: Any, *, line_no: int = 1) -> Layout:
    """Which field each cell of a candidate header row holds. The profile's own headings
    win; then synonyms in the order of `accepted_headings`; a cell serves one field only."""
    accepted = accepted_headings(profile)
    cells = [normalize_heading(c) for c in row]
    taken: dict[int, tuple[str, str]] = {}
    found: set[str] = set()
    own = {f: normalize_heading(str((profile.columns or {}).get(f, ""))) for f in FIELDS}
    for field in FIELDS:  # first pass: the profile's own headings
        if own[field] and own[field] in cells:
            i = cells.index(own[field])
            if i not in taken:
                taken[i] = (field, "profile")
                found.add(field)
    for field in FIELDS:  # then the synonyms
        if field in found:
            continue
        for name in accepted[field]:
            key = normalize_heading(name)
            hit = next((j for j, c in enumerate(cells) if c == key and j not in taken), None)
            if hit is not None:
                taken[hit] = (field, "synonym")
                found.add(field)
                break
    columns = tuple(
        Column(index=i, heading=str(row[i]).strip(), field=taken.get(i, ("", ""))[0], how=taken.get(i, ("", ""))[1])
        for i in range(len(row))
        if str(row[i]).strip()
    )
    return Layout(
        line_no=line_no,
        columns=columns,
        missing_required=tuple(f for f in REQUIRED if f not in found),
        missing_optional=tuple(f for f in FIELDS if f not in REQUIRED and f not in found),
    )


@dataclass(frozen=True)
class ReadStatement:
    """A whole statement file, checked: its lines, encoding and header layout."""

    lines: list[ParsedLine]
    encoding: str
    layout: Layout


def read_statement(data: bytes, *, file_name: str, profile: Any) -> ReadStatement:
    """Parse and validate a whole statement file (see `parse_statement`), with the layout."""
    if not data:
        raise StatementInvalid([(1, _("文件为空"))])
    is_excel = file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK"
    rows, encoding = _rows_excel(data) if is_excel else _rows_csv(data)
    layout: Layout | None = None
    errors: list[tuple[int, str]] = []
    lines: list[ParsedLine] = []
    candidate: Layout | None = None  # the header-like row closest to the profile's, for the message
    try:
        for line_no, raw in enumerate(rows, start=1):
            row = [c.strip() for c in raw]
            if layout is None:
                # The header is the first row holding every required column (banks put
                # titles, account numbers and periods above it).
                seen = match_header(row, profile, line_no=line_no)
                named = sum(1 for c in seen.columns if c.field)
                if named and (candidate is None or named > sum(1 for c in candidate.columns if c.field)):
                    candidate = seen
                if seen.complete and (not profile.header_contains or any(profile.header_contains in c for c in row)):
                    layout = seen
                elif line_no >= HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(row):
                continue
            try:
                lines.append(_line(line_no, row, layout.index, profile))
            except ValueError as exc:
                errors.append((line_no, str(exc)))
                if len(errors) >= MAX_ERRORS:
                    break
    except csv.Error as exc:
        errors.append((0, _("CSV 格式错误：%(e)s") % {"e": exc}))
    if layout is None and not errors:
        accepted = accepted_headings(profile)
        if candidate is not None:
            missing = [
                _("%(label)s（列名可为：%(names)s）") % {"label": FIELD_LABELS[f], "names": "、".join(accepted[f][:6])}
                for f in candidate.missing_required
            ]
            if missing:
                errors.append((candidate.line_no, _("缺少列：%(cols)s") % {"cols": "；".join(missing)}))
            else:
                errors.append((candidate.line_no, _("表头行须包含“%(text)s”") % {"text": profile.header_contains}))
        else:
            names = "、".join(accepted[f][0] for f in FIELDS if accepted[f])
            errors.append(
                (1, _("找不到表头行（前 %(n)d 行中应有这些列：%(cols)s）") % {"n": HEADER_SEARCH_ROWS, "cols": names})
            )
    if errors:
        raise StatementInvalid(errors, layout or candidate)
    assert layout is not None
    if not lines:
        raise StatementInvalid([(layout.line_no, _("对账单没有交易明细"))], layout)
    return ReadStatement(lines=lines, encoding=encoding, layout=layout)


def parse_statement(data: bytes, *, file_name: str, profile: Any) -> tuple[list[ParsedLine], str]:
    """Parse and validate a whole statement file. Returns (lines, encoding).

    Raises StatementInvalid with (line number, reason) for: unknown encoding, no header
    row with the profile's columns (or their synonyms), a bad date, time or amount (more
    than 2 decimals, negative), a line with neither credit nor debit. Line numbers are the
    file's own (1 = the first line of the file).
    """
    read = read_statement(data, file_name=file_name, profile=profile)
    return read.lines, read.encoding


def template_rows(profile: Any) -> tuple[list[str], list[list[str]]]:
    """The header of a profile's template file, and the explanation rows (one per column)."""
    columns: dict[str, str] = dict(profile.columns or {})
    accepted = accepted_headings(profile)
    fields = [f for f in FIELDS if columns.get(f)]
    header = [columns[f] for f in fields]
    fmt = {"date": profile.date_format, "time": profile.time_format}
    notes = []
    for f in fields:
        example = ""
        if f in fmt:
            example = _("格式：%(f)s") % {"f": human_format(fmt[f])}
        notes.append(
            [
                columns[f],
                str(FIELD_LABELS[f]),
                str(_("必填")) if f in REQUIRED else str(_("选填")),
                str(FIELD_HELP[f]) + ("；" + example if example else ""),
                "、".join(n for n in accepted[f] if normalize_heading(n) != normalize_heading(columns[f])),
            ]
        )
    return header, notes


_FORMAT_PARTS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "mm", "%S": "ss", "%y": "YY"}


def human_format(fmt: str) -> str:
    """`%Y%m%d` → `YYYYMMDD`, as finance reads it."""
    for code, text in _FORMAT_PARTS.items():
        fmt = fmt.replace(code, text)
    return fmt


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
