"""Invalid Unicode in a JSON body (a lone surrogate escape) is refused for the whole API."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from exchange.trading.models import Application, Status
from tests.factories import PASSWORD, UserFactory
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "13900000001", "password": "a\\udfffb"}',
        '{"username": "1", "password": "x", "\\udc00": 1}',
        '{"username": "1", "password": "x", "extra": [{"deep": ["\\uD800"]}]}',
    ],
)
def test_lone_surrogate_in_the_token_request_is_refused(client, body):
    # when
    response = client.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    # then: the API's 422 in Chinese, and no lockout record was written
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": "输入含有无效的字符（不成对的 Unicode 代理项）。"}
    assert not AccessAttempt.objects.exists()


def test_paired_surrogates_are_one_character_and_pass(client):
    # given: a member whose password holds an emoji, sent as its JSON surrogate pair
    user = UserFactory()
    user.set_password("Sx-exchange-😀")
    user.save()
    body = f'{{"username": "{user.phone}", "password": "Sx-exchange-\\ud83d\\ude00"}}'
    # when
    response = client.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    # then
    assert response.status_code == 200 and response.json()["token"]


def test_lone_surrogate_in_a_withdraw_reason_is_refused_and_nothing_changes(client):
    # given: a submitted application
    project = f.project()
    app = f.apply(project)
    client.force_login(app.applicant)
    # when
    response = client.generic(
        "POST",
        f"/api/v1/trading/applications/{app.pk}/withdraw",
        '{"reason": "\\ud800"}',
        content_type="application/json",
    )
    # then
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert Application.objects.filter(status=Status.WITHDRAWN).count() == 0


def test_plain_password_still_gets_its_token(client):
    user = UserFactory()
    response = client.post(
        "/api/v1/auth/token", {"username": user.phone, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
