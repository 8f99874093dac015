"""The disclosure sections of a project (categories.SPECS): 标的企业基本情况, 股权结构 (≤ 100%),
经审计财务指标 (资产 − 负债 = 所有者权益), 评估情况 and 联系方式 — validated by the one spec
for the services, the form and the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core.errors import InvalidInput
from exchange.listings import categories, services
from exchange.listings.models import Project, Status
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

HOLDERS = categories.SHAREHOLDER_TABLE
ASSETS = categories.spec("equity").by_key()["fin_total_assets"]
PROFIT = categories.spec("equity").by_key()["fin_net_profit"]


def _refused(fn: Any, *args: Any, **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        fn(*args, **kwargs)
    return exc.value


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    "key",
    ["company", "co_legal_rep", "co_established", "co_scope", "co_employees", "shareholders", "fin_year",
     "fin_auditor", "fin_total_assets", "fin_total_liabilities", "fin_equity", "fin_revenue", "fin_net_profit",
     "val_firm", "val_book_value", "val_appraised_value", "contact_name", "contact_phone"],
)  # fmt: skip
def test_an_equity_project_is_submitted_only_with_its_disclosure(key):
    # given a 股权 draft without one of the disclosure items
    attributes = {k: v for k, v in f.ATTRS["equity"].items() if k != key}
    project = f.draft("equity", attributes=attributes)
    # when the seller submits it
    error = _refused(services.project_submit, project_id=project.pk, actor=project.seller)
    # then the missing item is named, in Chinese, and the draft stays a draft
    assert error.data["field"] == f"attr_{key}" and error.message.startswith("请填写")
    project.refresh_from_db()
    assert project.status == Status.DRAFT and project.code is None


@pytest.mark.parametrize("category", ["real_estate", "vehicle", "debt"])
def test_every_category_names_a_contact(category):
    attributes = {k: v for k, v in f.ATTRS[category].items() if k != "contact_phone"}
    project = f.draft(category, attributes=attributes)
    error = _refused(services.project_submit, project_id=project.pk, actor=project.seller)
    assert error.data["field"] == "attr_contact_phone" and "联系电话" in error.message


def test_shareholders_over_100_percent_are_refused_and_nothing_is_saved():
    seller = f.verified_seller()
    holders = [{"name": "甲公司", "percent": "70"}, {"name": "乙公司", "percent": "40.5"}]
    data = f.project_data("equity", attributes={**f.ATTRS["equity"], "shareholders": holders})
    error = _refused(services.project_create, actor=seller, **data)
    assert error.data["field"] == "attr_shareholders"
    assert error.message == "股东及持股比例：持股比例合计为110.5%，不能超过100%。"
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "甲公司", "percent": "60"}, {"name": "乙公司", "percent": ""}], "第2行：请填写持股比例"),
        ([{"name": "", "percent": "60"}], "第1行：请填写股东名称"),
        ([{"name": "甲公司", "percent": "0"}], "第1行：持股比例不能小于 0.0001"),
        ([{"name": "甲公司", "percent": "很多"}], "第1行：持股比例：请输入数字"),
        ([{"name": "甲公司", "percent": "30"}, {"name": "甲公司", "percent": "30"}], "甲公司填写了不止一次"),
        ([{"name": f"股东{n}", "percent": "1"} for n in range(11)], "最多填写10行"),
        ("甲公司 60%", "格式错误"),
    ],
)
def test_a_bad_shareholder_table_says_what_is_wrong(rows, message):
    error = _refused(categories.clean_table, HOLDERS, rows, field_name="attr_shareholders")
    assert message in error.message and error.message.startswith("股东及持股比例")


def test_blank_rows_of_the_table_are_dropped():
    rows = [{"name": "", "percent": ""}, {"name": " 甲公司 ", "percent": "60"}, {"name": "", "percent": " "}]
    assert categories.clean_table(HOLDERS, rows, field_name="x") == [{"name": "甲公司", "percent": "60"}]


percents = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(percents, min_size=1, max_size=10))
def test_the_shareholding_is_accepted_exactly_when_it_sums_to_at_most_100(values):
    rows = [{"name": f"股东{n}", "percent": str(v)} for n, v in enumerate(values)]
    if sum(values) <= 100:
        cleaned = categories.clean_table(HOLDERS, rows, field_name="x")
        assert sum(Decimal(r["percent"]) for r in cleaned) == sum(values)
    else:
        assert "不能超过100%" in _refused(categories.clean_table, HOLDERS, rows, field_name="x").message


amounts = st.decimals(min_value=Decimal("-1e14"), max_value=Decimal("1e14"), places=2)


@settings(max_examples=200, deadline=None)
@given(amounts)
def test_money_is_kept_to_the_fen_within_its_bounds(amount):
    # a figure that may be negative (净利润) round-trips exactly; one that may not (资产总额) is refused below 0
    kept = categories.clean_value(PROFIT, str(amount))
    assert Decimal(kept) == amount and len(kept.split(".")[1]) == 2
    if amount < 0:
        assert "不能为负数" in _refused(categories.clean_value, ASSETS, str(amount)).message
    else:
        assert Decimal(categories.clean_value(ASSETS, f"{amount:,}")) == amount


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.005", "资产总额：金额最多保留两位小数（到分）。"),
        ("100000000000000.01", "资产总额数值过大。"),
        ("1e5", "资产总额：金额格式不正确"),
        ("NaN", "资产总额：金额格式不正确"),
        ("一百万", "资产总额：金额格式不正确"),
    ],
)
def test_a_bad_amount_is_refused_in_chinese(text, message):
    assert _refused(categories.clean_value, ASSETS, text).message.startswith(message)


def test_the_audited_figures_must_balance():
    attrs = {**f.ATTRS["equity"], "fin_equity": "30000000"}
    error = _refused(categories.clean_attributes, "equity", attrs, complete=False)
    assert error.data["field"] == "attr_fin_equity"
    assert error.message == "所有者权益应等于资产总额减负债总额（¥30,200,000.00），请核对审计报告。"
    # negative equity is possible: liabilities above assets
    attrs = {**f.ATTRS["equity"], "fin_total_liabilities": "70000000", "fin_equity": "-1,600,000"}
    assert categories.clean_attributes("equity", attrs, complete=True)["fin_equity"] == "-1600000.00"


@pytest.mark.parametrize("phone", ["13912345678", "0351-7020001", "03517020001", "010-12345678-801", "400-123-4567"])
def test_contact_phone_accepts_mobiles_and_landlines(phone):
    assert categories.clean_value(categories.spec("forest").by_key()["contact_phone"], phone) == phone


@pytest.mark.parametrize("phone", ["1234567", "7020001", "139123456789", "0351-70200", "电话"])
def test_contact_phone_refuses_anything_else(phone):
    error = _refused(categories.clean_value, categories.spec("forest").by_key()["contact_phone"], phone)
    assert error.message == "联系电话：请输入手机号或带区号的固定电话（如 0351-1234567）。"


def test_the_company_code_is_checked():
    error = _refused(categories.clean_value, categories.spec("equity").by_key()["co_uscc"], "91140700MA0H8K2P5X")
    assert error.message.startswith("统一社会信用代码：统一社会信用代码无效")


def test_names_with_invisible_characters_are_refused():
    error = _refused(categories.clean_value, categories.spec("forest").by_key()["contact_name"], "赵\u200b建国")
    assert "不可见字符" in error.message


# --------------------------------------------------------------------------- display


def test_the_sections_of_an_equity_project():
    project = f.draft("equity", valuation_date="2026-03-31")
    sections = {s.key: s for s in categories.disclosure_sections(
        "equity", project.attributes, valuation=project.valuation, valuation_date=project.valuation_date)}  # fmt: skip
    assert list(sections) == ["company", "shareholders", "financials", "valuation", "contact"]
    rows = {r.label: r for s in sections.values() for r in s.rows}
    assert rows["资产总额"].money and rows["资产总额"].value == Decimal("68400000.00")
    assert rows["转让标的对应评估值"].value == project.valuation
    assert rows["评估基准日"].value == "2026-03-31"
    assert rows["增值率"].value == "18.21%"  # (35.7m − 30.2m) ÷ 30.2m
    assert rows["联系电话"].tel == "03517020001"
    table = sections["shareholders"].tables[0]
    assert [r.cells for r in table.rows] == [["山西晋能资产管理有限公司", "60%"], ["晋中市国投公司", "40%"]]
    assert table.total == "100%"


def test_notices_and_the_api_list_every_disclosed_item_as_text():
    shown = dict(categories.display_attributes("equity", f.ATTRS["equity"]))
    assert shown["资产总额"] == "¥68,400,000.00"
    assert shown["股东及持股比例"] == "山西晋能资产管理有限公司 60%；晋中市国投公司 40%"
    assert dict(categories.display_attributes("equity", f.ATTRS["equity"], section=categories.MAIN)) == {
        "转让股权比例": "51%",
        "是否涉及实际控制权转移": "否",
    }


# --------------------------------------------------------------------------- pages


def test_the_public_page_discloses_the_company_its_shareholders_figures_valuation_and_contacts(client):
    project = f.disclosed("equity")
    page = client.get(f"/projects/{project.pk}/").content.decode()
    for text in ("标的企业基本情况", "晋中示范机械有限公司", "李国栋", "股权结构", "山西晋能资产管理有限公司", "60%",
                 "主要财务指标（经审计）", "资产总额", "¥68,400,000.00", "山西三晋会计师事务所", "资产评估情况",
                 "净资产评估值", "¥35,700,000.00", "山西三晋正信资产评估有限公司", "联系方式", "赵建国",
                 'href="tel:03517020001"', "交易中心咨询电话", "保证金交纳时间", "受让资格确认后3个工作日内，17:00前到账"):  # fmt: skip
        assert text in page, text


def test_staff_review_the_disclosure_on_their_page(client):
    project = f.submitted("equity")
    client.force_login(UserFactory(role="reviewer"))
    page = client.get(f"/staff/listings/{project.pk}/").content.decode()
    assert "股权结构" in page and "¥30,200,000.00" in page and "0351-7020001" in page


def _form(**attrs: str) -> dict[str, Any]:
    data = {
        "title": "测试股权", "region": f.region().pk, "valuation": "1000000", "floor_price": "1000000",
        "deposit_amount": "100000", "trading_method": "dynamic", "buyer_conditions": "无", "disclosure_wd": "20",
        "pre_disclosure_wd": "0", "extension_wd": "5", "max_extension_cycles": "3", "attr_company": "甲公司",
    }  # fmt: skip
    return {**data, **attrs}


def test_the_listing_form_shows_every_bad_disclosure_item_at_once_and_keeps_the_input(client):
    client.force_login(f.verified_seller())
    response = client.post("/my/projects/new/?category=equity", _form(
        **{"attr_shareholders-0-name": "甲公司", "attr_shareholders-0-percent": "80",
           "attr_shareholders-1-name": "乙公司", "attr_shareholders-1-percent": "30",
           "attr_contact_phone": "12345", "attr_fin_total_assets": "1.005", "attr_co_employees": "很多"}))  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and not Project.objects.exists()
    assert "未保存：请更正下列内容（已填写的内容都还在）。" in page
    for message in ("股东及持股比例：持股比例合计为110%，不能超过100%。", "联系电话：请输入手机号或带区号的固定电话",
                    "资产总额：金额最多保留两位小数（到分）。", "职工人数：请输入数字。"):  # fmt: skip
        assert message in page, message
    assert 'name="attr_shareholders-1-name" value="乙公司"' in page


def test_the_listing_form_saves_the_disclosure(client):
    client.force_login(f.verified_seller())
    response = client.post("/my/projects/new/?category=equity", _form(
        **{"attr_shareholders-0-name": "甲公司", "attr_shareholders-0-percent": "65",
           "attr_shareholders-2-name": "丙公司", "attr_shareholders-2-percent": "35",
           "attr_contact_name": "赵建国", "attr_contact_phone": "13912345678", "attr_fin_total_assets": "¥1,000,000.5",
           "attr_co_scope": "机械制造；\n 货物进出口。"}))  # fmt: skip
    assert response.status_code == 302
    attributes = Project.objects.get().attributes
    assert attributes["shareholders"] == [{"name": "甲公司", "percent": "65"}, {"name": "丙公司", "percent": "35"}]
    assert attributes["fin_total_assets"] == "1000000.50" and attributes["contact_phone"] == "13912345678"
    assert attributes["co_scope"] == "机械制造； 货物进出口。"
    # the edit form offers the two rows back, plus empty ones
    page = client.get(f"/my/projects/{Project.objects.get().pk}/edit/").content.decode()
    assert 'name="attr_shareholders-1-name" value="丙公司"' in page and 'name="attr_shareholders-3-name"' in page
