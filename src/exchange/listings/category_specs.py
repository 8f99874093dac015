"""The categories (交易品种) and their disclosure attributes: the data (`SPECS`).

Declared once here; `categories` holds the logic that applies them (validation, display,
the sections of a project page) and re-exports every name below."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from exchange.core.categories import Category

# The unit of amounts a form asks in 万元 (registered capital, capital sought): shown as such in
# Chinese, converted to yuan elsewhere (`categories._shown`).
WAN_YUAN: Any = _("万元")

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
        AttrSpec("registered_capital", _("注册资本"), DECIMAL, WAN_YUAN, min_value=ZERO, section=COMPANY),
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
            AttrSpec("amount_min", _("拟募集资金下限"), DECIMAL, WAN_YUAN, min_value=ZERO),
            AttrSpec("amount_max", _("拟募集资金上限"), DECIMAL, WAN_YUAN, min_value=ZERO),
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


COMPANY_CATEGORIES = (Category.EQUITY, Category.CAPITAL_INCREASE)
