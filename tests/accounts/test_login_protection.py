"""Login, registration and password-reset protection (accounts/protection.py): bounded inputs,
rate limits per address, per account and site-wide, a lockout per (account, address) that an
attacker cannot turn against the owner, and answers that do not tell who has an account."""

from __future__ import annotations

import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from exchange.accounts.backends import axes_username
from exchange.accounts.models import User
from exchange.members.models import Message
from tests.factories import PASSWORD, UserFactory, sms_code

pytestmark = pytest.mark.django_db

HOME, OFFICE, ATTACKER = "198.51.100.7", "198.51.100.8", "203.0.113.66"


def _login(client, username: str, password: str, address: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(client, username: str, password: str, address: str):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


# --- item 7: every input bounded, the lockout stores a bounded username ---------------------


def test_a_huge_username_on_the_token_endpoint_is_refused_and_stores_nothing(client):
    # given: a 9 MiB username (over REQUEST_MAX_BODY_BYTES: the server refuses the body itself,
    # 413 before reading it; in-process Django's DATA_UPLOAD_MAX_MEMORY_SIZE answers 400) and a
    # 512 KiB one (a body the server accepts: the schema's max length refuses it)
    huge, long = "1" * (9 * 1024 * 1024), "1" * (512 * 1024)
    # when: each is sent three times
    too_big = [_token(client, huge, "x", ATTACKER) for _ in range(3)]
    too_long = [_token(client, long, "x", ATTACKER) for _ in range(3)]
    # then: refused before any login attempt, and the lockout table holds nothing
    assert {a.status_code for a in too_big} <= {400, 413}
    assert [a.status_code for a in too_long] == [422, 422, 422]
    assert all(a.json()["code"] == "invalid" for a in too_long)
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(("username", "password"), [("1" * 255, "x"), ("13900000001", "p" * 129)])
def test_token_fields_have_maximum_lengths(client, username, password):
    response = _token(client, username, password, ATTACKER)
    assert response.status_code == 422
    assert not AccessAttempt.objects.exists()


def test_the_login_form_refuses_overlong_fields_without_a_login_attempt(client):
    user = UserFactory()
    for data in ({"username": "1" * 100_000, "password": "x"}, {"username": user.phone, "password": "p" * 100_000}):
        response = client.post(reverse("accounts:login"), data, REMOTE_ADDR=ATTACKER)
        assert response.status_code == 200
    assert not AccessAttempt.objects.exists()


def test_the_lockout_username_is_bounded_whatever_the_entry_point():
    # given: a login that reached authenticate() some other way (credentials straight from a caller)
    # when
    stored = axes_username(None, {"username": "A" * 10_000})  # type: ignore[arg-type]
    # then
    assert stored == "a" * 254


def test_registration_passwords_are_bounded(client):
    long = "Sx-" + "p7" * 100
    response = client.post(reverse("accounts:register"), _registration_form(password1=long, password2=long))
    assert response.status_code == 200
    assert not User.objects.exists()


# --- item 10: spraying from one address ------------------------------------------------------


def test_one_address_spraying_many_accounts_is_stopped_with_the_wait(client, settings):
    # given: 40 accounts with a common password guessed from one address
    settings.LOGIN_RATE_PER_ADDRESS = "20/15m"
    users = [UserFactory() for _ in range(40)]
    # when
    answers = [_token(client, u.phone, "Password123", ATTACKER) for u in users]
    # then: 20 wrong answers, then refusals that say how long to wait
    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 20
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert "分钟后再试" in refused.json()["message"]
    assert 0 < refused.json()["retry_after"] <= 900 and refused["Retry-After"] == str(refused.json()["retry_after"])
    # and the right password from that address is refused too while the window lasts
    assert _token(client, users[-1].phone, PASSWORD, ATTACKER).status_code == 429
    # but another address is not
    assert _token(client, users[-1].phone, PASSWORD, HOME).status_code == 200


def test_the_login_page_shows_the_wait_in_chinese(client, settings):
    settings.LOGIN_RATE_PER_ADDRESS = "3/15m"
    for i in range(3):
        _login(client, f"1390000{i:04d}", "wrong-pass", ATTACKER)
    response = _login(client, "13900009999", "wrong-pass", ATTACKER)
    assert response.status_code == 429
    assert re.search(r"当前网络登录失败次数过多，请在 \d+ 分钟后再试。", response.content.decode())


# --- item 10: the lockout cannot be turned against the owner ----------------------------------


def test_wrong_passwords_elsewhere_do_not_lock_the_owner_out(client, settings):
    # given: the owner logged in from home before
    user = UserFactory()
    assert _login(client, user.phone, PASSWORD, HOME).status_code == 302
    client.logout()
    # when: five wrong passwords from an attacker's address
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.phone, "wrong-pass", ATTACKER)
    # then: the attacker's address is locked for this account, with the wait …
    locked = _login(client, user.phone, PASSWORD, ATTACKER)
    assert locked.status_code == 429
    assert "15 分钟后再试" in locked.content.decode()
    # … the owner at home is not, and neither at a new address (the office)
    assert _login(client, user.phone, PASSWORD, HOME).status_code == 302
    client.logout()
    assert _login(client, user.phone, PASSWORD, OFFICE).status_code == 302


