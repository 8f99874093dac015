"""`POST /api/v1/auctions/drills`: `preemption_seconds` as `manage.py drill --preemption-seconds`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exchange.accounts import services as account_services
from exchange.accounts.models import User
from exchange.bidding import conf, rules
from exchange.bidding.models import Auction, AuctionBidder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def post_drill(client, **fields):  # type: ignore[no-untyped-def]
    """A Dutch drill posted by staff (create_drill) with `fields`."""
    token = account_services.api_token_issue(user=UserFactory(role="operations"))
    return client.post(
        "/api/v1/auctions/drills",
        json.dumps({"mode": rules.DUTCH, "bidders": 2, **fields}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def created() -> tuple[int, int, int]:
    """Auctions, bidders and practice accounts (phone 199…) in the database."""
    return Auction.objects.count(), AuctionBidder.objects.count(), User.objects.filter(phone__startswith="199").count()


@pytest.mark.parametrize("seconds", [45, 1, 2**31 - 1])
def test_a_drill_keeps_its_preemption_window(client, seconds):
    # when staff create a Dutch drill with a pre-emption window of `seconds` (up to the column's range)
    response = post_drill(client, preemption_seconds=seconds)
    # then the auction keeps it, with its two practice bidders
    assert response.status_code == 201, response.json()
    auction = Auction.objects.get(pk=response.json()["auction_id"])
    assert (auction.mode, auction.is_practice, auction.preemption_seconds) == (rules.DUTCH, True, seconds)
    assert auction.bidders.count() == 2


def test_without_preemption_seconds_a_drill_takes_the_configured_default(client, settings):
    # as the command (and the back office) do when the field is left empty
    assert post_drill(client).status_code == 201
    assert Auction.objects.get().preemption_seconds == conf.default_preemption() == 60
    settings.BIDDING = {"PREEMPTION_SECONDS": 90}
    body = post_drill(client, preemption_seconds=None).json()
    assert Auction.objects.get(pk=body["auction_id"]).preemption_seconds == 90


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "优先购买权行权期须大于零秒。"),
        (-30, "优先购买权行权期须大于零秒。"),
        (2**31, "优先购买权行权期不能超过 2147483647 秒。"),
        (10**30, "优先购买权行权期不能超过 2147483647 秒。"),
    ],
)
def test_an_invalid_preemption_window_is_refused_and_creates_nothing(client, value, message):
    # when staff ask for a window of `value` seconds
    response = post_drill(client, preemption_seconds=value)
    # then a 422 with the stable code, the field and a Chinese message; no auction, bidder or account
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": message, "field": "preemption_seconds"}
    assert created() == (0, 0, 0)


@pytest.mark.parametrize("value", ["abc", 1.5, [60]])
def test_a_preemption_window_that_is_not_a_whole_number_is_refused(client, value):
    # the API's answer to any ill-typed field: 422 invalid, the field named in `errors`
    response = post_drill(client, preemption_seconds=value)
    body = response.json()
    assert response.status_code == 422
    assert (body["code"], body["message"]) == ("invalid", "请求参数有误。")
    assert body["errors"][0]["loc"][-1] == "preemption_seconds"
    assert created() == (0, 0, 0)


def test_the_command_refuses_what_the_api_refuses():
    with pytest.raises(CommandError, match="优先购买权行权期须大于零秒。"):
        call_command("drill", "--mode", rules.DUTCH, "--preemption-seconds", "0", stdout=StringIO())
    assert created() == (0, 0, 0)
