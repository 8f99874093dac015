"""Auctions with bidders for the bidding tests (through the services, so rules hold)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from exchange.bidding import services
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import clock
from tests.factories import UserFactory

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


def auction_with_bidders(
    n: int = 3, *, ranks: tuple[int, ...] = (), **spec: Any
) -> tuple[Auction, list[AuctionBidder]]:
    """An auction starting at T0 (unless given) with n practice bidders (ranks per bidder if given)."""
    spec.setdefault("title", "测试标的")
    spec.setdefault("starts_at", T0)
    spec.setdefault("start_price", D("100000.00"))
    spec.setdefault("increment", D("1000.00"))
    with clock.frozen(spec["starts_at"] - dt.timedelta(minutes=1)):
        auction = services.auction_create(spec=services.AuctionSpec(**spec), actor=None)
        users = [UserFactory() for _ in range(n)]
        bidders = services.bidders_admit(auction_id=auction.pk, users=users, actor=None)
    for b, rank in zip(bidders, ranks, strict=False):
        b.rank = rank
        b.save(update_fields=["rank"])
    return auction, bidders
