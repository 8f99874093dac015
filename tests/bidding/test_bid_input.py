"""The bid body is read strictly: JSON booleans are neither amounts nor keys."""

from __future__ import annotations

import pytest

from exchange.bidding.models import Bid
from tests.bidding.factories import auction_with_bidders
from tests.bidding.test_api import auth, post_bid

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", [True, False])
def test_a_boolean_amount_is_refused_not_read_as_one(client, amount):
    # given a running auction
    auction, (a, _b) = auction_with_bidders(2)
    # when a client sends JSON true (lax parsing read it as 1 yuan) or false as the amount
    answer = post_bid(client, auction, auth(a.user), amount)
    # then it is a 422 about the body, not a bid judged on its price, and nothing is written
    assert answer.status_code == 422
    assert answer.json()["code"] != "bid_too_low"
    assert not Bid.objects.filter(auction=auction).exists()
