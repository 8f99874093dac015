"""The 减价 (Dutch) page's own texts for auction.js: the custom amount's examples and the
taker's line, each with one "%s" for the amount (a "%" of a {% translate %} string is
doubled in the catalogue and restored on output: a "%%s" here would reach the page)."""

from __future__ import annotations

import re

import pytest

from exchange.bidding import rules, services
from exchange.core import clock
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


def test_ascending_pages_keep_their_example(client):
    spec = services.AuctionSpec(title="多次报价演练", mode=rules.ENGLISH, starts_at=clock.now())
    auction_id = services.drill_create(spec=spec, bidders=0, actor=None)["auction_id"]
    (bidder,) = services.bidders_admit(auction_id=auction_id, users=[UserFactory()], actor=None)
    client.force_login(bidder.user)
    html = client.get(f"/bidding/{auction_id}/").content.decode()
    assert 'placeholder="例如 101000.00"' in html and "data-placeholder-dutch" not in html
