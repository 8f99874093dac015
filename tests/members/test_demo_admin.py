"""Demo data, admin pages, the staff work queue."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from exchange.core import work_queues
from exchange.members import demo, selectors, services
from exchange.members.models import BlacklistEntry, Delivery, Message
from exchange.portal import demo as portal_demo
from tests.factories import UserFactory
from tests.members.factories import BlacklistEntryFactory, MessageFactory, grant

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    from exchange.accounts import roles

    roles.ensure_roles()
    chen = UserFactory(phone="13900000011", name="陈明")
    liu = UserFactory(phone="13900000012", name="刘芳")
    # the blacklisted firm is one of the demo accounts, verified (portal's demo creates it)
    account = next(a for a in portal_demo.MEMBERS if a.phone == demo.BLACKLISTED_PHONE)
    portal_demo._ensure_account(account, {g.name: g for g in Group.objects.all()})
    first = demo.seed()
    assert first == {"messages": 7, "blacklist": 1}
    assert demo.seed() == {}
    assert Message.objects.filter(recipient=chen, read_at__isnull=True).count() == 2
    assert Message.objects.filter(recipient=liu, read_at__isnull=True).count() == 2
    blacklisted = selectors.BlacklistEntry.objects.get().member
    assert blacklisted.phone == demo.BLACKLISTED_PHONE and blacklisted.is_verified
    assert selectors.is_blacklisted(blacklisted) and "悔拍" in selectors.blacklist_reason(blacklisted)
    # demo messages are site-only; only the blacklisting notice also goes out by e-mail
    assert list(Delivery.objects.values_list("message__recipient__phone", flat=True)) == [demo.BLACKLISTED_PHONE]


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def test_admin_pages_render(client, superuser):
    MessageFactory()
    entry = BlacklistEntryFactory()
    client.force_login(superuser)
    for name in ("message", "delivery", "preference", "blacklistentry"):
        assert client.get(reverse(f"admin:members_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:members_blacklistentry_changelist") + "?state=active").status_code == 200
    assert client.get(reverse("admin:members_blacklistentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:members_blacklistentry_add")).status_code == 200


def test_admin_add_goes_through_the_service(client, staff_with_role, member):
    keeper = staff_with_role("manager")
    for perm in ("members.view_blacklistentry", "members.add_blacklistentry", "members.manage_blacklist"):
        keeper = grant(keeper, perm)
    client.force_login(keeper)
    url = reverse("admin:members_blacklistentry_add")
    bad = client.post(url, {"member": member.pk, "reason": "", "starts_on": "", "ends_on": ""})
    assert bad.status_code == 200 and not BlacklistEntry.objects.exists()
    response = client.post(url, {"member": member.pk, "reason": "悔拍", "starts_on": "", "ends_on": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlacklistEntry.objects.get()
    assert entry.created_by == keeper and selectors.is_blacklisted(member)
    dup = client.post(url, {"member": member.pk, "reason": "再次", "starts_on": "", "ends_on": ""})
    assert dup.status_code == 200 and BlacklistEntry.objects.count() == 1


def test_admin_lift(client, staff_with_role, member):
    keeper = grant(grant(staff_with_role("manager"), "members.view_blacklistentry"), "members.manage_blacklist")
    entry = services.blacklist_add(member=member, reason="r", actor=keeper)
    client.force_login(keeper)
    url = reverse("admin:members_blacklistentry_lift", args=[entry.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "已履约"}).status_code == 302
    entry.refresh_from_db()
    assert entry.lifted_by == keeper and not selectors.is_blacklisted(member)
    finance = grant(staff_with_role("finance"), "members.view_blacklistentry")
    client.force_login(finance)
    assert client.get(url).status_code == 403


def test_failed_deliveries_work_queue(
    staff_with_role, member, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from tests.members.factories import reset_failing

    settings.NOTIFY_SMS_BACKEND = "tests.members.factories.FailingSmsChannel"
    settings.NOTIFY_MAX_ATTEMPTS = 2
    reset_failing(99)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(member, kind="deposit.due", subject="x", channels=("sms",))
    # only this app's queue (other apps' queues are not this test's business)
    monkeypatch.setattr(
        work_queues, "_queues", {"members.failed_deliveries": work_queues._queues["members.failed_deliveries"]}
    )
    manager = grant(staff_with_role("manager"), "members.resend_delivery")
    queues = {q.label: q for q in work_queues.queues_for(manager)}
    assert queues["发送失败的通知"].count == 1
    assert "status__exact=failed" in queues["发送失败的通知"].url
    assert "发送失败的通知" not in {q.label for q in work_queues.queues_for(staff_with_role("finance"))}
