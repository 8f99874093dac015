"""`POST /api/v1/auctions/drills`: `preemption_seconds` as `manage.py drill --preemption-seconds`;
every whole number within services.DRILL_LIMITS (the API, the command and the back office alike)."""

from __future__ import annotations

import json
import re
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


@pytest.mark.parametrize("seconds", [45, 1, 86400])
def test_a_drill_keeps_its_preemption_window(client, seconds):
    # when staff create a Dutch drill with a pre-emption window of `seconds` (up to a day)
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


PREEMPTION_RANGE = "优先购买权行权期须为 1–86400 秒之间的整数（最多 1 天）。"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, PREEMPTION_RANGE),
        (-30, PREEMPTION_RANGE),
        (86401, PREEMPTION_RANGE),
        (2**31, PREEMPTION_RANGE),
        (10**30, PREEMPTION_RANGE),
    ],
)
def test_an_invalid_preemption_window_is_refused_and_creates_nothing(client, value, message):
    # when staff ask for a window of `value` seconds
    response = post_drill(client, preemption_seconds=value)
    # then a 422 with the stable code, the field and a Chinese message; no auction, bidder or account
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": message, "field": "preemption_seconds"}
    assert created() == (0, 0, 0)


@pytest.mark.parametrize("value", ["abc", 1.5, [60], True, False, "60", 60.5, float("inf")])
def test_a_preemption_window_that_is_not_a_whole_number_is_refused(client, value):
    # the API's answer to any ill-typed field: 422 invalid, the field named in `errors`
    response = post_drill(client, preemption_seconds=value)
    body = response.json()
    assert response.status_code == 422
    assert (body["code"], body["message"]) == ("invalid", "请求参数有误。")
    assert body["errors"][0]["loc"][-1] == "preemption_seconds"
    assert created() == (0, 0, 0)


def test_a_whole_number_written_with_a_point_is_that_number(client):
    """60.0 is the integer 60 in JSON Schema's reading of `type: integer`, which the schema
    states: refusing it refused what the schema allows (issue 14, item 19)."""
    response = post_drill(client, preemption_seconds=60.0, duration=600.0)
    assert response.status_code == 201, response.json()
    assert Auction.objects.get().preemption_seconds == 60


def test_the_command_refuses_what_the_api_refuses():
    with pytest.raises(CommandError, match=re.escape(PREEMPTION_RANGE)):
        call_command("drill", "--mode", rules.DUTCH, "--preemption-seconds", "0", stdout=StringIO())
    assert created() == (0, 0, 0)


# --- every whole number of a drill: one set of limits (services.DRILL_LIMITS) -------------

OUT_OF_RANGE = [
    # (field, value, message): a value just out of range, and one that would overflow
    ("duration", 0, "竞价时长须为 1–604800 秒之间的整数（最多 7 天）。"),
    ("duration", 7 * 86400 + 1, "竞价时长须为 1–604800 秒之间的整数（最多 7 天）。"),
    ("duration", 10**30, "竞价时长须为 1–604800 秒之间的整数（最多 7 天）。"),
    ("free_seconds", -1, "自由报价期须为 0–604800 秒之间的整数（最多 7 天）。"),
    ("free_seconds", 2**31, "自由报价期须为 0–604800 秒之间的整数（最多 7 天）。"),
    ("countdown", 0, "限时报价倒计时须为 1–86400 秒之间的整数（最多 1 天）。"),
    ("countdown", 2**31, "限时报价倒计时须为 1–86400 秒之间的整数（最多 1 天）。"),
    ("window", -5, "延时窗口须为 0–86400 秒之间的整数（最多 1 天）。"),
    ("window", 2**63, "延时窗口须为 0–86400 秒之间的整数（最多 1 天）。"),
    ("extension", 86401, "延时时长须为 0–86400 秒之间的整数（最多 1 天）。"),
    ("dutch_interval", 0, "减价周期须为 1–86400 秒之间的整数（最多 1 天）。"),
    ("dutch_interval", 10**12, "减价周期须为 1–86400 秒之间的整数（最多 1 天）。"),
    ("start_delay", -1, "距开始时间须为 0–2592000 秒之间的整数（最多 30 天）。"),
    ("start_delay", 10**30, "距开始时间须为 0–2592000 秒之间的整数（最多 30 天）。"),
    ("bidders", -1, "演练竞买人数须为 0–10000 之间的整数。"),
    ("bidders", 10**9, "演练竞买人数须为 0–10000 之间的整数。"),
]


