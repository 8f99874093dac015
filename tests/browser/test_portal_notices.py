"""Browser: a newcomer finds the notices (issue 15, items 7 and 8) on the demo data.

The main navigation has 交易公告; the home page's search box lands on the project hall
filtered; the 交易公告 block and the 交易统计 show the demo's figures (recomputed here from
the deals); the notices list searches by keyword; the 成交公告 list has a 受让方 column and
a result notice names the buyer with the required fields and no bidder number.
Screenshots at 1366 and 390 px: test-artifacts/screenshots/portal-*.png.
"""

from __future__ import annotations

import importlib
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.utils import timezone

from exchange.core import clock
from exchange.core.money import format_wan
from exchange.deals.models import Deal
from exchange.listings.models import Notice
from tests.browser import journey_steps_trading as steps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
WIDTHS = (1366, 390)


def _seed() -> None:
    """The demo accounts, projects and deals (what these pages show), without the rest."""
    from exchange.deals import demo as deals_demo
    from exchange.listings import demo as listings_demo

    for name in ("0002_ledger_guards_and_reference_data", "0004_agreement_fee_schedules"):
        importlib.import_module(f"exchange.settlement.migrations.{name}").seed(apps, None)
    steps.demo_accounts()
    listings_demo.seed()
    assert deals_demo.seed()["deals"] == len(deals_demo.SPECS)


def _expected_figures() -> dict[str, tuple[str, str, str]]:
    """成交宗数, 成交额, 增值率 per period, worked out here from the deal rows themselves."""
    year = timezone.localdate(clock.now()).year
    rows = [d for d in Deal.objects.select_related("project") if d.status != Deal.Status.DEFAULTED]
    out = {}
    for key, deals in (("year", [d for d in rows if timezone.localdate(d.opened_at).year == year]), ("total", rows)):
        amount = sum((d.price for d in deals), Decimal(0))
        floor = sum((d.project.floor_price for d in deals), Decimal(0))
        rate = ((amount - floor) * 100 / floor).quantize(Decimal("0.01"), ROUND_HALF_UP)
        out[key] = (f"{len(deals)} 宗", format_wan(amount), f"{rate}%")
    return out


def test_newcomer_finds_notices_statistics_and_the_buyer_of_a_deal(live_server, page, shot):
    _seed()
    base = live_server.url
    expected = _expected_figures()
    assert expected["total"][0] == "5 宗"  # six demo deals, one defaulted
    latest_listing = Notice.objects.filter(kind="listing", published_at__isnull=False).latest("published_at", "pk")
    result = Deal.objects.select_related("buyer", "result_notice").get(project__title__startswith="朔州市怀仁县")
    assert result.bidder_no == "A003" and result.result_notice is not None

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/")
        # 交易公告 is in the main navigation (behind the menu button on a phone)
        nav = page.locator("#main-nav")
        if width < 768:
            page.get_by_role("button", name="菜单").click()
        assert nav.get_by_role("link", name="交易公告", exact=True).is_visible()
        if width < 768:
            page.get_by_role("button", name="菜单").click()
        # the statistics block, figure by figure
        for key, (count, amount, rate) in expected.items():
            period = page.locator(f'[data-period="{key}"]')
            assert period.locator('[data-stat="count"]').inner_text().replace("\n", " ").strip() == count
            assert period.locator('[data-stat="amount"]').inner_text().strip() == amount
            assert period.locator('[data-stat="premium"]').inner_text().strip() == rate
        # the notices block: the latest 挂牌公告 and 成交公告, with dates
        listing_col = page.locator('[data-notices="listing"]')
        assert listing_col.get_by_role("link", name=latest_listing.title).is_visible()
        day = timezone.localtime(latest_listing.published_at).strftime("%Y-%m-%d")
        assert day in listing_col.inner_text()
        result_col = page.locator('[data-notices="result"]')
        assert result_col.get_by_role("link", name=result.result_notice.title).is_visible()
        shot(page, f"portal-home-{width}")

    # the search box lands on the project hall, filtered by the keyword
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/")
    page.get_by_role("searchbox").fill("林地")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/projects/?q=*")
    assert parse_qs(urlparse(page.url).query)["q"] == ["林地"]
    titles = page.locator(".lst-card-title").all_inner_texts()
    assert titles and all("林地" in t for t in titles)
    assert page.locator('input[name="q"]').input_value() == "林地"

    # the notices list from the navigation, searched by keyword
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/notices/")
        page.get_by_role("searchbox").fill("成交示例）成交")
        page.get_by_role("button", name="搜索").click()
        page.locator("[data-search-summary]").wait_for()
        found = page.locator(".article-item h2 a").all_inner_texts()
        assert found and all("成交示例）成交公告" in t for t in found)
        assert result.result_notice.title in found
        shot(page, f"portal-notices-search-{width}")

    # the 成交公告 list: a 受让方 column with the buyer's name, no bidder number
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/deals/")
        row = page.locator(f'tr[data-notice="{result.result_notice.number}"]')
        assert row.locator('[data-col="buyer"]').inner_text().strip() == result.buyer.real_name
        assert "A003" not in page.content()
        if width >= 768:
            assert page.get_by_role("columnheader", name="受让方").is_visible()
        shot(page, f"portal-deals-{width}")

    # the result notice: buyer's name and the fields Art. 29 requires, no bidder number
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/deals/")
        page.locator(f'tr[data-notice="{result.result_notice.number}"] a').first.click()
        page.wait_for_url(f"**{result.result_notice.get_absolute_url()}")
        body = page.locator(".lst-notice-body").inner_text()
        project = result.project
        assert f"受让方：{result.buyer.real_name}" in body
        assert f"标的名称：{result.project_title}" in body
        assert f"评估结果：¥{project.valuation:,.2f}" in body and f"转让底价：¥{project.floor_price:,.2f}" in body
        assert f"交易价格：¥{result.price:,.2f}" in body
        assert "A003" not in page.content() and "竞买号" not in page.content()
        assert page.locator("[data-publicity]").is_visible()
        shot(page, f"portal-result-notice-{width}")
