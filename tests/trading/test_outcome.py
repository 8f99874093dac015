"""The end of disclosure (outcome job) and the auction result (auction_closed handler)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.bidding import engine
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import clock
from exchange.listings import services as listings
from exchange.listings.models import Notice
from exchange.settlement.models import DepositInstruction
from exchange.trading import services
from exchange.trading.models import Application, Outcome, Status
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _auction_now(settings):
    settings.TRADING_AUCTION_DELAY_MINUTES = 0


@given(
    bidders=st.integers(min_value=0, max_value=50),
    method=st.sampled_from(["dynamic", "english", "sealed", "dutch", "agreement"]),
    on_no_buyer=st.sampled_from(["extend", "relist", "terminate"]),
    can_extend=st.booleans(),
)
def test_plan_outcome_follows_the_count_of_bidders(bidders, method, on_no_buyer, can_extend):
    decision = services.plan_outcome(bidders=bidders, method=method, on_no_buyer=on_no_buyer, can_extend=can_extend)
    if bidders >= 2:
        assert decision == "auction"
    elif bidders == 1:
        assert decision == ("agreement" if method == "agreement" else "sole_auction")
    elif on_no_buyer == "terminate":
        assert decision == "terminated"
    elif on_no_buyer == "extend" and can_extend:
        assert decision == "extended"
    else:
        assert decision == "relist_pending"


@pytest.mark.parametrize(("qualified", "lapsed", "rejected"), [(0, 0, 0), (0, 2, 1), (0, 1, 0)])
def test_no_bidder_extends_by_default_whatever_else_happened(qualified, lapsed, rejected):
    project = f.project()
    for _i in range(lapsed):
        app = f.qualified(project)
        with clock.frozen(app.deposit_due_at + dt.timedelta(minutes=1)):
            services.applications_lapse()
    for _i in range(rejected):
        app = f.apply(project)
        reason = services.condition_items(project.buyer_conditions)[0]
        services.application_review(application_id=app.pk, actor=f.reviewer(), decision="reject", reasons=[reason])
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    assert outcome is not None and outcome.decision == "extended" and outcome.bidders == 0
    project.refresh_from_db()
    assert project.status == "extended" and project.extension_cycles == 1
    assert services.outcome_decide(project_id=project.pk) is None  # idempotent


def test_no_bidder_relist_waits_for_staff_and_terminate_terminates():
    relist = f.project()
    services.terms_update(project_id=relist.pk, actor=f.reviewer(), on_no_buyer="relist")
    f.ended(relist)
    assert services.outcomes_run()["decided"] == 1
    from exchange.trading.selectors import relist_queue

    assert list(relist_queue().values_list("project_id", flat=True)) == [relist.pk]
    ended = f.project()
    services.terms_update(project_id=ended.pk, actor=f.reviewer(), on_no_buyer="terminate")
    f.ended(ended)
    assert services.outcome_decide(project_id=ended.pk).decision == "terminated"
    ended.refresh_from_db()
    assert ended.status == "terminated"
    assert Notice.objects.filter(project=ended, kind="termination").exists()


def test_the_outcome_waits_while_a_deposit_may_still_arrive():
    project = f.project()
    f.bidder(project)
    late = f.qualified(project)
    f.ended(project)
    with clock.frozen(late.deposit_due_at - dt.timedelta(hours=1)):
        assert services.outcome_decide(project_id=project.pk) is None
    with clock.frozen(late.deposit_due_at + dt.timedelta(hours=1)):
        services.applications_lapse()
        outcome = services.outcome_decide(project_id=project.pk)
    assert outcome.decision == "sole_auction" and outcome.bidders == 1


def test_one_bidder_in_an_agreement_project_opens_an_agreement_deal():
    project = f.project(trading_method="agreement")
    app = f.bidder(project)
    Application.objects.filter(pk=app.pk).update(bid_floor=Decimal("1234567.00"))
    other = f.apply(project)  # never reviewed
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    assert outcome.decision == "agreement" and outcome.price == Decimal("1234567.00")
    app.refresh_from_db()
    other.refresh_from_db()
    assert app.status == Status.WINNER and other.status == Status.CLOSED
    project.refresh_from_db()
    assert project.status == "deal"
    from exchange.deals.models import Deal

    deal = Deal.objects.get(project=project)
    assert deal.price == Decimal("1234567.00") and deal.buyer_id == app.applicant_id


def _two_bidders(method: str = "dynamic"):  # type: ignore[no-untyped-def]
    project = f.project(trading_method=method)
    a, b = f.bidder(project), f.bidder(project)
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    return project, outcome, a, b


def test_two_bidders_get_an_auction_a_notice_and_their_numbers():
    project, outcome, a, b = _two_bidders()
    assert outcome.decision == "auction" and outcome.bidders == 2
    auction = Auction.objects.get(pk=outcome.auction_id)
    terms = services.terms_ensure(project_id=project.pk)
    assert auction.mode == "dynamic" and auction.start_price == project.floor_price
    assert auction.increment == terms.increment and auction.countdown_seconds == terms.countdown_seconds
    assert auction.project_id == project.pk
    project.refresh_from_db()
    assert project.status == "bidding"
    notice = Notice.objects.get(project=project, kind="auction")
    assert "动态报价" in notice.body and "起始价" in notice.body
    for app in (a, b):
        app.refresh_from_db()
        assert app.auction_id == auction.pk and app.bidder_no
        assert AuctionBidder.objects.get(auction=auction, user=app.applicant).bidder_no == app.bidder_no


def test_the_auction_starts_n_workdays_later_at_the_set_hour(settings):
    settings.TRADING_AUCTION_DELAY_MINUTES = None
    with clock.frozen(dt.datetime(2026, 12, 4, 15, 0)):  # a Friday
        start = services.auction_start(clock.now())
    local = start.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local.date(), local.hour) == (dt.date(2026, 12, 9), 10)


def test_priority_holders_are_admitted_with_their_rank():
    project = f.project()
    holder = f.buyer()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), holders=[(holder.pk, 2)])
    f.bidder(project, holder)
    f.bidder(project)
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    assert AuctionBidder.objects.get(auction_id=outcome.auction_id, user=holder).rank == 2


def _close(auction: Auction, capture) -> None:  # type: ignore[no-untyped-def]
    auction.refresh_from_db()
    with clock.frozen(auction.ends_at + dt.timedelta(seconds=1)), capture(execute=True):
        engine.auction_close_due(now=clock.now())


def test_auction_won_marks_winner_and_loser_and_opens_the_deal(django_capture_on_commit_callbacks):
    project, outcome, a, b = _two_bidders()
    auction = Auction.objects.get(pk=outcome.auction_id)
    with clock.frozen(auction.starts_at + dt.timedelta(seconds=1)):
        engine.bid_place(auction_id=auction.pk, user=a.applicant, amount=auction.start_price, key="a1")
        engine.bid_place(
            auction_id=auction.pk, user=b.applicant, amount=auction.start_price + auction.increment, key="b1"
        )
    _close(auction, django_capture_on_commit_callbacks)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (Status.LOSER, Status.WINNER)
    outcome.refresh_from_db()
    assert outcome.result == "sold" and outcome.price == auction.start_price + auction.increment
    project.refresh_from_db()
    assert project.status == "deal"
    # the handler is idempotent (the periodic catch-up finds nothing to do)
    assert services.results_catch_up() == 0
    assert not services.auction_result_apply(auction_id=auction.pk, result="sold", winner_user_id=b.applicant_id,
                                             price=Decimal("1"))  # fmt: skip


def test_auction_without_bids_fails_refunds_and_publishes_the_failure_notice(django_capture_on_commit_callbacks):
    project, outcome, a, b = _two_bidders()
    _close(Auction.objects.get(pk=outcome.auction_id), django_capture_on_commit_callbacks)
    project.refresh_from_db()
    assert project.status == "failed"
    assert Notice.objects.filter(project=project, kind="failure").exists()
    for app in (a, b):
        app.refresh_from_db()
        assert app.status == Status.CLOSED
        assert DepositInstruction.objects.get(pk=app.deposit_instruction_id).refund_due_on is not None


def test_sole_bidder_who_does_not_bid_forfeits_the_deposit(django_capture_on_commit_callbacks):
    project = f.project()
    app = f.bidder(project)
    f.ended(project)
    outcome = services.outcome_decide(project_id=project.pk)
    assert outcome.decision == "sole_auction"
    assert "仅有一名竞买人" in Notice.objects.get(project=project, kind="auction").body
    _close(Auction.objects.get(pk=outcome.auction_id), django_capture_on_commit_callbacks)
    app.refresh_from_db()
    assert app.status == Status.FORFEITED
    assert DepositInstruction.objects.get(pk=app.deposit_instruction_id).status == "forfeited"
    project.refresh_from_db()
    assert project.status == "failed"
    assert "不予退还" in Notice.objects.get(project=project, kind="failure").body


def test_sole_bidder_who_bids_the_start_price_wins(django_capture_on_commit_callbacks):
    project = f.project()
    app = f.bidder(project)
    f.ended(project)
    auction = Auction.objects.get(pk=services.outcome_decide(project_id=project.pk).auction_id)
    with clock.frozen(auction.starts_at + dt.timedelta(seconds=1)):
        engine.bid_place(auction_id=auction.pk, user=app.applicant, amount=auction.start_price, key="k")
    _close(auction, django_capture_on_commit_callbacks)
    app.refresh_from_db()
    assert app.status == Status.WINNER


def test_missed_results_are_caught_up_by_the_periodic_job():
    _project, outcome, _a, _b = _two_bidders()
    auction = Auction.objects.get(pk=outcome.auction_id)
    with clock.frozen(auction.ends_at + dt.timedelta(seconds=1)):
        engine.auction_close_due(now=clock.now())  # on_commit not run: the signal is "lost"
    assert Outcome.objects.get(pk=outcome.pk).result == ""
    assert services.outcomes_run()["results"] == 1
    assert Outcome.objects.get(pk=outcome.pk).result == "failed"


def test_termination_closes_open_applications_and_refunds_paid_deposits():
    project = f.project()
    paid = f.bidder(project)
    waiting = f.apply(project)
    listings.project_terminate(project_id=project.pk, actor=f.UserFactory(role="manager"), reason="转让方撤回")
    assert services.terminated_close() == 2
    assert services.terminated_close() == 0
    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert paid.status == waiting.status == Status.CLOSED
    assert "转让方撤回" in waiting.closed_reason
    assert DepositInstruction.objects.get(pk=paid.deposit_instruction_id).status == "refunding"


@pytest.mark.parametrize(("method", "mode"), [("english", "english"), ("sealed", "sealed"), ("dutch", "dutch"),
                                              ("agreement", "dynamic")])  # fmt: skip
def test_the_auction_takes_the_projects_trading_method(method, mode):
    project, outcome, _a, _b = _two_bidders(method)
    auction = Auction.objects.get(pk=outcome.auction_id)
    terms = services.terms_ensure(project_id=project.pk)
    assert auction.mode == mode
    if mode == "english":
        assert (auction.window_seconds, auction.extension_seconds) == (terms.window_seconds, terms.extension_seconds)
    if mode == "dutch":
        assert auction.dutch_floor == project.floor_price and auction.start_price > project.floor_price
    else:
        assert auction.start_price == project.floor_price
