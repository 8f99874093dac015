"""Demo data, `drill` and `verify_auction`."""

from __future__ import annotations

import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exchange.bidding import demo
from exchange.bidding.models import Auction, Bid, Status
from exchange.bidding.verify import verify_auction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_has_every_mode():
    for phone in demo.DEMO_PHONES:
        UserFactory(phone=phone)
    assert demo.seed() == {"auctions": 6}
    assert demo.seed() == {}
    auctions = Auction.objects.filter(title__startswith=demo.PREFIX)
    assert {a.mode for a in auctions} == {"english", "dynamic", "dutch", "sealed", "proxy"}
    closed = auctions.get(status=Status.CLOSED)
    assert closed.result == "sold" and closed.confirmation.name.endswith(".pdf")
    assert all(verify_auction(a.pk).ok for a in auctions)


@pytest.mark.parametrize("mode", ["dynamic", "english", "sealed", "dutch", "proxy"])
def test_drill_command_prints_the_accounts(mode):
    out = StringIO()
    call_command("drill", "--mode", mode, "--bidders", "3", "--start-delay", "30", "--dutch-floor", "90000", stdout=out)
    info = json.loads(out.getvalue())
    assert set(info) == {"auction_id", "url", "bidders"}
    assert info["url"] == f"http://127.0.0.1:8000/bidding/{info['auction_id']}/"  # a full address to open
    assert [set(b) for b in info["bidders"]] == [{"username", "password", "bidder_no"}] * 3
    auction = Auction.objects.get(pk=info["auction_id"])
    assert auction.is_practice and auction.mode == mode and auction.bidders.count() == 3


def test_drill_prints_the_auction_at_the_configured_site_address(settings):
    settings.NOTIFY_SITE_URL = "https://jy.example.cn/"
    out = StringIO()
    call_command("drill", "--bidders", "1", stdout=out)
    info = json.loads(out.getvalue())
    assert info["url"] == f"https://jy.example.cn/bidding/{info['auction_id']}/"
    out = StringIO()
    call_command("drill", "--bidders", "1", "--url", "http://10.0.0.5:8080", stdout=out)
    info = json.loads(out.getvalue())
    assert info["url"] == f"http://10.0.0.5:8080/bidding/{info['auction_id']}/"
    with pytest.raises(CommandError):
        call_command("drill", "--bidders", "1", "--url", "jy.example.cn", stdout=StringIO())


def test_verify_command_exit_code():
    out = StringIO()
    call_command("drill", "--bidders", "2", stdout=out)
    info = json.loads(out.getvalue())
    from exchange.accounts.models import User
    from exchange.bidding import engine

    user = User.objects.get(phone=info["bidders"][0]["username"])
    engine.bid_place(auction_id=info["auction_id"], user=user, amount=D("100000"), key="k")
    call_command("verify_auction", str(info["auction_id"]), stdout=StringIO())
    Bid.objects.update(bidder_no="0000")
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_auction", str(info["auction_id"]), stdout=StringIO())
    assert exit_.value.code == 1
