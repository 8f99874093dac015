"""The project page as the large exchanges disclose it, and as a phone shows it.

- 股权: the page shows the company (标的企业基本情况), its shareholders (股权结构), the audited
  figures and the valuation, and the listing form takes them with errors in Chinese;
- at 390×844 the transfer floor price, the deadline and the apply button are in the first
  viewport (the gallery comes after them), and a title in the phone home list and on the hall
  cards takes two lines instead of a few characters and "…".
"""

from __future__ import annotations

from typing import Any

import pytest

from exchange.core import clock
from exchange.listings import demo_media, services
from exchange.listings.models import Project
from tests.browser import journey_steps_trading as steps
from tests.browser.listing_form import fill_company, fill_contact
from tests.factories import UserFactory
from tests.listings import factories as lf
from tests.trading import factories as tf

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
LONG_TITLE = "晋中市示范机械制造有限公司厂房、办公楼及配套土地使用权与附属设备打包转让项目（第二次挂牌）"


def _disclosed_with_pictures(category: str, **overrides: Any) -> Project:
    """A project in formal disclosure with the demo's pictures of it (the gallery the summary must precede)."""
    project = lf.draft(category, buyer_conditions=tf.CONDITIONS, **overrides)
    for upload, caption in demo_media.photos(project.category, project.title, project.attributes):
        services.attachment_add(project_id=project.pk, actor=project.seller, kind="photo", upload=upload,
                                caption=caption)  # fmt: skip
    services.project_submit(project_id=project.pk, actor=project.seller)
    for role in ("reviewer", "manager"):
        project = services.project_review(project_id=project.pk, actor=UserFactory(role=role), decision="approve")
    assert project.disclosure_start is not None
    with clock.frozen(lf.at(project.disclosure_start)):
        services.listings_tick()
    project.refresh_from_db()
    return project


