"""The buyer side of a 股权 project in the browser: three buyers apply, 王审核 qualifies two
and rejects one with a published condition, the deposits arrive with a bank statement, the
outcome job organises a 动态报价 auction, the two bidders bid in their own browsers until
the countdown ends, and the winner's application is marked.

Served by the production ASGI app (uvicorn in a thread) so that the auction page gets its
live stream; a thread stands in for the clock process (auction close)."""

from __future__ import annotations

import pytest

from exchange.accounts.models import User
from exchange.bidding import engine
from exchange.bidding.models import Auction
from exchange.listings.models import Notice
from exchange.trading import services
from exchange.trading.models import Application, Status
from tests.bidding.test_sse_support import ThreadServer, clock_thread
from tests.browser import journey_steps_trading as steps

pytestmark = pytest.mark.xdist_group("bidding-browser")

PHONE = {"width": 390, "height": 844}
REVIEWER, FINANCE = "13800000001", "13800000002"
CHEN, LIU, ENTITY = "13900000011", "13900000012", "13900000013"


@pytest.fixture
def asgi_server(django_db_serialized_rollback, transactional_db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    settings.TRADING_AUCTION_DELAY_MINUTES = 0  # the auction starts as soon as it is organised
    with ThreadServer(static=True) as server:
        yield server
    from exchange.bidding import sse

    sse.hub.stop()


def test_three_buyers_two_qualified_bid_and_the_winner_is_marked(browser, asgi_server, shot, tmp_path):
    base = asgi_server.url
    steps.demo_accounts()
    project = steps.equity_project()
    terms = services.terms_ensure(project_id=project.pk)
    services.terms_update(
        project_id=project.pk, actor=User.objects.get(phone=REVIEWER), free_period_seconds=2, countdown_seconds=5,
        increment="10000",
    )  # fmt: skip
    assert terms.materials == ["id_proof", "commitment", "credit_proof", "internal_decision"]
    files = steps.material_files(tmp_path / "materials")
    chen, liu, entity = (User.objects.get(phone=p) for p in (CHEN, LIU, ENTITY))

    # three buyers apply in the browser (the entity is also asked for its internal decision)
    ids = {}
    for user, floor, name, options in (
        (chen, "1,010,000.00", "trading-01-chen-apply", {}),
        (liu, "1000000", "trading-02-liu-apply-phone", {"viewport": PHONE, "is_mobile": True, "has_touch": True}),
        (entity, "1020000", "trading-03-entity-apply", {}),
    ):
        ctx, page = steps.logged_in_page(browser, base, user, **options)
        try:
            ids[user.phone] = steps.buyer_applies(page, base, project.pk, bid_floor=floor, files=files, shot=shot,
                                                  name=name)  # fmt: skip
        finally:
            ctx.close()
    assert Application.objects.get(pk=ids[ENTITY]).materials.count() == 3  # the 承诺函 accepted online
    assert Application.objects.get(pk=ids[CHEN]).materials.count() == 2

    # the seller learns nobody's identity: these terms do not ask for the seller's opinion
    ctx, page = steps.logged_in_page(browser, base, project.seller, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/trading/seller/projects/{project.pk}/applicants/")
        assert page.get_by_text("不向转让方公开").first.is_visible()
        assert page.get_by_text("晋中恒泰实业有限公司").count() == 0
        shot(page, "trading-03b-seller-applicants-phone")
    finally:
        ctx.close()

    # 王审核 qualifies two and rejects the third with a published condition
    ctx, page = steps.logged_in_page(browser, base, User.objects.get(phone=REVIEWER))
    try:
        page.goto(f"{base}/trading/staff/")
        assert page.get_by_text("待审核 3 件").is_visible()
        shot(page, "trading-04-review-queue")
        assert steps.staff_reviews(page, base, ids[CHEN], qualify=True, shot=shot, name="trading-05-chen") == (
            "资格已确认，待交保证金"
        )
        steps.staff_reviews(page, base, ids[LIU], qualify=True)
        label = steps.staff_reviews(
            page, base, ids[ENTITY], qualify=False, reasons=("具有良好的财务状况和支付能力",),
            note="资信证明显示净资产不足以支付交易价款。", shot=shot, name="trading-06-entity",
        )  # fmt: skip
        assert label == "资格未通过"
    finally:
        ctx.close()

    # the qualified buyer sees the deposit instruction; the rejected one the reason
    ctx, page = steps.logged_in_page(browser, base, chen, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{base}/trading/applications/{ids[CHEN]}/")
        assert page.text_content("[data-virtual-account]")
        shot(page, "trading-07-chen-deposit-instruction-phone")
    finally:
        ctx.close()

    # the bank statement arrives: both deposits matched, both applicants become 竞买人
    assert steps.deposits_arrive([ids[CHEN], ids[LIU]], finance=User.objects.get(phone=FINANCE)) == 2
    assert set(Application.objects.filter(pk__in=[ids[CHEN], ids[LIU]]).values_list("status", flat=True)) == {
        Status.DEPOSIT_CONFIRMED
    }

    # disclosure ends; the outcome job organises a 动态报价 auction with both bidders
    steps.disclosure_ends(project.pk)
    auction_id = steps.outcome_job(project.pk)
    auction = Auction.objects.get(pk=auction_id)
    assert auction.mode == "dynamic" and auction.start_price == project.floor_price
    assert Notice.objects.filter(project=project, kind="auction").exists()
    engine.auction_open(auction_id=auction_id)

    ctx_a, page_a = steps.logged_in_page(browser, base, chen)
    ctx_b, page_b = steps.logged_in_page(browser, base, liu, viewport=PHONE, is_mobile=True, has_touch=True)
    with clock_thread():
        try:
            no_a = steps.open_auction_from_application(page_a, base, ids[CHEN])
            no_b = steps.open_auction_from_application(page_b, base, ids[LIU])
            assert page_a.text_content("[data-my-no]") == no_a and page_b.text_content("[data-my-no]") == no_b
            shot(page_a, "trading-08-auction-chen")
            steps.bid(page_a)
            page_b.wait_for_function(f"() => document.querySelector('[data-leader]').textContent === '{no_a}'")
            steps.bid(page_b, 2)
            page_a.wait_for_function("() => document.querySelector('[data-my-status]').textContent === '被超越'")
            shot(page_b, "trading-09-auction-liu-leading-phone")
            # nobody bids for the countdown: the auction closes and both pages show the result
            for page in (page_a, page_b):
                page.wait_for_selector("[data-result]:not([hidden])", timeout=30000)
            assert "恭喜" in (page_b.text_content("[data-result]") or "")
            shot(page_b, "trading-10-auction-result-phone")
        finally:
            ctx_a.close()
            ctx_b.close()

    # the close's handler marked the winner (the periodic job catches up if a lock got in its way)
    services.outcomes_run()
    winner, loser = Application.objects.get(pk=ids[LIU]), Application.objects.get(pk=ids[CHEN])
    assert (winner.status, loser.status) == (Status.WINNER, Status.LOSER)
    project.refresh_from_db()
    assert project.status == "deal"
    ctx, page = steps.logged_in_page(browser, base, liu)
    try:
        assert steps.winner_sees_result(page, base, ids[LIU]) == "受让方（竞得）"
        shot(page, "trading-11-winner-application")
        page.goto(f"{base}/accounts/center/")
        assert page.get_by_text("我的受让申请").first.is_visible()
        shot(page, "trading-12-winner-member-center")
    finally:
        ctx.close()
