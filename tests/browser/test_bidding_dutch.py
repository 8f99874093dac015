"""A 减价 (Dutch) drill in three browsers: the step price goes down on the page (computed
from the server clock, no request; the custom amount's placeholder follows it), a bidder
takes it with the button and the confirmation; a pre-emption holder (rank 1) outranks the
taker, so the price freezes and the 优先购买权行权期 opens on every page: the taker, who may
not bid again, sees a line instead of the button and the custom amount, the others the
taken price as the only placeholder; a bidder without a right sees neither the button nor
the custom amount but a line that says so (the server would refuse them: `preemption_only`),
and stays 「尚未出价」, never 「被超越」; the holder, on a phone, takes the same price and
wins at once; every page shows the result.

The server is the production ASGI app (uvicorn in a thread, static files from the finders);
a thread stands in for the clock process."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from exchange.bidding import engine, rules, services
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import clock
from exchange.core.errors import DomainError
from tests.bidding.test_sse_support import clock_thread
from tests.browser.test_bidding_drill import PHONE, logged_in_context
from tests.factories import UserFactory

pytestmark = pytest.mark.xdist_group("bidding-browser")

START, TICK, FLOOR = Decimal("100000.00"), Decimal("1000.00"), Decimal("90000.00")


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def amount_of(text: str) -> Decimal:
    """The amount of a price as the page shows it: ¥98,000.00 → Decimal("98000.00")."""
    return Decimal(text.removeprefix("¥").replace(",", ""))


def text_is(page, selector: str, text: str, timeout: int = 15000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s) || {}).textContent === t", arg=[selector, text], timeout=timeout
    )


def take(page) -> str:  # type: ignore[no-untyped-def]
    """Click 「以当前价应价」 (or the pre-emption button) and confirm; the confirmed amount."""
    page.click("[data-take]")
    page.wait_for_selector("dialog[open]")
    amount = page.text_content("[data-confirm-amount]")
    page.click("[data-confirm-ok]")
    return amount


def custom(page, amount: str) -> str:  # type: ignore[no-untyped-def]
    """Submit a custom amount; the page's own error (the dialog is not opened when there is one)."""
    page.fill("[data-amount]", amount)
    page.click(".bid-custom button[type=submit]")
    return page.text_content("[data-form-error]")


