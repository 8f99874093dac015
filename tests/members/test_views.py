"""Message center pages, notification settings, the header badge, the API; ownership."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exchange.members import services
from exchange.members.models import Message, Preference
from tests.factories import UserFactory
from tests.members.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(member):
    old_read = services.notify(member, kind="account.verified", subject="旧的已读消息", channels=("site",))
    assert old_read is not None
    services.message_read(user=member, message_id=old_read.pk)
    unread = services.notify(
        member,
        kind="deposit.due",
        subject="请缴纳保证金",
        body="截止明天17:00",
        url="/settlement/me/",
        channels=("site",),
    )
    return {"read": old_read, "unread": unread}


def test_list_requires_login(client):
    response = client.get(reverse("members:messages"))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_list_shows_unread_first_and_filter(client, member, inbox):
    client.force_login(member)
    page = client.get(reverse("members:messages")).content.decode()
    assert page.index("请缴纳保证金") < page.index("旧的已读消息")
    unread_only = client.get(reverse("members:messages") + "?filter=unread").content.decode()
    assert "请缴纳保证金" in unread_only and "旧的已读消息" not in unread_only


def test_list_paginates(client, member):
    for i in range(25):
        MessageFactory(recipient=member, subject=f"第{i}条")
    client.force_login(member)
    first = client.get(reverse("members:messages"))
    assert len(first.context["page"].object_list) == 20
    second = client.get(reverse("members:messages") + "?page=2")
    assert len(second.context["page"].object_list) == 5


def test_detail_marks_read_and_links(client, member, inbox):
    client.force_login(member)
    response = client.get(reverse("members:message", args=[inbox["unread"].pk]))
    assert response.status_code == 200
    assert 'href="/settlement/me/"' in response.content.decode()
    inbox["unread"].refresh_from_db()
    assert inbox["unread"].read_at is not None


def test_detail_drops_foreign_or_script_links(client, member):
    bad = MessageFactory(recipient=member, url="javascript:alert(1)")
    evil = MessageFactory(recipient=member, url="https://evil.example.com/")
    client.force_login(member)
    assert "javascript:" not in client.get(reverse("members:message", args=[bad.pk])).content.decode()
    assert "evil.example.com" not in client.get(reverse("members:message", args=[evil.pk])).content.decode()


def test_someone_elses_message_is_404(client, inbox):
    intruder = UserFactory()
    client.force_login(intruder)
    assert client.get(reverse("members:message", args=[inbox["unread"].pk])).status_code == 404
    inbox["unread"].refresh_from_db()
    assert inbox["unread"].read_at is None


def test_read_all_is_post_only_and_marks_mine_only(client, member, inbox):
    other = MessageFactory()
    client.force_login(member)
    assert client.get(reverse("members:read_all")).status_code == 405
    response = client.post(reverse("members:read_all"))
    assert response.status_code == 302
    assert not Message.objects.filter(recipient=member, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all_needs_csrf(member, inbox):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("members:read_all")).status_code == 403


def test_header_badge_counts_unread_with_one_query(client, member, inbox, django_assert_max_num_queries):
    client.force_login(member)
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("members:messages") in page
    assert 'class="badge badge-danger"' in page
    services.messages_read_all(user=member)
    page = client.get(reverse("portal:home")).content.decode()
    assert 'class="badge badge-danger"' not in page


def test_header_has_no_message_link_for_guests(client):
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("members:messages") not in page


def test_center_shows_the_message_card(client, member, inbox):
    client.force_login(member)
    page = client.get(reverse("accounts:center")).content.decode()
    assert "消息中心" in page and reverse("members:preferences") in page


def test_preferences_page_switches_channels(client, member):
    client.force_login(member)
    assert client.get(reverse("members:preferences")).status_code == 200
    # everything on except e-mail for deposits
    from exchange.members.kinds import CATEGORIES

    data = {f"{c}:{ch}": "on" for c in CATEGORIES for ch in ("email", "sms", "wechat") if c != "staff"}
    data.pop("deposit:email")
    assert client.post(reverse("members:preferences"), data).status_code == 302
    assert list(Preference.objects.filter(member=member, enabled=False).values_list("category", "channel")) == [
        ("deposit", "email")
    ]
    message = services.notify(member, kind="deposit.due", subject="x")
    assert message is not None and not message.deliveries.exists()


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_my_messages(client, member, inbox):
    other = MessageFactory()
    client.force_login(member)
    body = client.get("/api/v1/messages").json()
    assert body["count"] == 2 and body["unread"] == 1
    assert [m["subject"] for m in body["results"]] == ["请缴纳保证金", "旧的已读消息"]
    assert other.pk not in [m["id"] for m in body["results"]]
    unread = client.get("/api/v1/messages?unread=1").json()
    assert [m["id"] for m in unread["results"]] == [inbox["unread"].pk]
    assert client.get("/api/v1/messages?page_size=1&page=2").json()["results"][0]["id"] == inbox["read"].pk


def test_api_requires_authentication(client):
    assert client.get("/api/v1/messages").status_code == 401


def test_api_mark_read_and_ownership(client, member, inbox):
    client.force_login(member)
    response = client.post(f"/api/v1/messages/{inbox['unread'].pk}/read")
    assert response.status_code == 200 and response.json()["is_read"] is True
    intruder = UserFactory()
    client.force_login(intruder)
    assert client.post(f"/api/v1/messages/{inbox['read'].pk}/read").json()["code"] == "not_found"
    assert client.post(f"/api/v1/messages/{inbox['read'].pk}/read").status_code == 404
    assert client.get(f"/api/v1/messages/{inbox['read'].pk}").status_code == 404


def test_api_with_bearer_token(client, member, inbox):
    from exchange.accounts import services as account_services

    token = account_services.api_token_issue(user=member)
    response = client.get("/api/v1/messages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["count"] == 2
    read = client.post(f"/api/v1/messages/{inbox['unread'].pk}/read", headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200
    marked = client.post("/api/v1/messages/read-all", headers={"Authorization": f"Bearer {token}"})
    assert marked.json() == {"marked": 0}


def test_read_messages_are_newest_first_after_the_unread(client, member):
    import datetime as dt

    from exchange.core import clock

    now = clock.now()
    old = MessageFactory(recipient=member, subject="old", created_at=now - dt.timedelta(days=5), read_at=now)
    new = MessageFactory(recipient=member, subject="new", created_at=now - dt.timedelta(days=1), read_at=now)
    unread = MessageFactory(recipient=member, subject="unread", created_at=now - dt.timedelta(days=9))
    from exchange.members import selectors

    assert list(selectors.messages_for(member)) == [unread, new, old]


def test_center_warns_a_blacklisted_member(client, member):
    from exchange.members.models import BlacklistEntry

    client.force_login(member)
    assert "您已被列入失信名单" not in client.get(reverse("accounts:center")).content.decode()
    services.blacklist_add(member=member, reason="竞得后拒不签约", actor=None)
    page = client.get(reverse("accounts:center")).content.decode()
    assert "您已被列入失信名单" in page and "竞得后拒不签约" in page
    assert BlacklistEntry.objects.filter(member=member).count() == 1
