"""Categories (交易品种) and their own disclosure attributes, declared once.

Each category lists its attributes (`AttrSpec`): label, type, unit, whether required and
the allowed choices. The same spec validates a project's `attributes` JSON at submit,
builds the seller's form fields, renders the public page and says which attribute a unit
price (元/亩, 元/㎡, 元/吨 …) is derived from.

The data (Category, the `AttrSpec`s of every category: `SPECS`) is in `category_specs`,
re-exported here; this module holds the logic that applies it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from exchange.accounts.validators import clean_uscc
from exchange.core.errors import InvalidInput
from exchange.core.money import format_yuan, parse_money
from exchange.core.text import clean_name
from exchange.listings.category_specs import (
    BOOL,
    CHOICE,
    CODE_PREFIX,
    COMPANY,
    COMPANY_CATEGORIES,
    CONTACT,
    CONTACT_ATTRS,
    DATE,
    DECIMAL,
    FINANCIAL_ATTRS,
    FINANCIAL_BALANCE,
    FINANCIALS,
    INT,
    MAIN,
    MONEY,
    MONEY_MAX,
    NEGATIVE_OK,
    PCT,
    PERIOD_RULE,
    PHONE,
    SECTION_TITLES,
    SHAREHOLDER_TABLE,
    SHAREHOLDERS,
    SPECS,
    TABLE,
    TEXT,
    USCC,
    VALUATION,
    VALUATION_METHODS,
    WAN_YUAN,
    ZERO,
    AttrSpec,
    Balance,
    Category,
    CategorySpec,
)


def spec(category: str) -> CategorySpec:
    return SPECS[category]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


PHONE_RE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|400-?\d{3}-?\d{4}")


def clean_value(attr: AttrSpec, value: Any, *, field_name: str = "") -> Any:
    """One attribute value in its JSON form (decimals and money as strings), or InvalidInput."""
    field_name = field_name or f"attr_{attr.key}"
    label = str(attr.label)
    if attr.type == TABLE:
        return clean_table(attr, value, field_name=field_name)
    if attr.type == BOOL:
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in {"true", "1", "yes", "on", "是"}:
            return True
        if str(value).strip().lower() in {"false", "0", "no", "off", "否"}:
            return False
        raise InvalidInput(_("%(label)s：请选择“是”或“否”。") % {"label": label}, field=field_name)
    if attr.type == MONEY:
        return _clean_money(attr, value, field_name=field_name)
    if attr.type in (INT, DECIMAL):
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise InvalidInput(_("%(label)s：请输入数字。") % {"label": label}, field=field_name) from exc
        if not number.is_finite():
            raise InvalidInput(_("%(label)s：请输入数字。") % {"label": label}, field=field_name)
        if attr.type == INT and number != number.to_integral_value():
            raise InvalidInput(_("%(label)s：请输入整数。") % {"label": label}, field=field_name)
        _bounds(attr, number, field_name=field_name)
        if abs(number) >= Decimal("1e15"):
            raise InvalidInput(_("%(label)s数值过大。") % {"label": label}, field=field_name)
        if attr.type == INT:
            return int(number)
        return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    if attr.type == DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise InvalidInput(
                _("%(label)s：请输入日期（如 2026-01-31）。") % {"label": label}, field=field_name
            ) from exc
    text = str(value)
    if attr.multiline:
        text = " ".join(text.split())
    text = clean_name(text, field=field_name, label=label)  # NFC, no invisible or control characters
    if len(text) > attr.max_length:
        raise InvalidInput(
            _("%(label)s：内容过长（最多%(n)s字）。") % {"label": label, "n": attr.max_length}, field=field_name
        )
    if attr.type == CHOICE and text not in dict(attr.choices):
        raise InvalidInput(_("%(label)s：请从选项中选择。") % {"label": label}, field=field_name)
    if attr.type == PHONE:
        text = text.replace(" ", "").replace("－", "-")
        if not PHONE_RE.fullmatch(text):
            raise InvalidInput(
                _("%(label)s：请输入手机号或带区号的固定电话（如 0351-1234567）。") % {"label": label},
                field=field_name,
            )
    if attr.type == USCC:
        try:
            text = clean_uscc(text)
        except InvalidInput as exc:
            raise InvalidInput(f"{label}：{exc.message}", field=field_name) from exc
    return text


def _bounds(attr: AttrSpec, number: Decimal, *, field_name: str) -> None:
    label = str(attr.label)
    if attr.min_value is not None and number < attr.min_value:
        raise InvalidInput(_("%(label)s不能小于 %(min)s。") % {"label": label, "min": attr.min_value}, field=field_name)
    if attr.max_value is not None and number > attr.max_value:
        raise InvalidInput(_("%(label)s不能大于 %(max)s。") % {"label": label, "max": attr.max_value}, field=field_name)


def _clean_money(attr: AttrSpec, value: Any, *, field_name: str) -> str:
    """An amount in yuan, to the fen (`core.money.parse_money`), within the attribute's bounds
    (never below −MONEY_MAX nor above MONEY_MAX); stored as a string with two decimals."""
    label = str(attr.label)
    low = attr.min_value if attr.min_value is not None else ZERO
    try:
        amount = parse_money(str(value), allow_negative=low < 0, field=field_name)
    except InvalidInput as exc:
        raise InvalidInput(f"{label}：{exc.message}", field=field_name) from exc
    if amount < low:
        raise InvalidInput(_("%(label)s不能为负数。") % {"label": label}, field=field_name)
    if abs(amount) > MONEY_MAX or (attr.max_value is not None and amount > attr.max_value):
        raise InvalidInput(_("%(label)s数值过大。") % {"label": label}, field=field_name)
    return f"{amount:.2f}"


def clean_table(attr: AttrSpec, value: Any, *, field_name: str) -> list[dict[str, Any]]:
    """The rows of a table attribute (股权结构): a list of {column: value}, blank rows
    dropped, every column of a kept row filled, at most `max_rows`, no name twice, and the
    sum column within `sum_max` (持股比例合计 ≤ 100%)."""
    label = str(attr.label)
    if not isinstance(value, list | tuple) or not all(isinstance(row, dict) for row in value):
        raise InvalidInput(_("%(label)s：格式错误。") % {"label": label}, field=field_name)
    rows = [row for row in value if any(not _is_blank(row.get(c.key)) for c in attr.columns)]
    if len(rows) > attr.max_rows:
        raise InvalidInput(_("%(label)s：最多填写%(n)s行。") % {"label": label, "n": attr.max_rows}, field=field_name)
    cleaned: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        out: dict[str, Any] = {}
        for column in attr.columns:
            cell = row.get(column.key)
            if _is_blank(cell):
                raise InvalidInput(
                    _("%(label)s第%(n)s行：请填写%(column)s。") % {"label": label, "n": number, "column": column.label},
                    field=field_name,
                )
            try:
                out[column.key] = clean_value(column, cell, field_name=field_name)
            except InvalidInput as exc:
                raise InvalidInput(
                    _("%(label)s第%(n)s行：%(error)s") % {"label": label, "n": number, "error": exc.message},
                    field=field_name,
                ) from exc
        cleaned.append(out)
    first = attr.columns[0].key
    names = [row[first] for row in cleaned]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise InvalidInput(
            _("%(label)s：%(name)s填写了不止一次。") % {"label": label, "name": repeated}, field=field_name
        )
    if attr.sum_column and attr.sum_max is not None:
        total = sum((Decimal(str(row[attr.sum_column])) for row in cleaned), ZERO)
        if total > attr.sum_max:
            column = next(c for c in attr.columns if c.key == attr.sum_column)
            raise InvalidInput(
                _("%(label)s：%(column)s合计为%(total)s%(unit)s，不能超过%(max)s%(unit)s。")
                % {"label": label, "column": column.label, "total": _plain(total), "max": _plain(attr.sum_max),
                   "unit": column.unit},
                field=field_name,
            )  # fmt: skip
    return cleaned


def _plain(number: Decimal) -> str:
    return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")


def clean_attributes(category: str, raw: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """Validate a category's attributes; unknown keys are dropped.

    Always: types, bounds, the table rules (股权结构 ≤ 100%) and the balances (资产总额 −
    负债总额 = 所有者权益) where all three are given. complete=False (drafts) accepts missing
    values; complete=True (submit) requires every required attribute (a required table at
    least one row) and checks the ranges (下限 ≤ 上限).
    """
    if category not in SPECS:
        raise InvalidInput(_("请选择交易品种。"), field="category")
    cat = SPECS[category]
    cleaned: dict[str, Any] = {}
    for attr in cat.attrs:
        value = raw.get(attr.key)
        if _is_blank(value) or (attr.type == TABLE and not value):
            if complete and attr.required:
                raise InvalidInput(_("请填写%(label)s。") % {"label": attr.label}, field=f"attr_{attr.key}")
            continue
        value = clean_value(attr, value)
        if attr.type == TABLE and not value:
            if complete and attr.required:
                raise InvalidInput(_("请填写%(label)s。") % {"label": attr.label}, field=f"attr_{attr.key}")
            continue
        cleaned[attr.key] = value
    labels = cat.by_key()
    for balance in cat.balances:
        if all(key in cleaned for key in (balance.total, balance.part, balance.rest)):
            expected = Decimal(cleaned[balance.total]) - Decimal(cleaned[balance.part])
            if Decimal(cleaned[balance.rest]) != expected:
                raise InvalidInput(
                    _("%(rest)s应等于%(total)s减%(part)s（%(expected)s），请核对审计报告。")
                    % {"rest": labels[balance.rest].label, "total": labels[balance.total].label,
                       "part": labels[balance.part].label, "expected": format_yuan(expected)},
                    field=f"attr_{balance.rest}",
                )  # fmt: skip
    if complete:
        for low, high in cat.ranges:
            if low in cleaned and high in cleaned and Decimal(str(cleaned[low])) > Decimal(str(cleaned[high])):
                raise InvalidInput(
                    _("%(low)s不能大于%(high)s。") % {"low": labels[low].label, "high": labels[high].label},
                    field=f"attr_{low}",
                )
    return cleaned


def unit_price(category: str, attributes: dict[str, Any], price: Decimal | None) -> tuple[Decimal | None, str]:
    """(price per unit, unit label) where the category has a quantity, else (None, "")."""
    cat = SPECS.get(category)
    if cat is None or not cat.unit_price_attr or price is None:
        return None, ""
    try:
        quantity = Decimal(str(attributes.get(cat.unit_price_attr)))
    except (InvalidOperation, TypeError):
        return None, ""
    if not quantity.is_finite() or quantity <= 0:
        return None, ""
    unit = str(cat.unit_price_unit) if cat.unit_price_unit else "元/" + str(attributes.get(cat.unit_attr, ""))
    return (price / quantity).quantize(Decimal("0.01")), unit


def _shown(attr: AttrSpec, value: Any) -> str:
    """A value as text with its unit (money as ¥1,234.00, a table as "A 60%；B 40%")."""
    if attr.type == BOOL:
        return str(_("是")) if value else str(_("否"))
    if attr.type == CHOICE:
        return attr.choice_label(value)
    if attr.type == MONEY:
        try:
            return format_yuan(str(value))
        except (TypeError, ValueError):
            return str(value)
    if attr.type == TABLE:
        return "；".join(" ".join(_shown(c, row.get(c.key, "")) for c in attr.columns) for row in value or [])
    if attr.unit is WAN_YUAN and not (get_language() or "zh").startswith("zh"):
        try:  # 万 means nothing to an English reader: 3000 万元 is ¥30,000,000.00
            return format_yuan(Decimal(str(value)) * 10000)
        except (TypeError, ValueError, ArithmeticError):
            return str(value)
    return f"{value}{' ' + str(attr.unit) if attr.unit and attr.unit != '%' else attr.unit}"


def display_attributes(
    category: str, attributes: dict[str, Any], *, section: str | None = None
) -> list[tuple[str, str]]:
    """(label, shown value with unit) of every attribute that has a value, as text (notices,
    the API); `section` limits it to one section (MAIN: the category's own 标的信息)."""
    out = []
    for attr in SPECS[category].attrs:
        if attr.key not in attributes or (section is not None and attr.section != section):
            continue
        out.append((str(attr.label), _shown(attr, attributes[attr.key])))
    return out


@dataclass
class Row:
    label: str
    value: Any  # money: a Decimal for the page's money filter; otherwise the text shown
    money: bool = False
    tel: str = ""  # a phone number to call (tel: link)


@dataclass
class TableRow:
    cells: list[str]
    percent: Decimal | None = None  # the sum column's value (股权结构: a bar per shareholder)


@dataclass
class Table:
    columns: list[str]
    rows: list[TableRow]
    total: str = ""


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def disclosure_sections(
    category: str,
    attributes: dict[str, Any],
    *,
    valuation: Decimal | None = None,
    valuation_date: dt.date | None = None,
) -> list[Section]:
    """The sections after 标的信息 (企业基本情况, 股权结构, 财务指标, 评估情况, 联系方式) with
    the values given, for the project, staff and seller pages. `valuation` (the project's
    评估价) and its date join the 评估情况 with the 增值率 over the book value."""
    cat = SPECS[category]
    out: list[Section] = []
    for key, attrs in cat.sections():
        if key == MAIN:
            continue
        section = Section(key, cat.section_title(key))
        if key == VALUATION:
            if valuation_date is not None:
                section.rows.append(Row(str(_("评估基准日")), valuation_date.isoformat()))
            if valuation is not None:
                label = _("转让标的对应评估值") if category == Category.EQUITY else _("评估值")
                section.rows.append(Row(str(label), valuation, money=True))
        for attr in attrs:
            value = attributes.get(attr.key)
            if value in (None, "", []):
                continue
            if attr.type == TABLE and isinstance(value, list):
                section.tables.append(_table(attr, value))
            elif attr.type == MONEY:
                section.rows.append(Row(str(attr.label), Decimal(str(value)), money=True))
            elif attr.type == PHONE:
                section.rows.append(Row(str(attr.label), str(value), tel=str(value).replace("-", "")))
            else:
                section.rows.append(Row(str(attr.label), _shown(attr, value)))
        if key == VALUATION:
            section.rows.extend(_appreciation(category, attributes, valuation))
        if section.rows or section.tables:
            out.append(section)
    return out


def _table(attr: AttrSpec, value: list[dict[str, Any]]) -> Table:
    rows = []
    for row in value:
        cells = [f"{_plain(Decimal(str(row.get(c.key, 0))))}{c.unit}" if c.type == DECIMAL else _shown(c, row.get(c.key, ""))
                 for c in attr.columns]  # fmt: skip
        percent = Decimal(str(row.get(attr.sum_column, 0))) if attr.sum_column else None
        rows.append(TableRow(cells, percent))
    total = ""
    if attr.sum_column:
        column = next(c for c in attr.columns if c.key == attr.sum_column)
        total = f"{_plain(sum((r.percent or ZERO for r in rows), ZERO))}{column.unit}"
    return Table(columns=[str(c.label) for c in attr.columns], rows=rows, total=total)


def _appreciation(category: str, attributes: dict[str, Any], valuation: Decimal | None) -> list[Row]:
    """增值率 = (评估值 − 账面值) ÷ 账面值 (a company: its net assets; otherwise the asset)."""
    book = attributes.get("val_book_value")
    appraised = attributes.get("val_appraised_value") if category in COMPANY_CATEGORIES else valuation
    if book in (None, "") or appraised in (None, ""):
        return []
    book_value, appraised_value = Decimal(str(book)), Decimal(str(appraised))
    if book_value <= 0:
        return []
    rate = ((appraised_value - book_value) / book_value * 100).quantize(Decimal("0.01"))
    return [Row(str(_("增值率")), f"{rate}%")]


__all__ = [
    "BOOL",
    "CHOICE",
    "CODE_PREFIX",
    "COMPANY",
    "COMPANY_CATEGORIES",
    "CONTACT",
    "CONTACT_ATTRS",
    "DATE",
    "DECIMAL",
    "FINANCIALS",
    "FINANCIAL_ATTRS",
    "FINANCIAL_BALANCE",
    "INT",
    "MAIN",
    "MONEY",
    "MONEY_MAX",
    "NEGATIVE_OK",
    "PCT",
    "PERIOD_RULE",
    "PHONE",
    "PHONE_RE",
    "SECTION_TITLES",
    "SHAREHOLDERS",
    "SHAREHOLDER_TABLE",
    "SPECS",
    "TABLE",
    "TEXT",
    "USCC",
    "VALUATION",
    "VALUATION_METHODS",
    "ZERO",
    "AttrSpec",
    "Balance",
    "Category",
    "CategorySpec",
    "Row",
    "Section",
    "Table",
    "TableRow",
    "clean_attributes",
    "clean_table",
    "clean_value",
    "disclosure_sections",
    "display_attributes",
    "spec",
    "unit_price",
]
