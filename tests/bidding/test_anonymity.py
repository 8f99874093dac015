"""Bidders are known to each other, the seller and the public only by their 竞买号."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from exchange.accounts import services as account_services
from exchange.bidding import engine
from exchange.core import clock
from tests.bidding.factories import T0, auction_with_bidders

pytestmark = pytest.mark.django_db


def _identities(bidder) -> list[str]:
    user = bidder.user
    return [s for s in (user.name, user.phone, user.email, user.real_name, user.id_number) if s]


def test_the_auction_and_its_log_name_no_bidder(client):
    # given an auction where two bidders bid
    auction, (a, b) = auction_with_bidders(2)
    for n, (bidder, amount) in enumerate([(a, "100000"), (b, "101000")], start=1):
        token = account_services.api_token_issue(user=bidder.user)
        with clock.frozen(T0 + dt.timedelta(seconds=10 * n)):
            answer = client.post(
                f"/api/v1/auctions/{auction.pk}/bids",
                json.dumps({"amount": amount, "key": f"k{n}"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 201
    b_token = account_services.api_token_issue(user=b.user)
    # when the other bidder and the public read the auction, during and after it
    during = client.get(f"/api/v1/auctions/{auction.pk}", headers={"Authorization": f"Bearer {b_token}"})
    with clock.frozen(T0 + dt.timedelta(seconds=700)):
        engine.auction_close(auction_id=auction.pk)
    after = [client.get(f"/api/v1/auctions/{auction.pk}"), client.get(f"/api/v1/auctions/{auction.pk}/log")]
    # then the answers carry 竞买号 and never a bidder's name, phone, e-mail or identity number
    texts = [r.content.decode() for r in (during, *after)]
    assert all(r.status_code == 200 for r in (during, *after))
    assert a.bidder_no in texts[2] and b.bidder_no in texts[2]
    for text in texts:
        for secret in _identities(a) + _identities(b):
            assert secret not in text
