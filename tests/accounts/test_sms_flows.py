"""Phone-first accounts (issue 15 item 2) through the pages and the API: registration needs the
code sent to the number, 验证码登录, 找回密码 by phone; the buttons work without script too."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from exchange.accounts import services, sms_codes
from exchange.accounts.models import ApiToken, SmsCode, User
from exchange.members.channels import latest_sms
from exchange.members.models import Message
from tests.factories import PASSWORD, UserFactory, sms_code

pytestmark = pytest.mark.django_db

NEW = "13911112222"
NEW_PASSWORD = "Sx-new-pass-2026"


def _registration_form(**overrides):
    form = {
        "member_type": "person", "name": "陈明", "phone": NEW, "email": "chen@example.com",
        "roles": ["bidder"], "password1": "Sx-exchange-88", "password2": "Sx-exchange-88", "agree": "on",
    }  # fmt: skip
    return {**form, **overrides}


def _flashes(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- registration ---------------------------------------------------------------------------


def test_registration_needs_the_code_sent_to_the_number(client):
    # when: no code, then a wrong one
    missing = client.post(reverse("accounts:register"), _registration_form())
    sms_code(NEW)
    wrong = client.post(reverse("accounts:register"), _registration_form(sms_code="000000"))
    # then: the form says so next to the code; nothing was created
    assert missing.status_code == wrong.status_code == 200
    assert missing.context["form"].errors["sms_code"]
    assert wrong.context["form"].errors["sms_code"] == ["验证码不正确或已失效，请重新获取。"]
    assert not User.objects.exists()
    # and the wrong code was counted
    assert SmsCode.objects.get().attempts == (0 if sms_codes.code_text(SmsCode.objects.get()) == "000000" else 1)


def test_a_code_for_another_number_does_not_register(client):
    code = sms_code("13911113333")
    response = client.post(reverse("accounts:register"), _registration_form(sms_code=code))
    assert response.status_code == 200 and "sms_code" in response.context["form"].errors
    assert not User.objects.exists()


def test_a_mistake_in_the_form_does_not_use_the_code_up(client):
    # given
    code = sms_code(NEW)
    # when: a weak password first, then the form put right
    weak = client.post(
        reverse("accounts:register"), _registration_form(sms_code=code, password1="12345678", password2="12345678")
    )
    done = client.post(reverse("accounts:register"), _registration_form(sms_code=code))
    # then
    assert weak.status_code == 200 and weak.context["form"].errors
    assert done.status_code == 302 and User.objects.filter(phone=NEW).exists()


def test_get_code_without_script_keeps_the_form_and_sends_the_code(client, django_capture_on_commit_callbacks):
    # when: 获取验证码 posts the form (no script)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), {**_registration_form(), "send_code": "1"})
    # then: the page says where the code went, keeps what was typed (not the passwords), shows no errors
    html = response.content.decode()
    assert response.status_code == 200
    assert "验证码已发送至 139****2222" in html
    assert 'value="陈明"' in html and 'value="chen@example.com"' in html and 'value="13911112222"' in html
    assert "Sx-exchange-88" not in html
    assert not response.context["form"].is_bound
    assert 'data-resend-after="60"' in html  # the script counts the pause down
    # and the code in the SMS registers
    code = re.search(r"\d{6}", latest_sms(NEW)).group(0)
    assert client.post(reverse("accounts:register"), _registration_form(sms_code=code)).status_code == 302


def test_get_code_without_script_shows_the_wait_when_refused(client):
    client.post(reverse("accounts:register"), {**_registration_form(), "send_code": "1"})
    again = client.post(reverse("accounts:register"), {**_registration_form(), "send_code": "1"})
    assert again.status_code == 429 and "秒后重新获取" in again.content.decode()


# --- 验证码登录 -------------------------------------------------------------------------------


def test_the_login_page_offers_both_ways(client):
    html = client.get(reverse("accounts:login") + "?next=/member/messages/").content.decode()
    assert "密码登录" in html and "验证码登录" in html
    assert 'href="/accounts/login/sms/?next=/member/messages/"' in html


def test_a_member_logs_in_with_an_sms_code(client, django_capture_on_commit_callbacks):
    # given: a member asks for a login code (no script)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("accounts:login_sms"), {"username": user.phone, "send_code": "1"})
    assert "如果该手机号码已注册，验证码已发送至" in sent.content.decode()
    code = re.search(r"\d{6}", latest_sms(user.phone)).group(0)
    # when
    response = client.post(
        reverse("accounts:login_sms") + "?next=/member/messages/",
        {"username": user.phone, "sms_code": code, "next": "/member/messages/"},
    )
    # then
    assert response.status_code == 302 and response.url == "/member/messages/"
    assert client.get(reverse("accounts:center")).context["user"] == user


def test_a_wrong_code_and_an_unknown_number_answer_alike(client):
    user = UserFactory()
    sms_code(user.phone, "login")
    known = client.post(reverse("accounts:login_sms"), {"username": user.phone, "sms_code": "000001"})
    unknown = client.post(reverse("accounts:login_sms"), {"username": "13911119999", "sms_code": "000001"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "验证码不正确" in known.context["form"].non_field_errors()[0]
    assert "_auth_user_id" not in client.session


def test_a_register_code_does_not_log_in(client):
    user = UserFactory()
    code = sms_code(user.phone, "register")
    response = client.post(reverse("accounts:login_sms"), {"username": user.phone, "sms_code": code})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_staff_do_not_log_in_by_sms(client, reviewer):
    code = sms_code(reviewer.phone, "login")
    response = client.post(reverse("accounts:login_sms"), {"username": reviewer.phone, "sms_code": code})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_wrong_codes_lock_the_pair_like_wrong_passwords_and_are_not_recorded(client, settings):
    # given
    user = UserFactory()
    code = sms_code(user.phone, "login")
    # when: five wrong codes (the code dies too), then a fresh right code from the same address
    for guess in ("100000", "200000", "300000", "400000", "500000"):
        client.post(reverse("accounts:login_sms"), {"username": user.phone, "sms_code": guess})
    fresh = sms_code(user.phone, "login")
    locked = client.post(reverse("accounts:login_sms"), {"username": user.phone, "sms_code": fresh})
    # then: refused with the lockout's wait; the lockout's records hold no code
    assert locked.status_code == 429 and "分钟后再试" in locked.content.decode()
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert code not in stored and "500000" not in stored
    # and the same account from another address logs in
    other = client.post(
        reverse("accounts:login_sms"), {"username": user.phone, "sms_code": fresh}, REMOTE_ADDR="198.51.100.9"
    )
    assert other.status_code == 302


# --- 找回密码 by phone --------------------------------------------------------------------------


def test_password_reset_by_phone_sets_the_password_revokes_tokens_and_tells_the_member(
    client, django_capture_on_commit_callbacks
):
    # given: a member with an API token
    user = UserFactory(email="member@example.com")
    services.api_token_issue(user=user, label="app")
    code = sms_code(user.phone, "reset")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_reset_phone"),
            {"phone": user.phone, "sms_code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    # then: back to the login page with a message; the new password works; tokens revoked; the member told
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert "密码已重设" in _flashes(response)[0]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not ApiToken.objects.filter(user=user).exists()
    assert Message.objects.filter(recipient=user, kind="account.password_reset").exists()
    assert any("手机验证码重设" in m.subject for m in mail.outbox)
    assert client.post(reverse("accounts:login"), {"username": user.phone, "password": NEW_PASSWORD}).status_code == 302


def test_password_reset_by_phone_answers_a_wrong_code_and_an_unknown_number_alike(client):
    user = UserFactory()
    sms_code(user.phone, "reset")
    answers = [
        client.post(
            reverse("accounts:password_reset_phone"),
            {"phone": phone, "sms_code": "000001", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        for phone in (user.phone, "13911119999")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].context["form"].errors == answers[1].context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_does_not_use_the_reset_code_up(client):
    user = UserFactory(email="chen.ming@example.com")
    code = sms_code(user.phone, "reset")
    like_email = "chen.ming@example.com"  # refused only against the account, after the code passed
    weak = client.post(
        reverse("accounts:password_reset_phone"),
        {"phone": user.phone, "sms_code": code, "new_password1": like_email, "new_password2": like_email},
    )
    assert weak.status_code == 200 and weak.context["form"].errors["new_password1"]
    done = client.post(
        reverse("accounts:password_reset_phone"),
        {"phone": user.phone, "sms_code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302


def test_the_reset_pages_offer_phone_and_email(client):
    for name in ("accounts:password_reset", "accounts:password_reset_phone"):
        html = client.get(reverse(name)).content.decode()
        assert "手机找回" in html and "邮箱找回" in html


# --- the API ----------------------------------------------------------------------------------


def _post(client, path, body, address="198.51.100.7"):
    return client.post(f"/api/v1/auth/{path}", body, content_type="application/json", REMOTE_ADDR=address)


def test_api_sends_a_code_and_answers_the_same_for_any_number(client, django_capture_on_commit_callbacks, settings):
    settings.SMS_CODE_RESEND_SECONDS = 0
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        known = _post(client, "sms-code", {"phone": user.phone, "purpose": "login"})
        unknown = _post(client, "sms-code", {"phone": "13911119999", "purpose": "login"})
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == {"message", "expires_in", "resend_after"}
    assert known.json()["expires_in"] == 300
    assert re.search(r"\d{6}", latest_sms(user.phone)) and latest_sms("13911119999") is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "1391111", "purpose": "login"}, "invalid"),
        ({"phone": "139111122223", "purpose": "login"}, "invalid"),
        ({"phone": NEW, "purpose": "admin"}, "invalid"),
    ],
)
def test_api_refuses_a_malformed_code_request(client, body, code):
    response = _post(client, "sms-code", body)
    assert response.status_code == 422 and response.json()["code"] == code
    assert not SmsCode.objects.exists()


def test_api_code_requests_are_rate_limited_with_retry_after(client):
    assert _post(client, "sms-code", {"phone": NEW, "purpose": "register"}).status_code == 202
    refused = _post(client, "sms-code", {"phone": NEW, "purpose": "register"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and 0 < body["retry_after"] <= 60
    assert refused["Retry-After"] == str(body["retry_after"])


def test_api_token_by_sms_code(client):
    user = UserFactory()
    code = sms_code(user.phone, "login")
    wrong = _post(client, "token/sms", {"phone": user.phone, "sms_code": "000001"})
    ok = _post(client, "token/sms", {"phone": user.phone, "sms_code": code, "client": "小程序"})
    again = _post(client, "token/sms", {"phone": user.phone, "sms_code": code})
    if code != "000001":
        assert wrong.status_code == 401 and wrong.json()["code"] == "bad_credentials"
    assert ok.status_code == 200
    assert ApiToken.objects.get(user=user).label == "小程序"
    assert again.status_code == 401  # single use
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {ok.json()['token']}")
    assert me.json()["phone"] == user.phone


def test_api_token_by_sms_code_is_locked_like_a_password(client, settings):
    user = UserFactory()
    for guess in ("100000", "200000", "300000", "400000", "500000"):
        _post(client, "token/sms", {"phone": user.phone, "sms_code": guess})
    refused = _post(client, "token/sms", {"phone": user.phone, "sms_code": sms_code(user.phone, "login")})
    assert refused.status_code == 429 and refused.json()["code"] == "locked"


def test_api_password_reset_by_sms(client):
    user = UserFactory()
    services.api_token_issue(user=user)
    code = sms_code(user.phone, "reset")
    weak = _post(client, "password-reset/sms", {"phone": user.phone, "sms_code": code, "new_password": "12345678"})
    other = "000000" if code != "000000" else "111111"  # six digits (the schema's pattern), not the code sent
    wrong = _post(client, "password-reset/sms", {"phone": user.phone, "sms_code": other, "new_password": NEW_PASSWORD})
    ok = _post(client, "password-reset/sms", {"phone": user.phone, "sms_code": code, "new_password": NEW_PASSWORD})
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"  # the body's name
    assert wrong.status_code == 422 and wrong.json() == {
        "code": "invalid_code",
        "message": "验证码不正确或已失效，请重新获取。",
        "field": "sms_code",
    }
    assert ok.status_code == 200 and not ApiToken.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