def test_an_equity_project_page_discloses_company_shareholders_figures_and_valuation(live_server, page, shot):
    project = _disclosed_with_pictures("equity", valuation_date="2026-03-31")
    page.goto(f"{live_server.url}/projects/{project.pk}/")

    company = page.locator("#disclosure-company")
    assert company.get_by_role("heading", name="标的企业基本情况").is_visible()
    assert company.get_by_role("row", name="标的企业名称 晋中示范机械有限公司").is_visible()
    assert company.get_by_role("row", name="法定代表人 李国栋").is_visible()
    assert company.get_by_role("row", name="经营范围 矿山机械的设计、制造、销售及维修。").is_visible()

    holders = page.locator("#disclosure-shareholders table")
    assert holders.get_by_role("row", name="1 山西晋能资产管理有限公司 60%").is_visible()
    assert holders.get_by_role("row", name="2 晋中市国投公司 40%").is_visible()
    assert holders.get_by_role("row", name="合计 100%").is_visible()

    figures = page.locator("#disclosure-financials")
    for row in ("审计报告年度 2025", "审计机构 山西三晋会计师事务所", "资产总额 ¥68,400,000.00", "负债总额 ¥38,200,000.00",
                "所有者权益 ¥30,200,000.00", "营业收入 ¥120,000,000.00", "净利润 ¥3,100,000.00"):  # fmt: skip
        assert figures.get_by_role("row", name=row).is_visible(), row

    valuation = page.locator("#disclosure-valuation")
    for row in ("评估基准日 2026-03-31", "转让标的对应评估值 ¥1,000,000.00", "评估机构 山西三晋正信资产评估有限公司",
                "净资产账面值 ¥30,200,000.00", "净资产评估值 ¥35,700,000.00", "增值率 18.21%"):  # fmt: skip
        assert valuation.get_by_role("row", name=row).is_visible(), row

    contact = page.locator("#disclosure-contact")
    assert contact.get_by_role("link", name="0351-7020001").get_attribute("href") == "tel:03517020001"
    assert page.get_by_role("row", name="保证金交纳时间 受让资格确认后3个工作日内，17:00前到账").is_visible()
    shot(page, "disclosure-01-equity-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "disclosure-02-equity-390")


def test_the_listing_form_takes_the_equity_disclosure_with_errors_in_chinese(live_server, browser, shot):
    seller = lf.verified_seller(phone="13911112222", name="山西晋能资产管理有限公司")
    context, page = steps.logged_in_page(browser, live_server.url, seller)
    page.goto(f"{live_server.url}/my/projects/new/?category=equity")
    page.fill("input[name=title]", "晋中市示范机械制造有限公司51%股权转让")
    page.select_option("select[name=region]", label="山西省晋中市")
    page.fill("input[name=attr_company]", "晋中市示范机械制造有限公司")
    page.fill("input[name=attr_share_percent]", "51")
    page.fill("input[name=attr_registered_capital]", "5000")
    fill_company(page, shareholders=(("山西晋能资产管理有限公司", "70"), ("晋中市国投公司", "40")))
    page.fill("input[name=attr_fin_revenue]", "1.005")  # three decimals
    fill_contact(page)
    page.fill("input[name=attr_contact_phone]", "7020001")  # no area code
    for name, value in (("valuation", "1000000"), ("floor_price", "1000000"), ("deposit_amount", "100000")):
        page.fill(f"input[name={name}]", value)
    page.fill("textarea[name=buyer_conditions]", "依法设立并有效存续的企业法人。")
    page.get_by_role("button", name="保存草稿").click()

    # all three errors at once, in Chinese, at the top and beside their fields; nothing lost
    summary = page.locator("#form-error-summary")
    assert summary.get_by_text("未保存：请更正下列内容（已填写的内容都还在）。").is_visible()
    for message in ("股东及持股比例：持股比例合计为110%，不能超过100%。", "营业收入：金额最多保留两位小数（到分）。",
                    "联系电话：请输入手机号或带区号的固定电话（如 0351-1234567）。"):  # fmt: skip
        assert summary.get_by_role("link", name=message).is_visible(), message
        assert page.locator(".field-errors").get_by_text(message).is_visible(), message
    assert page.input_value("input[name=attr_shareholders-1-name]") == "晋中市国投公司"
    assert page.input_value("textarea[name=attr_co_scope]") == "矿山机械的设计、制造、销售及维修。"
    assert not Project.objects.exists()
    shot(page, "disclosure-03-form-errors")

    # corrected, it is saved with every disclosure item
    page.fill("input[name=attr_shareholders-1-percent]", "30")
    page.fill("input[name=attr_fin_revenue]", "120000000")
    page.fill("input[name=attr_contact_phone]", "0354-7020001")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(f"{live_server.url}/my/projects/*/")
    attributes = Project.objects.get().attributes
    assert attributes["shareholders"] == [
        {"name": "山西晋能资产管理有限公司", "percent": "70"},
        {"name": "晋中市国投公司", "percent": "30"},
    ]
    assert attributes["fin_total_assets"] == "68400000.00" and attributes["fin_net_profit"] == "-1250000.50"
    assert attributes["contact_phone"] == "0354-7020001" and attributes["val_appraised_value"] == "35700000.00"
    assert page.get_by_role("heading", name="股权结构").is_visible()  # the seller's own page shows them back
    shot(page, "disclosure-04-seller-project")
    context.close()


def _in_first_viewport(locator: Any, height: int = 844) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_a_phone_price_deadline_and_apply_come_first_and_titles_take_two_lines(live_server, browser, shot):
    project = _disclosed_with_pictures("real_estate", title=LONG_TITLE)
    buyer = tf.buyer(phone="13911113333")
    context, page = steps.logged_in_page(browser, live_server.url, buyer, **PHONE)

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    floor = page.locator(".lst-summary").get_by_text("转让底价", exact=True)
    price = page.locator("[data-floor-price]")
    deadline = page.locator("[data-deadline-line]")
    apply = page.get_by_role("link", name="我要受让/报名")
    assert price.inner_text() == "¥1,000,000.00"
    assert "报名截止" in deadline.inner_text() and project.ends_at is not None
    assert page.evaluate("window.scrollY") == 0
    for what in (floor, price, deadline, apply):
        assert _in_first_viewport(what), what
    gallery = page.locator(".lst-gallery").bounding_box()
    assert gallery is not None and gallery["y"] > apply.bounding_box()["y"]  # the pictures come after
    shot(page, "disclosure-05-phone-project")

    # the home page's list: a title wraps to two lines (not four characters and "…")
    page.goto(f"{live_server.url}/")
    title = page.locator(".home-list a", has_text="晋中市示范机械").first
    box = title.bounding_box()
    line = float(title.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box is not None and box["height"] >= 2 * line - 1, (box, line)
    assert title.evaluate("el => getComputedStyle(el).whiteSpace") != "nowrap"
    assert box["width"] > 300  # the whole row, the price below it
    shot(page, "disclosure-06-phone-home")

    # the hall's cards: at most two lines
    page.goto(f"{live_server.url}/projects/")
    card = page.locator(".lst-card-title", has_text="晋中市示范机械").first
    line = float(card.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    height = card.bounding_box()["height"]
    assert 2 * line - 1 <= height <= 2 * line + 1, (height, line)
    shot(page, "disclosure-07-phone-hall")
    context.close()
