"""The 减价 (Dutch) page's own texts for auction.js: the custom amount's examples and the
taker's line, each with one "%s" for the amount (a "%" of a {% translate %} string is
doubled in the catalogue and restored on output: a "%%s" here would reach the page)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from exchange.bidding import engine, rules, selectors, services
from exchange.bidding.models import AuctionBidder
from exchange.core import clock
from exchange.core.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "zh-hans": (
        "例如 %s（当前价格）",
        "只能按应价 %s",
        "您已以 %s 应价，正处于优先购买权行权期，不能再出价。",
    ),
    "en": ("e.g. %s (current price)", "Only the taken price %s", "You have taken the lot at %s."),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dutch_page_carries_its_texts_with_one_placeholder(client, language):
    # given a bidder of a Dutch drill, in `language`
    spec = services.AuctionSpec(title="减价演练", mode=rules.DUTCH, starts_at=clock.now(), dutch_tick=1000)
    auction_id = services.drill_create(spec=spec, bidders=0, actor=None)["auction_id"]
    (bidder,) = services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None)
    client.force_login(bidder.user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    # when
    html = client.get(f"/bidding/{auction_id}/").content.decode()
    # then
    dutch = re.search(r'data-placeholder-dutch="([^"]*)"', html)
    taken = re.search(r'data-placeholder-taken="([^"]*)"', html)
    mine = re.search(r'data-dutch-mine hidden role="status" data-text="([^"]*)"', html)
    assert dutch and taken and mine
    example, only, line = TEXTS[language]
    assert (dutch[1], taken[1]) == (example, only)
    assert mine[1].startswith(line)
    assert all(text.count("%s") == 1 and "%%" not in text for text in (dutch[1], taken[1], mine[1]))


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "例如 %s（最低可出价）"), ("en", "e.g. %s (lowest you can bid)")]
)
def test_ascending_pages_carry_the_lowest_bid_example(client, language, text):
    # given a bidder of an English drill, in `language`
    spec = services.AuctionSpec(title="多次报价演练", mode=rules.ENGLISH, starts_at=clock.now())
    auction_id = services.drill_create(spec=spec, bidders=0, actor=None)["auction_id"]
    (bidder,) = services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None)
    client.force_login(bidder.user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    # when
    html = client.get(f"/bidding/{auction_id}/").content.decode()
    # then the static example, and the text auction.js fills with the lowest amount biddable now
    assert "data-placeholder-dutch" not in html
    assert re.search(r'data-placeholder-min="([^"]*)"', html)[1] == text  # type: ignore[index]


def test_the_payload_tells_each_viewer_their_own_rank_and_whether_they_may_preempt(client):
    # given a Dutch drill (start 100,000, tick 1,000) taken by a holder of rank 1, with
    # bidders of rank 0, 1 (equal to the taker's) and 2, and one of rank 3 not qualified
    spec = services.AuctionSpec(title="减价演练", mode=rules.DUTCH, starts_at=clock.now(), dutch_tick=1000)
    auction_id = services.drill_create(spec=spec, bidders=0, actor=None)["auction_id"]
    by_rank = {}
    for rank in (0, 1, 2, 3):
        by_rank[rank] = services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None, rank=rank)[0]
    (taker,) = services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None, rank=1)
    AuctionBidder.objects.filter(pk=by_rank[3].pk).update(qualified=False)
    engine.auction_open(auction_id=auction_id)

    def seen_by(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        body = client.get(f"/api/v1/auctions/{auction_id}").json()
        client.logout()
        return body["my_rank"], body["my_can_preempt"], body["my_status"]

    # before the take: each sees their own rank, nobody a pre-emption (nothing taken yet)
    assert seen_by(by_rank[2].user) == (2, False, "none")
    public = selectors.auction_public(auction_id=auction_id)  # the events' state: no viewer
    assert (public["my_rank"], public["my_can_preempt"]) == (None, False)
    # when the taker takes the start price
    engine.bid_place(auction_id=auction_id, user=taker.user, amount=Decimal("100000.00"), key="k1")
    # then only the qualified bidder ranking above the taker may pre-empt; never-bidders are not outbid
    assert seen_by(taker.user) == (1, False, "leading")
    assert seen_by(by_rank[0].user) == (0, False, "none")
    assert seen_by(by_rank[1].user) == (1, False, "none")
    assert seen_by(by_rank[2].user) == (2, True, "none")
    assert seen_by(by_rank[3].user) == (3, False, "none")
    public = selectors.auction_public(auction_id=auction_id)
    assert not any("rank" in key for key in public if key != "my_rank") and public["my_rank"] is None
    # and the server agrees: rank 1 is refused, rank 2 pre-empts (then the taker is outbid)
    with pytest.raises(DomainError) as refused:
        engine.bid_place(auction_id=auction_id, user=by_rank[1].user, amount=Decimal("100000.00"), key="k2")
    assert refused.value.as_dict()["code"] == rules.PREEMPTION_ONLY
    engine.bid_place(auction_id=auction_id, user=by_rank[2].user, amount=Decimal("100000.00"), key="k3")
    assert seen_by(taker.user) == (1, False, "outbid")
    assert seen_by(by_rank[2].user)[1:] == (False, "leading")
