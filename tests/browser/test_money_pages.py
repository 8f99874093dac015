"""What a new bidder sees of money and time (issue 15, items 3, 4 and 11), in Chromium against
the production ASGI app: the confirmation writes ¥2,350,000.00 as 贰佰叁拾伍万元整; the quick-bid
buttons say the amount they bid; a deadline days away carries its date, an auction not yet open
its start time (bidding page, hall, monitor); the monitor prints ¥ amounts from the first render,
before any script; an amount input shows its ¥ / 万 / 大写 line as one types."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from exchange.bidding import engine, rules, services
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import clock
from exchange.core.moments import format_moment
from tests.browser.test_bidding_drill import PHONE, logged_in_context
from tests.factories import UserFactory

pytestmark = pytest.mark.xdist_group("bidding-browser")

DATED = re.compile(r"\d\d-\d\d \d\d:\d\d:\d\d")  # 12-10 11:03:00


def _auction(title: str, start: str, *, starts_at: dt.datetime, duration: dt.timedelta, users=()) -> Auction:  # type: ignore[no-untyped-def]
    auction = services.auction_create(
        spec=services.AuctionSpec(
            title=title,
            mode=rules.ENGLISH,
            start_price=Decimal(start),
            increment=Decimal("10000.00"),
            starts_at=starts_at,
            duration=duration,
        ),
        actor=None,
    )
    if users:
        services.bidders_admit(auction_id=auction.pk, users=list(users), actor=None)
    return auction


def text_of(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    return " ".join(page.text_content(selector).split())


def test_money_and_deadlines_as_a_new_bidder_reads_them(browser, asgi_server, shot):  # type: ignore[no-untyped-def]
    now = clock.now()
    buyer, other = UserFactory(), UserFactory()
    # a shop at ¥2,350,000.00 whose deadline is 71 hours away, nobody has bid yet
    shop = _auction("临街商铺", "2350000.00", starts_at=now - dt.timedelta(minutes=1), duration=dt.timedelta(hours=71),
                    users=(buyer, other))  # fmt: skip
    # an auction that opens in three days
    later = _auction("热力公司股权", "6800000.00", starts_at=now + dt.timedelta(days=3), duration=dt.timedelta(hours=1))
    # one with a bid of ¥2,420,500.00 (the monitor's example)
    bid_on = _auction("办公楼", "2420500.00", starts_at=now - dt.timedelta(minutes=1), duration=dt.timedelta(hours=2),
                      users=(other,))  # fmt: skip
    for a in (shop, bid_on):
        engine.auction_open(auction_id=a.pk)
    engine.bid_place(auction_id=bid_on.pk, user=other, amount=Decimal("2420500.00"), key="k1")
    shop.refresh_from_db()
    later.refresh_from_db()
    url = asgi_server.url

    ctx, page = logged_in_context(browser, asgi_server, buyer, viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{url}/bidding/{shop.pk}/")
        page.wait_for_selector(".conn-ok")
        # the deadline 71 hours away carries its date, as the server rendered it and as the page keeps it
        ends = format_moment(shop.ends_at)
        assert DATED.fullmatch(ends)
        assert page.text_content("[data-ends-at]") == ends
        assert page.is_hidden("[data-starts-row]")
        # the quick-bid buttons say what they bid: before the first bid, "+1" is the start price
        labels = [text_of(page, f"[data-quick='{n}']") for n in (1, 2, 5)]
        assert labels == [
            "出价 ¥2,350,000.00 按起始价",
            "出价 ¥2,360,000.00 起始价加 1 个幅度",
            "出价 ¥2,390,000.00 起始价加 4 个幅度",
        ]
        # the custom amount shows its ¥ / 万 / 大写 line while it is typed
        page.fill("[data-amount]", "2360000")
        assert page.text_content("[data-money-preview-out]") == "¥2,360,000.00 · ¥236万 · 贰佰叁拾陆万元整"
        page.fill("[data-amount]", "１,２３４.５")  # full-width, as a Chinese IME types it
        assert page.text_content("[data-money-preview-out]") == "¥1,234.50 · 壹仟贰佰叁拾肆元伍角"
        page.fill("[data-amount]", "12.345")  # refused by the server too: no line
        assert page.is_hidden("[data-money-preview-out]")
        page.fill("[data-amount]", "")
        # the confirmation of the first bid writes the amount in 大写 correctly
        page.click("[data-quick='1']")
        page.wait_for_selector("dialog[open]")
        assert page.text_content("[data-confirm-amount]") == "¥2,350,000.00"
        assert page.text_content("[data-confirm-upper]") == "贰佰叁拾伍万元整"
        shot(page, "money-bid-confirmation")
        page.click("[data-confirm-ok]")
        page.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '领先'")
        # after the first bid the buttons count from the current price
        assert text_of(page, "[data-quick='2']") == "出价 ¥2,370,000.00 当前价加 2 个幅度"
        page.goto(f"{url}/bidding/{shop.pk}/")  # the history row of my bid: today, time only
        page.wait_for_selector("[data-history] tr")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", page.text_content("[data-history] tr td:last-child"))

        # not open yet: its start time, with the date, on its page and in the hall
        page.goto(f"{url}/bidding/{later.pk}/")
        page.wait_for_selector(".conn-ok")
        assert page.is_visible("[data-starts-row]")
        assert page.text_content("[data-starts-at]") == format_moment(later.starts_at)
        assert DATED.fullmatch(page.text_content("[data-starts-at]"))
        page.goto(f"{url}/bidding/")
        hall = " | ".join(" ".join(c.text_content().split()) for c in page.query_selector_all(".auction-card"))
        assert f"当前截止 {ends}" in hall and f"开始时间 {format_moment(later.starts_at)}" in hall
        shot(page, "money-bidding-hall")
    finally:
        ctx.close()

    supervisor = UserFactory(role="supervisor")
    # the monitor's first render, before any script: ¥ amounts and dated moments
    ctx, page = logged_in_context(browser, asgi_server, supervisor, viewport=PHONE, java_script_enabled=False)
    try:
        page.goto(f"{url}/bidding/monitor/")
        assert page.text_content(f"[data-row='{bid_on.pk}'] [data-f=price]") == "¥2,420,500.00"
        assert page.text_content(f"[data-row='{shop.pk}'] [data-f=price]") == "¥2,350,000.00"
        assert page.text_content(f"[data-row='{shop.pk}'] [data-f=ends]") == ends
        assert page.text_content(f"[data-row='{later.pk}'] [data-f=starts]") == format_moment(later.starts_at)
        assert "2420500" not in page.text_content("[data-monitor]")
        shot(page, "money-monitor-phone")
    finally:
        ctx.close()
    assert AuctionBidder.objects.filter(auction=shop, user=buyer).exists()
