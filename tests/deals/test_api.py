"""The members' deals API: own deals only, own side's fee working, signing for one's side."""

from __future__ import annotations

import pytest

from exchange.deals.models import Deal
from tests.deals import factories as f

pytestmark = pytest.mark.django_db


def test_my_deals_lists_own_deals_with_own_fee_working(client):
    deal, other = f.deal(), f.deal()
    client.force_login(deal.seller)
    data = client.get("/api/v1/deals").json()
    assert [d["id"] for d in data] == [deal.pk]
    assert data[0]["side"] == "seller" and data[0]["fee"] == str(deal.seller_fee)
    assert data[0]["fee_working"]["side"] == "seller"
    assert client.get(f"/api/v1/deals/{other.pk}").status_code == 404


def test_sign_through_the_api_and_errors(client):
    deal = f.deal()
    client.force_login(deal.buyer)
    url = f"/api/v1/deals/{deal.pk}/sign"
    response = client.post(url, {"side": "seller"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "not_your_side"
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["buyer_signed"] is True
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "already_signed"
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/deals").status_code == 401


@pytest.mark.parametrize("body", ["[null,null]", "null", '"buyer"'])
def test_a_sign_body_that_is_not_an_object_signs_nothing(client, body):
    """SignIn's only field is optional: such a body used to sign for the caller's side."""
    deal = f.deal()
    client.force_login(deal.buyer)
    response = client.generic("POST", f"/api/v1/deals/{deal.pk}/sign", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    deal.refresh_from_db()
    assert deal.buyer_signed_at is None and deal.status == Deal.Status.OPEN
