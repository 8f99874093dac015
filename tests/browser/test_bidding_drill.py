"""Two bidders in two browsers bid against each other in a 动态报价 drill (free period 12 s,
countdown 6 s) until the countdown runs out; both pages follow the auction live over SSE.

The server is the production ASGI app (uvicorn in a thread, static files from the finders);
a thread stands in for the clock process and closes the auction when it is due."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from exchange.bidding import engine, rules, services
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import clock
from tests.bidding.test_sse_support import ThreadServer, clock_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.xdist_group("bidding-browser")

PHONE = {"width": 390, "height": 844}


def logged_in_context(browser, server: ThreadServer, user, **options):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", **options)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def bid(page, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    page.click(f"[data-quick='{n}']")
    page.wait_for_selector("dialog[open]")
    page.click("[data-confirm-ok]")


def test_two_bidders_until_the_countdown_ends(browser, asgi_server, shot):
    # given a dynamic drill: free period 12 s, then a 6 s countdown reset by every bid
    drill = services.drill_create(
        spec=services.AuctionSpec(
            title="演练：某公司 20% 股权",
            mode=rules.DYNAMIC,
            start_price=Decimal("1000000.00"),
            increment=Decimal("10000.00"),
            starts_at=clock.now(),
            # the free period leaves the pages time to load on a loaded 2-core box (with 2 s,
            # setting up the three pages under the full suite outlasted free period + countdown)
            duration=dt.timedelta(seconds=12),
            countdown_seconds=6,
        ),
        bidders=2,
        actor=None,
    )
    auction_id = drill["auction_id"]
    engine.auction_open(auction_id=auction_id)  # before the clock thread starts: no write race
    a, b = AuctionBidder.objects.filter(auction_id=auction_id).select_related("user").order_by("pk")
    url = f"{asgi_server.url}/bidding/{auction_id}/"
    ctx_a, page_a = logged_in_context(browser, asgi_server, a.user, viewport={"width": 1280, "height": 900})
    ctx_b, page_b = logged_in_context(browser, asgi_server, b.user, viewport=PHONE, is_mobile=True, has_touch=True)
    supervisor = UserFactory(role="supervisor")
    ctx_s, page_s = logged_in_context(browser, asgi_server, supervisor, viewport={"width": 1280, "height": 700})
    with clock_thread():
        try:
            page_s.goto(f"{asgi_server.url}/bidding/monitor/")
            page_s.wait_for_selector(".conn-ok")
            page_a.goto(f"{asgi_server.url}/bidding/")
            shot(page_a, "bidding-hall")
            for page, me in ((page_a, a), (page_b, b)):
                page.goto(url)
                page.wait_for_selector(".conn-ok")
                assert page.text_content("[data-my-no]") == me.bidder_no

            # when they outbid each other, each seeing the other's bid arrive live
            bid(page_a)  # the first bid may equal the start price
            page_a.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '领先'")
            page_b.wait_for_function(f"() => document.querySelector('[data-leader]').textContent === '{a.bidder_no}'")
            assert page_b.text_content("[data-price]") == "¥1,000,000.00"
            shot(page_a, "bidding-drill-a-leading")

            bid(page_b, 2)
            page_a.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '被超越'")
            page_b.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '领先'")
            assert page_a.text_content("[data-price]") == "¥1,020,000.00"

            bid(page_a, 5)
            page_b.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '被超越'")
            assert page_b.text_content("[data-price]") == "¥1,070,000.00"
            page_b.wait_for_function("() => document.querySelectorAll('[data-history] tr').length === 3")
            shot(page_b, "bidding-drill-b-outbid-phone")

            # a custom amount that is not on the increment grid is refused on the page
            page_b.fill("[data-amount]", "1085000")
            page_b.click(".bid-custom button[type=submit]")
            assert "整数倍" in page_b.text_content("[data-form-error]")
            page_b.fill("[data-amount]", "1080000.00")
            page_b.click(".bid-custom button[type=submit]")
            page_b.click("[data-confirm-ok]")
            page_a.wait_for_function("() => document.querySelector('[data-price]').textContent === '¥1,080,000.00'")
            # the custom amount's example follows the lowest amount biddable now
            page_a.wait_for_function(
                "() => document.querySelector('[data-amount]').placeholder === '例如 1090000.00（最低可出价）'"
            )
            shot(page_a, "bidding-drill-a-outbid")
            # the supervisor's monitor followed the auction live
            page_s.wait_for_function(
                f"() => document.querySelector('[data-row=\"{auction_id}\"] [data-f=price]').textContent === '¥1,080,000.00'"
            )
            shot(page_s, "bidding-monitor")

            # then nobody bids for 6 s: the countdown ends and both pages show the result
            for page in (page_a, page_b):
                page.wait_for_selector("[data-result]:not([hidden])", timeout=30000)
            result_a, result_b = page_a.text_content("[data-result]"), page_b.text_content("[data-result]")
            assert b.bidder_no in result_a and "1,080,000.00" in result_a
            assert "恭喜" in result_b and "恭喜" not in result_a
            assert page_a.is_hidden("[data-quick='1']") and page_a.is_hidden("[data-bid-form]")
            assert page_a.text_content("[data-my-status]") == "未竞得"
            assert page_b.text_content("[data-my-status]") == "已竞得"
            assert page_a.text_content("[data-status]") == "已结束"
            assert re.search(r"[+−]\d+\.\d\d s", page_a.text_content("[data-offset]"))
            shot(page_a, "bidding-drill-a-result")
            shot(page_b, "bidding-drill-b-result-phone")
        finally:
            ctx_a.close()
            ctx_b.close()
            ctx_s.close()

    auction = Auction.objects.get(pk=auction_id)
    assert auction.status == rules.CLOSED and auction.winner_id == b.pk
    assert auction.final_price == Decimal("1080000.00")
