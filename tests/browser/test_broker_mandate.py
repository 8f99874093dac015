"""A broker asks a seller for a mandate, the seller accepts it on a phone, the broker files a
listing within its scope; a listing outside it is refused. Screenshots `brokers-*.png`."""

from __future__ import annotations

import datetime as dt

import pytest

from exchange.brokers.models import Mandate, MandateProject
from exchange.core import clock
from exchange.listings.models import Project
from tests.brokers import factories as bf
from tests.factories import PASSWORD
from tests.listings import factories as lf

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}


def _login(page, base: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/accounts/center/")


def _fill_forest_listing(page, seller_phone: str, title: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=seller_phone]", seller_phone)
    page.fill("input[name=title]", title)
    page.select_option("select[name=region]", str(lf.region().pk))
    for name, value in (("valuation", "500000"), ("floor_price", "500000"), ("deposit_amount", "50000"),
                        ("attr_area_mu", "500"), ("attr_species", "华北落叶松"), ("attr_certificate_no", "晋林证0002"),
                        ("attr_term_years", "20")):  # fmt: skip
        page.fill(f"[name={name}]", value)
    page.fill("textarea[name=buyer_conditions]", "依法设立的企业法人或具有完全民事行为能力的自然人")


def test_seller_accepts_a_mandate_and_the_broker_files_within_its_scope(live_server, page, shot):
    # given an approved broker and a verified seller
    broker = bf.broker()
    seller = lf.verified_seller(name="晋中林场")
    base = live_server.url
    today = clock.today()

    # the broker asks the seller for a mandate: 林权, one project, no signing, 30 days
    _login(page, base, broker.phone)
    page.goto(f"{base}/brokers/mandates/")
    page.fill("input[name=seller]", seller.phone)
    page.fill("input[name=subject]", "代理挂牌：晋中林场林地经营权")
    page.select_option("select[name=category]", "forest")
    page.fill("input[name=max_projects]", "1")
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", (today + dt.timedelta(days=30)).isoformat())
    shot(page, "brokers-01-request-form")
    page.get_by_role("button", name="发送委托申请").click()
    page.wait_for_url(f"{base}/brokers/mandates/")
    assert page.locator("[data-mandate-state=pending]").first.is_visible()
    mandate = Mandate.objects.get(broker=broker)

    # before the seller accepts, filing for the seller is refused
    page.goto(f"{base}/my/projects/new/?category=forest")
    _fill_forest_listing(page, seller.phone, "晋中林场林地经营权转让（未确认）")
    page.get_by_role("button", name="保存草稿").click()
    assert page.get_by_text("有效的挂牌委托").first.is_visible()
    assert not Project.objects.exists()

    # the seller, on a phone, sees the request in the member center and accepts it
    page.set_viewport_size(PHONE)
    _login(page, base, seller.phone)
    assert page.get_by_text("1 项待确认").first.is_visible()
    page.get_by_role("link", name="收到的委托").click()
    page.wait_for_url(f"{base}/brokers/mandates/received/")
    assert page.get_by_text("代理挂牌：晋中林场林地经营权").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    shot(page, "brokers-02-seller-phone-pending")
    page.get_by_role("button", name="确认委托").click()
    page.wait_for_url(f"{base}/brokers/mandates/received/")
    assert page.locator("[data-mandate-state=accepted]").first.is_visible()
    shot(page, "brokers-03-seller-phone-accepted")
    mandate.refresh_from_db()
    assert mandate.status == "accepted"

    # the broker files a 林权 listing for the seller: within the scope, accepted
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, base, broker.phone)
    page.goto(f"{base}/my/projects/new/?category=forest")
    _fill_forest_listing(page, seller.phone, "晋中林场林地经营权转让")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(f"{base}/my/projects/*/")
    project = Project.objects.get(title="晋中林场林地经营权转让")
    assert (project.seller_id, project.broker_id) == (seller.pk, broker.pk)
    assert MandateProject.objects.get(project=project).mandate == mandate
    shot(page, "brokers-04-filed-within-scope")

    # a second listing exceeds the scope (one project): refused with the reason, nothing filed
    page.goto(f"{base}/my/projects/new/?category=forest")
    _fill_forest_listing(page, seller.phone, "晋中林场第二宗林地")
    page.get_by_role("button", name="保存草稿").click()
    assert page.get_by_text("有效的挂牌委托").first.is_visible()
    shot(page, "brokers-05-out-of-scope-refused")
    assert not Project.objects.filter(title="晋中林场第二宗林地").exists()

    # the broker's page shows the mandate in force with the project filed under it
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/brokers/mandates/")
    assert page.get_by_text("晋中林场林地经营权转让").first.is_visible()
    shot(page, "brokers-06-broker-phone-mandates")