def price_and_placeholder(page) -> tuple[Decimal, str]:  # type: ignore[no-untyped-def]
    """The price shown and the custom amount's placeholder, read at the same moment."""
    price, placeholder = page.evaluate(
        "[document.querySelector('[data-price]').textContent, document.querySelector('[data-amount]').placeholder]"
    )
    return amount_of(price), placeholder


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_dutch_descends_is_taken_and_a_holder_preempts(browser, asgi_server, shot):
    # given a Dutch drill (−¥1,000 every 2 s from ¥100,000 to ¥90,000) with two bidders
    # without a right and a holder of rank 1; the pre-emption window is 30 s
    spec = services.AuctionSpec(
        title="演练：某公司 15% 股权（减价）",
        mode=rules.DUTCH,
        start_price=START,
        starts_at=clock.now(),
        dutch_tick=TICK,
        dutch_interval_seconds=2,
        dutch_floor=FLOOR,
        preemption_seconds=30,
    )
    auction_id = services.drill_create(spec=spec, bidders=2, actor=None)["auction_id"]
    services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None, rank=1)
    engine.auction_open(auction_id=auction_id)  # before the clock thread starts: no write race
    bidders = AuctionBidder.objects.filter(auction_id=auction_id).select_related("user")
    taker, other = (b for b in bidders.order_by("pk") if b.rank == 0)
    holder = bidders.get(rank=1)
    url = f"{asgi_server.url}/bidding/{auction_id}/"
    ctx_t, page_t = logged_in_context(browser, asgi_server, taker.user, viewport={"width": 1280, "height": 900})
    ctx_h, page_h = logged_in_context(browser, asgi_server, holder.user, viewport=PHONE, is_mobile=True, has_touch=True)
    ctx_o, page_o = logged_in_context(browser, asgi_server, other.user, viewport={"width": 1024, "height": 800})
    with clock_thread():
        try:
            for page, me in ((page_t, taker), (page_h, holder), (page_o, other)):
                page.goto(url)
                page.wait_for_selector(".conn-ok")
                assert page.text_content("[data-my-no]") == me.bidder_no

            # then the page shows the step price going down, the next step's countdown and the floor
            assert page_t.text_content("[data-price-label]") == "当前价格"
            assert page_t.text_content("[data-phase]") == "减价中"
            assert page_t.text_content("[data-dutch-floor]") == yuan(FLOOR)
            assert re.fullmatch(r"00:0[0-2]", page_t.text_content("[data-dutch-next]"))
            assert page_t.locator("[data-quick]").count() == 0  # no +1/+2/+5 in Dutch mode
            assert page_t.text_content("[data-take-label]") == "以当前价应价"
            first = page_t.text_content("[data-price]")
            page_t.wait_for_function(
                "p => document.querySelector('[data-price]').textContent !== p", arg=first, timeout=5000
            )
            stepped = page_t.text_content("[data-price]")
            assert FLOOR <= amount_of(stepped) == amount_of(first) - TICK and amount_of(first) <= START
            assert page_t.text_content("[data-take-amount]") == stepped
            # the custom amount's example is the step price (not an ascending current + increment)
            price_now, placeholder = price_and_placeholder(page_t)
            assert placeholder == f"例如 {price_now}（当前价格）"
            assert page_t.is_hidden("[data-dutch-mine]")
            for page in (page_t, page_h, page_o):  # nobody has bid
                assert page.text_content("[data-my-status]") == "尚未出价"
                assert page.is_hidden("[data-dutch-no-right]")
            shot(page_t, "bidding-dutch-descending")
            shot(page_h, "bidding-dutch-descending-phone")
            assert no_horizontal_scroll(page_h)

            # the custom amount is checked against the step price, the start price and the tick grid
            assert "不得高于起始价" in custom(page_t, "101000")
            assert "不得低于当前价格" in custom(page_t, str(FLOOR))
            assert "整数倍" in custom(page_t, "99500")
            assert not page_t.is_visible("dialog[open]")

            # when the taker takes the step price with the button and the confirmation
            taken = take(page_t)
            price = amount_of(taken)
            assert FLOOR <= price < START

            # then the holder outranks the taker: the price is frozen and the window is open on every page
            text_is(page_t, "[data-my-status]", "领先")
            for page in (page_t, page_h, page_o):
                text_is(page, "[data-phase]", "优先购买权行权期")
                text_is(page, "[data-price]", taken)
                assert page.text_content("[data-price-label]") == "应价"
                assert page.text_content("[data-dutch-next-label]") == "行权期剩余"
                assert re.fullmatch(r"00:[0-3]\d", page.text_content("[data-dutch-next]"))
                assert page.is_visible("[data-dutch-note]")
            # the taker (the leader) cannot bid again (rules: self_raise): no button, no custom
            # amount, but a line that says so
            assert page_t.is_hidden("[data-take]") and page_t.is_hidden("[data-bid-form]")
            mine = page_t.text_content("[data-dutch-mine]")
            assert page_t.is_visible("[data-dutch-mine]") and f"您已以 {taken} 应价" in mine and "不能再出价" in mine
            assert page_t.text_content("[data-next-min]") == "—"
            for page in (page_h, page_o):  # someone else leads: who never bid is not outbid
                text_is(page, "[data-my-status]", "尚未出价")
                assert page.is_hidden("[data-dutch-mine]")
            # the holder (rank 1 > the taker's 0): the taken price is the only amount
            page_h.wait_for_selector("[data-take]:not([hidden]):enabled")
            assert page_h.text_content("[data-take-label]") == "按应价行使优先购买权"
            assert page_h.is_hidden("[data-dutch-no-right]")
            assert price_and_placeholder(page_h) == (price, f"只能按应价 {price}")
            # a bidder without a right: no button, no custom amount, but a line that says why
            page_o.wait_for_selector("[data-dutch-no-right]:not([hidden])")
            assert page_o.is_hidden("[data-take]") and page_o.is_hidden("[data-bid-form]")
            assert "没有顺位高于当前应价人的优先购买权" in page_o.text_content("[data-dutch-no-right]")
            auction = Auction.objects.get(pk=auction_id)
            assert (auction.status, auction.current_price, auction.leader_id) == (rules.RUNNING, price, taker.pk)
            page_h.wait_for_timeout(2200)  # a step later the price has not moved
            assert page_h.text_content("[data-price]") == taken
            shot(page_t, "bidding-dutch-taken")
            shot(page_h, "bidding-dutch-preemption-phone")
            assert no_horizontal_scroll(page_h)
            page_t.set_viewport_size(PHONE)  # the taker's line on a phone
            shot(page_t, "bidding-dutch-taken-phone")
            assert no_horizontal_scroll(page_t)
            page_t.set_viewport_size({"width": 1280, "height": 900})

            # as the server would refuse them (rules._dutch_preempt)
            shot(page_o, "bidding-dutch-preemption-no-right")
            with pytest.raises(DomainError) as refused:
                engine.bid_place(auction_id=auction_id, user=other.user, amount=price, key="no-right")
            assert refused.value.as_dict()["code"] == rules.PREEMPTION_ONLY
            assert Auction.objects.get(pk=auction_id).seq == 1

            # the holder (phone) takes the same price: the top rank ends the auction at once
            assert "只能按应价" in custom(page_h, str(price + TICK))
            assert take(page_h) == taken
            for page in (page_t, page_h, page_o):
                page.wait_for_selector("[data-result]:not([hidden])", timeout=20000)
                assert holder.bidder_no in page.text_content("[data-result]")
                assert taken in page.text_content("[data-result]")
                assert page.is_hidden("[data-take]") and page.is_hidden("[data-bid-form]")
            assert "恭喜" in page_h.text_content("[data-result]")
            assert "恭喜" not in page_t.text_content("[data-result]")
            assert page_h.text_content("[data-my-status]") == "已竞得"
            assert page_t.text_content("[data-my-status]") == "未竞得"
            assert page_o.text_content("[data-my-status]") == "未出价"  # closed without a bid
            assert page_o.is_hidden("[data-dutch-no-right]")
            assert page_t.text_content("[data-price-label]") == "成交价"
            assert page_t.is_hidden("[data-dutch-next-row]")  # no next step, no window after the close
            assert page_t.text_content("[data-status]") == "已结束"
            shot(page_t, "bidding-dutch-result")
            shot(page_h, "bidding-dutch-result-phone")
            assert no_horizontal_scroll(page_h)
        finally:
            ctx_t.close()
            ctx_h.close()
            ctx_o.close()

    auction = Auction.objects.get(pk=auction_id)
    assert (auction.status, auction.result, auction.winner_id) == (rules.CLOSED, rules.SOLD, holder.pk)
    assert auction.final_price == price and auction.seq == 2