def test_locked_attempts_are_not_written(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.phone, "wrong-pass", ATTACKER)
    before = list(AccessAttempt.objects.values_list("failures_since_start", "post_data"))
    for _ in range(10):
        assert _login(client, user.phone, "wrong-pass", ATTACKER).status_code == 429
    assert list(AccessAttempt.objects.values_list("failures_since_start", "post_data")) == before


def test_guessing_from_many_addresses_spares_the_owners_known_address(client, settings):
    # given: the owner's usual address, and a per-account limit of 10 failures
    settings.LOGIN_RATE_PER_ACCOUNT = "10/1h"
    user = UserFactory()
    assert _token(client, user.phone, PASSWORD, HOME).status_code == 200
    # when: ten addresses guess once each
    for i in range(10):
        assert _token(client, user.phone, "wrong-pass", f"203.0.113.{i + 1}").status_code == 401
    # then: a new address is refused even with the right password …
    refused = _token(client, user.phone, PASSWORD, "203.0.113.200")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "常用网络" in refused.json()["message"]
    # … the owner at home is not
    assert _token(client, user.phone, PASSWORD, HOME).status_code == 200


def test_a_global_flood_of_failures_spares_known_addresses(client, settings):
    settings.LOGIN_RATE_GLOBAL = "5/5m"
    owner = UserFactory()
    assert _token(client, owner.phone, PASSWORD, HOME).status_code == 200
    for i in range(5):
        _token(client, f"1380000{i:04d}", "wrong-pass", f"203.0.113.{i + 1}")
    stranger = UserFactory()
    refused = _token(client, stranger.phone, PASSWORD, OFFICE)
    assert refused.status_code == 429 and "过于频繁" in refused.json()["message"]
    assert _token(client, owner.phone, PASSWORD, HOME).status_code == 200


def test_a_window_ends(client, settings):
    settings.LOGIN_RATE_PER_ADDRESS = "1/1s"
    _token(client, "13800000001", "wrong-pass", ATTACKER)
    assert _token(client, "13800000002", "wrong-pass", ATTACKER).status_code == 429
    time.sleep(1.1)
    assert _token(client, "13800000002", "wrong-pass", ATTACKER).status_code == 401


# --- item 10: registration and reset tell nothing, and are limited ------------------------------


def _registration_form(**overrides):
    form = {
        "member_type": "person", "name": "陈明", "phone": "13911112222", "email": "chen@example.com",
        "roles": ["bidder"], "password1": "Sx-exchange-88", "password2": "Sx-exchange-88", "agree": "on",
    }  # fmt: skip
    form = {**form, **overrides}
    return {"sms_code": sms_code(form["phone"]), **form}


def _flashes(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_registering_a_taken_number_answers_like_a_new_one_and_tells_the_owner():
    # given
    owner = UserFactory(phone="13911112222", email="owner@example.com")
    # when: a new number, then the taken one
    fresh = Client().post(reverse("accounts:register"), _registration_form(phone="13911113333", email="a@example.com"))
    taken = Client().post(reverse("accounts:register"), _registration_form(email="b@example.com"))
    # then: the same answer, word for word; no account for the taken number; its owner told
    assert (fresh.status_code, fresh.url) == (taken.status_code, taken.url)
    assert _flashes(fresh) == _flashes(taken)
    assert "已注册" not in taken.content.decode()
    assert User.objects.filter(phone="13911112222").get() == owner
    assert not User.objects.filter(email="b@example.com").exists()
    message = Message.objects.get(recipient=owner, kind="account.register_attempt")
    assert "手机号码" in message.subject
    assert set(message.deliveries.values_list("channel", flat=True)) == {"email", "sms"}


def test_registrations_from_one_address_are_limited(client, settings):
    settings.REGISTER_RATE_PER_ADDRESS = "2/1h"
    for i in range(2):
        form = _registration_form(phone=f"1391111000{i}", email=f"r{i}@example.com")
        assert client.post(reverse("accounts:register"), form, REMOTE_ADDR=ATTACKER).status_code == 302
    refused = client.post(
        reverse("accounts:register"),
        _registration_form(phone="13911110009", email="r9@example.com"),
        REMOTE_ADDR=ATTACKER,
    )
    assert refused.status_code == 429 and "分钟后再试" in refused.content.decode()
    assert not User.objects.filter(phone="13911110009").exists()


def test_password_reset_answers_alike_and_is_limited_per_address(client, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "2/1h"
    UserFactory(email="known@example.com")
    known = client.post(reverse("accounts:password_reset"), {"email": "known@example.com"}, REMOTE_ADDR=ATTACKER)
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"}, REMOTE_ADDR=ATTACKER)
    assert (
        (known.status_code, known.url)
        == (unknown.status_code, unknown.url)
        == (302, reverse("accounts:password_reset_done"))
    )
    done = client.get(known.url).content.decode()
    assert "如果您填写的电子邮箱已注册" in done
    refused = client.post(reverse("accounts:password_reset"), {"email": "known@example.com"}, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert len(mail.outbox) == 1


@given(count=st.integers(min_value=0, max_value=10_000), size=st.integers(min_value=1, max_value=999),
       unit=st.sampled_from("smhd"))  # fmt: skip
def test_rates_parse(count, size, unit):
    from exchange.core.ratelimit import Rate

    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert Rate.parse(f"{count}/{size}{unit}") == Rate(count, size * seconds)
    assert Rate.parse(f"{count}/{unit}") == Rate(count, seconds)
