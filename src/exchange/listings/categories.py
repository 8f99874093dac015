"""Categories (交易品种) and their own disclosure attributes, declared once.

Each category lists its attributes (`AttrSpec`): label, type, unit, whether required and
the allowed choices. The same spec validates a project's `attributes` JSON at submit,
builds the seller's form fields, renders the public page and says which attribute a unit
price (元/亩, 元/㎡, 元/吨 …) is derived from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.accounts.validators import clean_uscc
from exchange.core.errors import InvalidInput
from exchange.core.money import format_yuan, parse_money
from exchange.core.text import clean_name


class Category(models.TextChoices):
    EQUITY = "equity", _("股权")
    CAPITAL_INCREASE = "capital_increase", _("增资")
    ASSET = "asset", _("实物资产")
    REAL_ESTATE = "real_estate", _("房产")
    VEHICLE = "vehicle", _("车辆")
    FOREST = "forest", _("林权")
    RURAL = "rural", _("农村产权")
    MINING = "mining", _("矿权")
    IP = "ip", _("知识产权")
    DEBT = "debt", _("债权")


# project code prefix (GQ2026-0001 …)
CODE_PREFIX: dict[str, str] = {
    Category.EQUITY: "GQ",
    Category.CAPITAL_INCREASE: "ZZ",
    Category.ASSET: "ZC",
    Category.REAL_ESTATE: "FC",
    Category.VEHICLE: "CL",
    Category.FOREST: "LQ",
    Category.RURAL: "NC",
    Category.MINING: "KQ",
    Category.IP: "ZS",
    Category.DEBT: "ZQ",
}

# which minimum-period rule applies (see services.minimum_periods)
PERIOD_RULE: dict[str, str] = {
    Category.EQUITY: "equity",
    Category.CAPITAL_INCREASE: "capital_increase",
}  # every other category: "asset"

TEXT, INT, DECIMAL, DATE, BOOL, CHOICE = "text", "int", "decimal", "date", "bool", "choice"
MONEY, PHONE, USCC, TABLE = "money", "phone", "uscc", "table"

# Sections of a project's disclosure (披露事项), in page order. "" is the category's own
# 标的信息; the others are tables of their own on the project page, in the form and on the
# staff page. A category's spec may retitle a section (增资: 增资企业基本情况).
MAIN, COMPANY, SHAREHOLDERS, FINANCIALS, VALUATION, CONTACT = (
    "", "company", "shareholders", "financials", "valuation", "contact"
)  # fmt: skip
SECTION_TITLES: dict[str, Any] = {
    MAIN: _("标的信息"),
    COMPANY: _("标的企业基本情况"),
    SHAREHOLDERS: _("股权结构"),
    FINANCIALS: _("主要财务指标（经审计）"),
    VALUATION: _("资产评估情况"),
    CONTACT: _("联系方式"),
}
MONEY_MAX = Decimal("1e14")  # 100 万亿元: above any figure a provincial exchange discloses


@dataclass(frozen=True)
class AttrSpec:
    key: str
    label: Any
    type: str = TEXT
    unit: Any = ""
    required: bool = True
    choices: tuple[tuple[str, Any], ...] = ()
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    section: str = MAIN
    max_length: int = 200
    multiline: bool = False  # a paragraph (经营范围): a textarea, whitespace collapsed
    help: Any = ""
    # TABLE: the columns of a row, how many rows, and a column whose sum is bounded
    columns: tuple[AttrSpec, ...] = ()
    max_rows: int = 0
    sum_column: str = ""
    sum_max: Decimal | None = None

    def choice_label(self, value: Any) -> str:
        return str(dict(self.choices).get(value, value))

    @property
    def form_label(self) -> str:
        if self.type == MONEY:
            return f"{self.label}（{_('元')}）"
        return f"{self.label}（{self.unit}）" if self.unit else str(self.label)


@dataclass(frozen=True)
class Balance:
    """An identity between three money attributes: total − part = rest (资产 − 负债 = 所有者权益)."""

    total: str
    part: str
    rest: str


@dataclass(frozen=True)
class CategorySpec:
    attrs: tuple[AttrSpec, ...]
    unit_price_attr: str = ""  # the quantity a unit price is derived from
    unit_price_unit: Any = ""  # e.g. 元/亩; "" = from the attribute named by unit_attr
    unit_attr: str = ""  # an attribute holding the quantity's unit (矿权 reserves_unit)
    ranges: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (min key, max key)
    balances: tuple[Balance, ...] = ()
    section_titles: tuple[tuple[str, Any], ...] = ()  # overrides of SECTION_TITLES

    def by_key(self) -> dict[str, AttrSpec]:
        return {a.key: a for a in self.attrs}

    def section_title(self, section: str) -> str:
        return str(dict(self.section_titles).get(section, SECTION_TITLES[section]))

    def sections(self) -> list[tuple[str, list[AttrSpec]]]:
        """(section key, its attributes) in page order, sections without attributes left out."""
        return [(key, [a for a in self.attrs if a.section == key]) for key in SECTION_TITLES
                if any(a.section == key for a in self.attrs)]  # fmt: skip


ZERO = Decimal("0")
PCT = (Decimal("0"), Decimal("100"))
NEGATIVE_OK = -MONEY_MAX  # 所有者权益, 净利润 and a 净资产 may be negative


def _company(name_label: Any) -> tuple[AttrSpec, ...]:
    """标的企业基本情况 of 股权 and 增资 (the company whose shares are sold or issued)."""
    return (
        AttrSpec("company", name_label, section=COMPANY),
        AttrSpec("co_uscc", _("统一社会信用代码"), USCC, section=COMPANY, required=False),
        AttrSpec(
            "co_type",
            _("企业类型"),
            CHOICE,
            section=COMPANY,
            choices=(
                ("llc", _("有限责任公司")),
                ("soe_sole", _("国有独资公司")),
                ("joint_stock", _("股份有限公司")),
                ("other", _("其他")),
            ),
        ),
        AttrSpec("co_legal_rep", _("法定代表人"), section=COMPANY, max_length=50),
        AttrSpec("co_established", _("成立日期"), DATE, section=COMPANY),
        AttrSpec("registered_capital", _("注册资本"), DECIMAL, _("万元"), min_value=ZERO, section=COMPANY),
        AttrSpec("co_address", _("住所"), section=COMPANY, required=False),
        AttrSpec("industry", _("所属行业"), section=COMPANY, required=False),
        AttrSpec(
            "co_employees", _("职工人数"), INT, _("人"), section=COMPANY, min_value=ZERO, max_value=Decimal(10**7)
        ),
        AttrSpec("co_scope", _("经营范围"), section=COMPANY, max_length=1000, multiline=True),
    )


SHAREHOLDER_TABLE = AttrSpec(
    "shareholders",
    _("股东及持股比例"),
    TABLE,
    section=SHAREHOLDERS,
    columns=(
        AttrSpec("name", _("股东名称"), max_length=100),
        AttrSpec("percent", _("持股比例"), DECIMAL, "%", min_value=Decimal("0.0001"), max_value=PCT[1]),
    ),
    max_rows=10,
    sum_column="percent",
    sum_max=PCT[1],
    help=_("前十名股东，持股比例合计不超过100%；行数不够时先保存草稿，再次编辑会增加空行。"),
)

FINANCIAL_ATTRS = (
    AttrSpec("fin_year", _("审计报告年度"), INT, section=FINANCIALS, min_value=Decimal(1990),
             max_value=Decimal(2100)),
    AttrSpec("fin_auditor", _("审计机构"), section=FINANCIALS, max_length=100),
    AttrSpec("fin_total_assets", _("资产总额"), MONEY, section=FINANCIALS, min_value=ZERO),
    AttrSpec("fin_total_liabilities", _("负债总额"), MONEY, section=FINANCIALS, min_value=ZERO),
    AttrSpec("fin_equity", _("所有者权益"), MONEY, section=FINANCIALS, min_value=NEGATIVE_OK),
    AttrSpec("fin_revenue", _("营业收入"), MONEY, section=FINANCIALS, min_value=ZERO),
    AttrSpec("fin_net_profit", _("净利润"), MONEY, section=FINANCIALS, min_value=NEGATIVE_OK),
)  # fmt: skip
FINANCIAL_BALANCE = Balance("fin_total_assets", "fin_total_liabilities", "fin_equity")

VALUATION_METHODS = (
    ("asset_based", _("资产基础法")),
    ("income", _("收益法")),
    ("market", _("市场法")),
    ("cost", _("成本法")),
    ("other", _("其他")),
)


def _valuation(*, company: bool, required: bool) -> tuple[AttrSpec, ...]:
    """资产评估情况: the appraiser and the book value; for a company also the appraised value
    of its whole net assets (the project's own 评估价 is the value of what is sold)."""
    attrs = [
        AttrSpec("val_firm", _("评估机构"), section=VALUATION, required=required, max_length=100),
        AttrSpec("val_method", _("评估方法"), CHOICE, section=VALUATION, required=False, choices=VALUATION_METHODS),
    ]
    if company:
        attrs += [
            AttrSpec(
                "val_book_value", _("净资产账面值"), MONEY, section=VALUATION, required=required, min_value=NEGATIVE_OK
            ),
            AttrSpec(
                "val_appraised_value",
                _("净资产评估值"),
                MONEY,
                section=VALUATION,
                required=required,
                min_value=NEGATIVE_OK,
            ),
            AttrSpec("val_filing", _("评估核准（备案）单位"), section=VALUATION, required=False, max_length=100),
        ]
    else:
        attrs.append(AttrSpec("val_book_value", _("账面价值"), MONEY, section=VALUATION, required=False,
                              min_value=ZERO))  # fmt: skip
    return tuple(attrs)


CONTACT_ATTRS = (
    AttrSpec("contact_name", _("转让方联系人"), section=CONTACT, max_length=50),
    AttrSpec("contact_phone", _("联系电话"), PHONE, section=CONTACT,
             help=_("手机号，或带区号的固定电话（如 0351-1234567）")),
    AttrSpec("contact_viewing", _("看样（踏勘）安排"), section=CONTACT, required=False, max_length=200),
)  # fmt: skip


SPECS: dict[str, CategorySpec] = {
    Category.EQUITY: CategorySpec(
        attrs=(
            AttrSpec("share_percent", _("转让股权比例"), DECIMAL, "%", min_value=Decimal("0.0001"), max_value=PCT[1]),
            AttrSpec("control_change", _("是否涉及实际控制权转移"), BOOL),
            *_company(_("标的企业名称")),
            SHAREHOLDER_TABLE,
            *FINANCIAL_ATTRS,
            *_valuation(company=True, required=True),
            *CONTACT_ATTRS,
        ),
        balances=(FINANCIAL_BALANCE,),
    ),
    Category.CAPITAL_INCREASE: CategorySpec(
        attrs=(
            AttrSpec("amount_min", _("拟募集资金下限"), DECIMAL, _("万元"), min_value=ZERO),
            AttrSpec("amount_max", _("拟募集资金上限"), DECIMAL, _("万元"), min_value=ZERO),
            AttrSpec("share_min", _("拟释放股权比例下限"), DECIMAL, "%", min_value=PCT[0], max_value=PCT[1]),
            AttrSpec("share_max", _("拟释放股权比例上限"), DECIMAL, "%", min_value=PCT[0], max_value=PCT[1]),
            AttrSpec("investors_min", _("拟征集投资方数量下限"), INT, _("家"), min_value=Decimal(1)),
            AttrSpec("investors_max", _("拟征集投资方数量上限"), INT, _("家"), min_value=Decimal(1)),
            AttrSpec("control_change", _("是否涉及实际控制权转移"), BOOL),
            *_company(_("增资企业名称")),
            SHAREHOLDER_TABLE,
            *FINANCIAL_ATTRS,
            *_valuation(company=True, required=False),
            *CONTACT_ATTRS,
        ),
        ranges=(("amount_min", "amount_max"), ("share_min", "share_max"), ("investors_min", "investors_max")),
        balances=(FINANCIAL_BALANCE,),
        section_titles=((COMPANY, _("增资企业基本情况")), (SHAREHOLDERS, _("增资前股权结构"))),
    ),
    Category.ASSET: CategorySpec(
        attrs=(
            AttrSpec(
                "asset_type",
                _("资产类型"),
                CHOICE,
                choices=(
                    ("equipment", _("机器设备")),
                    ("inventory", _("存货物资")),
                    ("scrap", _("废旧物资")),
                    ("other", _("其他")),
                ),
            ),
            AttrSpec("quantity", _("数量"), DECIMAL, min_value=ZERO, required=False),
            AttrSpec("quantity_unit", _("计量单位"), required=False),
            AttrSpec("location", _("存放地点")),
        )
    ),
    Category.REAL_ESTATE: CategorySpec(
        attrs=(
            AttrSpec("area_m2", _("建筑面积"), DECIMAL, "㎡", min_value=Decimal("0.01")),
            AttrSpec(
                "use",
                _("用途"),
                CHOICE,
                choices=(
                    ("residential", _("住宅")),
                    ("commercial", _("商业")),
                    ("office", _("办公")),
                    ("industrial", _("工业")),
                    ("other", _("其他")),
                ),
            ),
            AttrSpec("location", _("坐落位置")),
            AttrSpec("certificate_no", _("不动产权证号"), required=False),
        ),
        unit_price_attr="area_m2",
        unit_price_unit="元/㎡",
    ),
    Category.VEHICLE: CategorySpec(
        attrs=(
            AttrSpec("brand", _("品牌")),
            AttrSpec("model", _("型号")),
            AttrSpec("plate", _("车牌号")),
            AttrSpec("mileage_km", _("行驶里程"), INT, _("公里"), min_value=ZERO),
            AttrSpec("registration_date", _("初次登记日期"), DATE),
        )
    ),
    Category.FOREST: CategorySpec(
        attrs=(
            AttrSpec("area_mu", _("林地面积"), DECIMAL, _("亩"), min_value=Decimal("0.01")),
            AttrSpec("species", _("主要树种")),
            AttrSpec("certificate_no", _("林权证号")),
            AttrSpec("term_years", _("流转年限"), INT, _("年"), min_value=Decimal(1), max_value=Decimal(70)),
            AttrSpec("location", _("林地坐落"), required=False),
        ),
        unit_price_attr="area_mu",
        unit_price_unit="元/亩",
    ),
    Category.RURAL: CategorySpec(
        attrs=(
            AttrSpec(
                "right_type",
                _("产权类型"),
                CHOICE,
                choices=(
                    ("land_management", _("土地经营权")),
                    ("collective_assets", _("集体经营性资产")),
                    ("homestead_use", _("农村房屋使用权")),
                    ("water", _("小型水利设施使用权")),
                    ("other", _("其他")),
                ),
            ),
            AttrSpec("area_mu", _("面积"), DECIMAL, _("亩"), min_value=Decimal("0.01")),
            AttrSpec("term_years", _("流转年限"), INT, _("年"), min_value=Decimal(1), max_value=Decimal(70)),
            AttrSpec("location", _("坐落位置"), required=False),
        ),
        unit_price_attr="area_mu",
        unit_price_unit="元/亩",
    ),
    Category.MINING: CategorySpec(
        attrs=(
            AttrSpec("mineral", _("矿种")),
            AttrSpec("reserves", _("保有资源储量"), DECIMAL, min_value=Decimal("0.0001")),
            AttrSpec(
                "reserves_unit",
                _("储量单位"),
                CHOICE,
                choices=(
                    ("吨", _("吨")),
                    ("万吨", _("万吨")),
                    ("立方米", _("立方米")),
                    ("万立方米", _("万立方米")),
                ),
            ),
            AttrSpec("licence_no", _("许可证号")),
            AttrSpec(
                "right_type",
                _("矿业权类型"),
                CHOICE,
                choices=(
                    ("exploration", _("探矿权")),
                    ("mining", _("采矿权")),
                ),
            ),
            AttrSpec("area_km2", _("矿区面积"), DECIMAL, _("平方公里"), required=False, min_value=ZERO),
        ),
        unit_price_attr="reserves",
        unit_attr="reserves_unit",
    ),
    Category.IP: CategorySpec(
        attrs=(
            AttrSpec(
                "ip_type",
                _("知识产权类型"),
                CHOICE,
                choices=(
                    ("patent", _("专利")),
                    ("trademark", _("商标")),
                    ("copyright", _("著作权")),
                    ("software", _("软件著作权")),
                    ("other", _("其他")),
                ),
            ),
            AttrSpec("registration_no", _("登记/注册号")),
            AttrSpec("expires_on", _("有效期至"), DATE, required=False),
        )
    ),
    Category.DEBT: CategorySpec(
        attrs=(
            AttrSpec("debtor", _("债务人")),
            AttrSpec("principal", _("债权本金"), DECIMAL, _("元"), min_value=ZERO),
            AttrSpec("interest", _("利息及其他"), DECIMAL, _("元"), min_value=ZERO, required=False),
            AttrSpec("guarantee", _("担保方式"), required=False),
        )
    ),
}

# every other category (asset transfers) also discloses its valuation and whom to contact
_ASSET_TAIL = (*_valuation(company=False, required=False), *CONTACT_ATTRS)
for _category in Category.values:
    if _category not in (Category.EQUITY, Category.CAPITAL_INCREASE):
        SPECS[_category] = replace(SPECS[_category], attrs=SPECS[_category].attrs + _ASSET_TAIL)


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


COMPANY_CATEGORIES = (Category.EQUITY, Category.CAPITAL_INCREASE)
