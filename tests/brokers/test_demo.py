"""The brokers demo: an approved broker with an accepted, a pending and a revoked mandate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from exchange.accounts.models import User
from exchange.brokers import demo, selectors
from exchange.brokers.models import Mandate, MandateProject
from exchange.listings import demo as listings_demo
from exchange.portal import demo as portal

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_broker_and_its_mandates_in_every_state_and_is_idempotent():
    # given the demo accounts
    groups = {g.name: g for g in Group.objects.all()}
    for account in portal.demo_accounts():
        portal._ensure_account(account, groups)
    # when the brokers demo runs twice
    first = demo.seed()
    second = demo.seed()
    # then the partner is an approved broker with one mandate per state, and a re-run adds nothing
    assert first == {"brokers": 1, "mandates": 3}
    assert second == {"brokers": 0, "mandates": 0}
    broker = User.objects.get(phone=demo.BROKER)
    assert selectors.is_broker(broker)
    states = dict(Mandate.objects.filter(broker=broker).values_list("subject", "status"))
    assert states == {demo.ACCEPTED_SUBJECT: "accepted", demo.PENDING_SUBJECT: "pending",
                      demo.REVOKED_SUBJECT: "revoked"}  # fmt: skip
    # and the listings demo files a draft for the seller under the accepted mandate
    assert listings_demo._broker_draft() == 1 and listings_demo._broker_draft() == 0
    accepted = Mandate.objects.get(subject=demo.ACCEPTED_SUBJECT)
    link = MandateProject.objects.get(mandate=accepted)
    assert link.project.title == listings_demo.FILED_TITLE and link.project.broker == broker
    assert selectors.may_act(broker, link.project, sign=True)
