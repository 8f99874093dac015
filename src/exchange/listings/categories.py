"""Categories (交易品种) and their own disclosure attributes, declared once.

Each category lists its attributes (`AttrSpec`): label, type, unit, whether required and
the allowed choices. The same spec validates a project's `attributes` JSON at submit,
builds the seller's form fields, renders the public page and says which attribute a unit
price (元/亩, 元/㎡, 元/吨 …) is derived from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from exchange.core.errors import InvalidInput


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

    def choice_label(self, value: Any) -> str:
        return str(dict(self.choices).get(value, value))


@dataclass(frozen=True)
class CategorySpec:
    attrs: tuple[AttrSpec, ...]
    unit_price_attr: str = ""  # the quantity a unit price is derived from
    unit_price_unit: Any = ""  # e.g. 元/亩; "" = from the attribute named by unit_attr
    unit_attr: str = ""  # an attribute holding the quantity's unit (矿权 reserves_unit)
    ranges: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (min key, max key)

    def by_key(self) -> dict[str, AttrSpec]:
        return {a.key: a for a in self.attrs}


ZERO = Decimal("0")
PCT = (Decimal("0"), Decimal("100"))

SPECS: dict[str, CategorySpec] = {
    Category.EQUITY: CategorySpec(
        attrs=(
            AttrSpec("company", _("标的企业名称")),
            AttrSpec("share_percent", _("转让股权比例"), DECIMAL, "%", min_value=Decimal("0.0001"), max_value=PCT[1]),
            AttrSpec("registered_capital", _("注册资本"), DECIMAL, _("万元"), min_value=ZERO),
            AttrSpec("control_change", _("是否涉及实际控制权转移"), BOOL),
            AttrSpec("industry", _("所属行业"), required=False),
        )
    ),
    Category.CAPITAL_INCREASE: CategorySpec(
        attrs=(
            AttrSpec("company", _("增资企业名称")),
            AttrSpec("amount_min", _("拟募集资金下限"), DECIMAL, _("万元"), min_value=ZERO),
            AttrSpec("amount_max", _("拟募集资金上限"), DECIMAL, _("万元"), min_value=ZERO),
            AttrSpec("share_min", _("拟释放股权比例下限"), DECIMAL, "%", min_value=PCT[0], max_value=PCT[1]),
            AttrSpec("share_max", _("拟释放股权比例上限"), DECIMAL, "%", min_value=PCT[0], max_value=PCT[1]),
            AttrSpec("investors_min", _("拟征集投资方数量下限"), INT, _("家"), min_value=Decimal(1)),
            AttrSpec("investors_max", _("拟征集投资方数量上限"), INT, _("家"), min_value=Decimal(1)),
            AttrSpec("control_change", _("是否涉及实际控制权转移"), BOOL),
        ),
        ranges=(("amount_min", "amount_max"), ("share_min", "share_max"), ("investors_min", "investors_max")),
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


def spec(category: str) -> CategorySpec:
    return SPECS[category]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(attr: AttrSpec, value: Any) -> Any:
    """One attribute value in its JSON form (decimals as strings), or InvalidInput."""
    field_name = f"attr_{attr.key}"
    label = str(attr.label)
    if attr.type == BOOL:
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in {"true", "1", "yes", "on", "是"}:
            return True
        if str(value).strip().lower() in {"false", "0", "no", "off", "否"}:
            return False
        raise InvalidInput(_("%(label)s：请选择“是”或“否”。") % {"label": label}, field=field_name)
    if attr.type in (INT, DECIMAL):
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise InvalidInput(_("%(label)s：请输入数字。") % {"label": label}, field=field_name) from exc
        if not number.is_finite():
            raise InvalidInput(_("%(label)s：请输入数字。") % {"label": label}, field=field_name)
        if attr.type == INT and number != number.to_integral_value():
            raise InvalidInput(_("%(label)s：请输入整数。") % {"label": label}, field=field_name)
        if attr.min_value is not None and number < attr.min_value:
            raise InvalidInput(
                _("%(label)s不能小于 %(min)s。") % {"label": label, "min": attr.min_value}, field=field_name
            )
        if attr.max_value is not None and number > attr.max_value:
            raise InvalidInput(
                _("%(label)s不能大于 %(max)s。") % {"label": label, "max": attr.max_value}, field=field_name
            )
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
    text = str(value).strip()
    if "\x00" in text or len(text) > 200:
        raise InvalidInput(_("%(label)s：内容无效或过长（最多200字）。") % {"label": label}, field=field_name)
    if attr.type == CHOICE and text not in dict(attr.choices):
        raise InvalidInput(_("%(label)s：请从选项中选择。") % {"label": label}, field=field_name)
    return text


def clean_attributes(category: str, raw: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """Validate a category's attributes; unknown keys are dropped.

    complete=False (drafts) accepts missing values; complete=True (submit) requires every
    required attribute and checks the ranges (下限 ≤ 上限).
    """
    if category not in SPECS:
        raise InvalidInput(_("请选择交易品种。"), field="category")
    cat = SPECS[category]
    cleaned: dict[str, Any] = {}
    for attr in cat.attrs:
        value = raw.get(attr.key)
        if _is_blank(value):
            if complete and attr.required:
                raise InvalidInput(_("请填写%(label)s。") % {"label": attr.label}, field=f"attr_{attr.key}")
            continue
        cleaned[attr.key] = clean_value(attr, value)
    if complete:
        for low, high in cat.ranges:
            if low in cleaned and high in cleaned and Decimal(str(cleaned[low])) > Decimal(str(cleaned[high])):
                labels = cat.by_key()
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


def display_attributes(category: str, attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value with unit) of every attribute that has a value."""
    out = []
    for attr in SPECS[category].attrs:
        if attr.key not in attributes:
            continue
        value = attributes[attr.key]
        if attr.type == BOOL:
            shown = str(_("是")) if value else str(_("否"))
        elif attr.type == CHOICE:
            shown = attr.choice_label(value)
        else:
            shown = f"{value}{' ' + str(attr.unit) if attr.unit and attr.unit != '%' else attr.unit}"
        out.append((str(attr.label), shown))
    return out