@pytest.mark.parametrize("mode", [rules.DUTCH, rules.ENGLISH])
@pytest.mark.parametrize(("field", "value", "message"), OUT_OF_RANGE)
def test_a_whole_number_out_of_range_is_refused_and_creates_nothing(client, mode, field, value, message):
    # when staff ask for a drill with `field` out of its range (whatever the mode reads)
    response = post_drill(client, mode=mode, **{field: value})
    # then a 422 with the stable code, the field and a Chinese message; nothing created
    assert response.status_code == 422, response.json()
    assert response.json() == {"code": "invalid", "message": message, "field": field}
    assert created() == (0, 0, 0)


def test_a_free_period_of_zero_is_refused_for_a_dynamic_drill_only(client):
    response = post_drill(client, mode=rules.DYNAMIC, free_seconds=0)
    assert response.status_code == 422
    assert response.json()["field"] == "free_seconds"
    assert created() == (0, 0, 0)
    assert post_drill(client, mode=rules.ENGLISH, free_seconds=0).status_code == 201


@pytest.mark.parametrize(
    "fields",
    [
        {"duration": 7 * 86400, "start_delay": 30 * 86400, "window": 86400, "extension": 86400},
        {"mode": rules.DYNAMIC, "free_seconds": 7 * 86400, "countdown": 86400},
        {"dutch_interval": 86400, "preemption_seconds": 86400, "dutch_tick": "1000", "dutch_floor": "95000"},
    ],
)
def test_the_longest_drill_is_created(client, fields):
    response = post_drill(client, **fields)
    assert response.status_code == 201, response.json()
    assert Auction.objects.get().is_practice


def test_a_dutch_descent_longer_than_a_week_is_refused(client):
    # ¥1 steps from ¥100,000 to ¥1: 100,000 intervals of a minute, some 69 days
    response = post_drill(client, dutch_tick="1", dutch_floor="1", dutch_interval=60)
    assert response.status_code == 422
    assert response.json()["field"] == "dutch_interval"
    assert "不能超过 7 天" in response.json()["message"]
    assert created() == (0, 0, 0)
    # far past any datetime: the same answer, no 500
    response = post_drill(client, start_price="9999999999999999", dutch_tick="0.01", dutch_floor="0.01")
    assert (response.status_code, response.json()["field"]) == (422, "dutch_interval")
    assert created() == (0, 0, 0)


@pytest.mark.parametrize("field", ["bidders", "duration", "countdown", "start_delay", "window"])
def test_json_true_is_not_a_whole_number(client, field):
    # pydantic's lax mode would read `true` as 1: the drill fields are strict
    response = post_drill(client, **{field: True})
    body = response.json()
    assert response.status_code == 422
    assert body["errors"][0]["loc"][-1] == field
    assert created() == (0, 0, 0)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--duration", str(10**30)], "竞价时长须为 1–604800 秒之间的整数（最多 7 天）。"),
        (["--start-delay", str(10**12)], "距开始时间须为 0–2592000 秒之间的整数（最多 30 天）。"),
        (["--countdown", "-1"], "限时报价倒计时须为 1–86400 秒之间的整数（最多 1 天）。"),
        (["--dutch-interval", str(2**31)], "减价周期须为 1–86400 秒之间的整数（最多 1 天）。"),
        (["--window", "86401"], "延时窗口须为 0–86400 秒之间的整数（最多 1 天）。"),
        (["--bidders", "10001"], "演练竞买人数须为 0–10000 之间的整数。"),
    ],
)
def test_the_command_refuses_numbers_out_of_range(flags, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("drill", "--mode", rules.DUTCH, *flags, stdout=StringIO())
    assert created() == (0, 0, 0)
