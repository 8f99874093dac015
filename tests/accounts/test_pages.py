from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from exchange.accounts.models import User, Verification
from tests.factories import PASSWORD, UserFactory, image_upload, sms_code, submit_verification, valid_resident_id

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("login_field", ["phone", "email"])
def test_login_by_phone_or_email(client, login_field):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": getattr(user, login_field), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("accounts:center")
    assert client.get(reverse("accounts:center")).context["user"] == user


def test_staff_land_in_the_back_office_after_login(client, reviewer):
    response = client.post(reverse("admin:login"), {"username": reviewer.phone, "password": PASSWORD})
    assert client.get(response.url).url == reverse("admin:index")


def test_wrong_password_shows_chinese_error(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.phone, "password": "wrong"})
    assert response.status_code == 200
    assert "密码不正确" in response.content.decode()


def test_account_locks_after_five_failures_even_with_right_password(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": user.phone, "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _registration_form(**overrides):
    form = {
        "member_type": "person", "name": "陈明", "phone": "13911112222", "email": "chen@example.com",
        "roles": ["bidder"], "password1": "Sx-exchange-88", "password2": "Sx-exchange-88", "agree": "on",
    }  # fmt: skip
    form = {**form, **overrides}
    return {"sms_code": sms_code(form["phone"]), **form}


def test_register_leads_to_login_then_verification(client):
    # when
    response = client.post(reverse("accounts:register"), _registration_form())
    # then: the account exists, and the login leads on to the verification
    login_url = f"{reverse('accounts:login')}?next={reverse('accounts:verification')}"
    assert response.status_code == 302 and response.url == login_url
    assert "_auth_user_id" not in client.session
    assert User.objects.get(phone="13911112222").groups.get().name == "意向受让方"
    response = client.post(login_url, {"username": "13911112222", "password": "Sx-exchange-88"})
    assert response.status_code == 302 and response.url == reverse("accounts:verification")


def test_register_with_mismatched_passwords_keeps_form_and_writes_nothing(client):
    response = client.post(reverse("accounts:register"), _registration_form(password2="Sx-exchange-89"))
    assert response.status_code == 200
    assert "两次输入的密码不一致" in response.content.decode()
    assert not User.objects.exists()


def test_password_reset_mail_contains_working_link(client):
    user = UserFactory(email="reset@example.com")
    client.post(reverse("accounts:password_reset"), {"email": "reset@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "New-pass-2026x", "new_password2": "New-pass-2026x"})
    user.refresh_from_db()
    assert user.check_password("New-pass-2026x")


def test_member_submits_verification_on_the_page_and_sees_status(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:verification"),
        {
            "name": "陈明",
            "id_number": valid_resident_id(3),
            "document_front": image_upload("f.png"),
            "document_back": image_upload("b.png"),
        },
    )
    assert response.status_code == 302
    assert Verification.objects.get(user=user).status == "pending"
    page = client.get(reverse("accounts:center")).content.decode()
    assert "待审核" in page


def test_bad_id_number_is_shown_next_to_the_field(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:verification"),
        {
            "name": "陈明",
            "id_number": "140105199801010010",
            "document_front": image_upload(),
            "document_back": image_upload(),
        },
    )
    assert response.status_code == 200
    assert "身份证号码无效" in response.content.decode()
    assert not Verification.objects.exists()


def test_identity_documents_are_private(client, reviewer):
    owner = UserFactory()
    client.force_login(owner)
    client.post(
        reverse("accounts:verification"),
        {
            "name": "陈明",
            "id_number": valid_resident_id(3),
            "document_front": image_upload(),
            "document_back": image_upload(),
        },
    )
    v = Verification.objects.get()
    url = reverse("accounts:verification_document", args=[v.pk, "front"])
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_staff_approves_in_back_office(client, reviewer):
    member = UserFactory()
    v = submit_verification(member, seq=5)
    client.force_login(reviewer)
    url = reverse("admin:accounts_verification_review", args=[v.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_verified


def test_staff_reject_without_reason_changes_nothing(client, reviewer):
    v = submit_verification(UserFactory(), seq=5)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:accounts_verification_review", args=[v.pk]), {"decision": "reject", "reason": ""}
    )
    assert response.status_code == 200
    v.refresh_from_db()
    assert v.status == "pending"


def test_alternating_phone_and_email_counts_against_one_account(client, settings):
    user = UserFactory()
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"), {"username": user.phone if i % 2 else user.email.upper(), "password": "wrong"}
        )
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_password_reset_mails_are_throttled_per_address(client, settings):
    from django.core.cache import cache

    cache.clear()
    UserFactory(email="flood@example.com")
    for _ in range(settings.PASSWORD_RESET_PER_HOUR + 2):
        response = client.post(reverse("accounts:password_reset"), {"email": "Flood@example.com"})
        assert response.status_code == 302  # same answer every time
    assert len(mail.outbox) == settings.PASSWORD_RESET_PER_HOUR
