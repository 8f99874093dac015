"""Back office: the control page (pause/resume/rerun) and drills call the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from exchange.bidding.models import Auction, Status
from exchange.core import clock
from tests.bidding.factories import T0, auction_with_bidders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_control_page_pauses_with_a_reason_and_supervisor_cannot(client):
    auction, _ = auction_with_bidders(2)
    url = f"/admin/bidding/auction/{auction.pk}/control/"
    client.force_login(UserFactory(role="supervisor"))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role="operations"))
    assert client.post(url, {"operation": "pause", "reason": ""}).status_code == 200  # form error, nothing done
    assert Auction.objects.get(pk=auction.pk).status == Status.SCHEDULED
    with clock.frozen(T0 + dt.timedelta(seconds=5)):
        response = client.post(url, {"operation": "pause", "reason": "网络故障"})
    assert response.status_code == 302
    auction.refresh_from_db()
    assert auction.status == Status.PAUSED and auction.pause_reason == "网络故障"
    with clock.frozen(T0 + dt.timedelta(seconds=6)):  # operations may pause but not rerun
        assert client.post(url, {"operation": "rerun", "reason": "x"}).status_code == 403


def test_drill_from_the_back_office_shows_the_accounts(client):
    client.force_login(UserFactory(role="manager"))
    data = {
        "mode": "dynamic", "bidders": 3, "start_price": "100000", "increment": "1000", "start_delay": 60,
        "duration": 600, "free_seconds": 120, "countdown": 30, "dutch_tick": "1000", "dutch_interval": 30,
    }  # fmt: skip
    response = client.post("/admin/bidding/auction/drill/", data)
    assert response.status_code == 200
    auction = Auction.objects.get()
    assert auction.is_practice and auction.mode == "dynamic" and auction.bidders.count() == 3
    html = response.content.decode()
    for no in auction.bidders.values_list("bidder_no", flat=True):
        assert no in html
