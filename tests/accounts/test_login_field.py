"""Issue 15, item 1: the login field takes an e-mail address, not only the 11 digits of a phone
number (Django's AuthenticationForm gave it USERNAME_FIELD's length, so a browser stopped typing
`buyer1@demo.sxcq.cn` at `buyer1@demo`). Web login, the back office's login and the token API."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.accounts.backends import LOGIN_MAX_LENGTH
from exchange.accounts.forms import AdminLoginForm, LoginForm
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "buyer1@demo.sxcq.cn"


def _maxlength(html: str, name: str) -> int:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no input {name}"
    found = re.search(r'maxlength="(\d+)"', tag.group(0))
    assert found, f"input {name} has no maxlength"
    return int(found.group(1))


@pytest.mark.parametrize("url", ["accounts:login", "admin:login"])
def test_the_login_fields_take_an_email_address(client, url):
    # when
    html = client.get(reverse(url)).content.decode()
    # then: the browser lets a whole e-mail address be typed (254), the label promises both
    assert _maxlength(html, "username") == LOGIN_MAX_LENGTH == 254
    assert "手机号码或电子邮箱" in html


@pytest.mark.parametrize("form_class", [LoginForm, AdminLoginForm])
def test_the_forms_accept_254_and_refuse_255_characters(rf, form_class):
    long_ok = "a" * (254 - len("@example.cn")) + "@example.cn"
    ok = form_class(rf.post("/"), data={"username": long_ok, "password": "x"})
    ok.is_valid()
    assert "username" not in ok.errors  # the credentials are wrong, the length is not
    too_long = form_class(rf.post("/"), data={"username": "a" + long_ok, "password": "x"})
    assert not too_long.is_valid() and "username" in too_long.errors


def test_a_member_logs_in_with_the_email_on_the_site(client):
    user = UserFactory(email=EMAIL)
    response = client.post(reverse("accounts:login"), {"username": EMAIL.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:center")).context["user"] == user


def test_staff_log_in_to_the_back_office_with_the_email(client, reviewer):
    response = client.post(reverse("admin:login"), {"username": reviewer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_token_api_takes_the_email(client):
    UserFactory(email=EMAIL)
    response = client.post(
        "/api/v1/auth/token", {"username": EMAIL, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["token"]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(local=st.from_regex(r"[a-z0-9][a-z0-9._-]{0,63}", fullmatch=True))
def test_any_email_length_up_to_the_bound_passes_the_login_field(rf, local):
    email = f"{local}@demo.sxcq.cn"
    form = LoginForm(rf.post("/"), data={"username": email, "password": "x"})
    form.is_valid()
    assert "username" not in form.errors
