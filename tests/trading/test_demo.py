"""The demo: one application per review state, a scheduled and a live auction, a 流拍 — fast and idempotent."""

from __future__ import annotations

import importlib
import time

import pytest

from exchange.bidding.models import Auction
from exchange.core import clock
from exchange.listings.models import Notice
from exchange.trading import demo
from exchange.trading.models import Application, Outcome
from tests.browser.journey_steps_trading import demo_accounts

pytestmark = pytest.mark.django_db


def test_demo_seed_covers_every_state_and_is_idempotent():
    demo_accounts()
    for app in ("listings", "settlement", "bidding", "members"):
        importlib.import_module(f"exchange.{app}.demo").seed()
    started = time.monotonic()
    assert demo.seed() == {"applications": 4, "projects": 3}
    assert time.monotonic() - started < 10
    assert demo.seed() == {"applications": 0, "projects": 0}
    review = Application.objects.filter(project__title=demo.REVIEW_PROJECT)
    assert sorted(review.values_list("status", flat=True)) == [
        "deposit_confirmed",
        "qualified",
        "rejected",
        "submitted",
    ]
    assert review.get(status="rejected").reject_reasons == ["具有良好的财务状况和支付能力"]
    # the commitment letter both ways: the entity in review filed it signed, the others online
    assert dict(review.values_list("status", "commitment_method"))["submitted"] == "upload"
    assert review.get(status="submitted").materials.filter(kind="commitment").exists()
    assert set(review.exclude(status="submitted").values_list("commitment_method", flat=True)) == {"online"}
    outcomes = {o.project.title: o for o in Outcome.objects.select_related("project")}
    scheduled, live, failed = (outcomes[spec[0]] for spec in demo.OWN)
    now = clock.now()
    assert Auction.objects.get(pk=scheduled.auction_id).starts_at > now
    live_auction = Auction.objects.get(pk=live.auction_id)
    assert live_auction.starts_at < now < live_auction.ends_at
    assert set(live_auction.bidders.values_list("user__phone", flat=True)) == {"13900000011", "13900000012"}
    assert failed.result == "failed" and failed.project.status == "failed"
    assert Notice.objects.filter(project=failed.project, kind="failure").exists()
