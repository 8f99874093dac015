"""API tokens: listed and revoked by their member, revoked by a password change or reset and by
deactivation, and the API's logout — and a revoked token is refused on every path, the bid
hot path's one-statement Bearer lookup included."""

from __future__ import annotations

import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exchange.accounts import services
from exchange.accounts.models import ApiToken
from exchange.bidding import api as bidding_api
from tests.bidding.test_sse_support import running_drill
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sx-exchange-2027"


def _token(api, user, **extra) -> str:
    body = {"username": user.phone, "password": PASSWORD, **extra}
    response = api.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(client, token: str) -> int:
    """The answer to the token alone (a fresh client: no session to fall back on)."""
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_changing_the_password_revokes_every_token(client):
    # given: two tokens, both working
    user = UserFactory()
    first, second = _token(client, user), _token(client, user)
    assert _me(client, first) == _me(client, second) == 200
    client.force_login(user)
    # when
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then: both refused, the session itself goes on
    assert response.status_code == 302
    assert _me(client, first) == _me(client, second) == 401
    assert not ApiToken.objects.filter(user=user).exists()
    assert client.get(reverse("accounts:center")).status_code == 200


def test_a_password_reset_revokes_every_token(client):
    # given
    user = UserFactory(email="reset@example.com")
    token = _token(client, user)
    client.post(reverse("accounts:password_reset"), {"email": "reset@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    # when
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # then
    assert response.status_code == 302
    assert _me(client, token) == 401


def test_deactivating_revokes_and_reactivating_does_not_bring_tokens_back(client):
    # given
    user = UserFactory()
    token = _token(client, user)
    # when: the back office switches the account off, then on again
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    # then
    assert _me(client, token) == 401


def test_a_rehash_at_login_is_not_a_password_change(client, settings):
    # given: a token, and the password stored with a hasher that is no longer the first
    user = UserFactory()
    token = _token(client, user)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    # when: logging in upgrades the stored hash
    response = client.post(reverse("accounts:login"), {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    # then
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_")
    assert _me(client, token) == 200


def test_the_api_logout_revokes_only_the_current_token(client):
    # given
    user = UserFactory()
    phone_app, tablet_app = _token(client, user), _token(client, user)
    # when
    response = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone_app}"})
    # then
    assert response.status_code == 204
    assert _me(client, phone_app) == 401
    assert _me(client, tablet_app) == 200
    again = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone_app}"})
    assert again.status_code == 401


def test_the_member_center_lists_tokens_with_their_client_and_revokes_one(client):
    # given: one token named by the app, one by its User-Agent
    user = UserFactory()
    named = _token(client, user, client="山西产权 App 2.1")
    by_agent = client.post(
        "/api/v1/auth/token",
        {"username": user.phone, "password": PASSWORD},
        content_type="application/json",
        headers={"User-Agent": "MiniProgram/8.0"},
    ).json()["token"]
    client.force_login(user)
    # when
    page = client.get(reverse("accounts:tokens")).content.decode()
    # then
    assert "山西产权 App 2.1" in page and "MiniProgram/8.0" in page
    assert named[:8] in page and by_agent[:8] in page
    token = ApiToken.objects.get(user=user, label="山西产权 App 2.1")
    # when: revoked from the page
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    # then: that one is refused, the other works, and the trail names the revocation
    assert response.status_code == 302
    assert _me(client, named) == 401 and _me(client, by_agent) == 200
    entry = LogEntry.objects.filter(additional_data__action="token.revoke").get()
    assert entry.actor == user and entry.additional_data["label"] == "山西产权 App 2.1"


def test_nobody_revokes_someone_elses_token(client):
    # given
    owner, other = UserFactory(), UserFactory()
    token = _token(client, owner)
    client.force_login(other)
    # when
    response = client.post(reverse("accounts:token_revoke", args=[ApiToken.objects.get(user=owner).pk]))
    # then
    assert response.status_code == 404
    assert _me(client, token) == 200


def test_a_revoked_token_is_refused_by_the_bid_paths_one_statement_lookup():
    # given: a bidder of a running auction with a token that bids
    auction_id, people = running_drill(2)
    raw = services.api_token_issue(user=people[0].user)
    status, _body = bidding_api.bid_native(
        auction_id=auction_id, token=raw, payload={"amount": "100000.00", "key": "first"}
    )
    assert status == 201
    # when
    services.api_token_revoke(actor=people[0].user, raw=raw)
    with CaptureQueriesContext(connection) as queries:
        status, body = bidding_api.bid_native(
            auction_id=auction_id, token=raw, payload={"amount": "102000.00", "key": "second"}
        )
    # then: 401, and the token was looked up by its digest in one statement (no other lookup)
    assert (status, body["code"]) == (401, "unauthenticated")
    lookups = [q["sql"] for q in queries.captured_queries if "digest" in q["sql"]]
    assert len(lookups) == 1
