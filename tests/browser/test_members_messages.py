"""Browser: 陈明 reads his messages on a phone; 张经理 lifts a 失信名单 entry in the back office.

Screenshots: test-artifacts/screenshots/members-*.png.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from exchange.accounts import roles
from exchange.members import demo, selectors
from exchange.members.models import BlacklistEntry, Message
from exchange.portal import demo as portal_demo
from exchange.portal.demo import DEMO_PASSWORD
from tests.factories import PASSWORD, UserFactory
from tests.members.factories import grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _login(page, base: str, phone: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_member_reads_messages_on_a_phone_and_manager_lifts_blacklist(live_server, page, shot):
    roles.ensure_roles()
    chen = UserFactory(phone="13900000011", name="陈明", email="chen@example.com")
    UserFactory(phone="13900000012", name="刘芳")
    # the blacklisted firm is one of the demo accounts (portal's demo creates it, verified)
    account = next(a for a in portal_demo.MEMBERS if a.phone == demo.BLACKLISTED_PHONE)
    portal_demo._ensure_account(account, {g.name: g for g in Group.objects.all()})
    demo.seed()
    base = live_server.url

    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, base, chen.phone)
    page.goto(f"{base}/")
    badge = page.locator(".topbar-tools .badge-danger")
    assert badge.inner_text() == "2"
    shot(page, "members-01-header-badge-phone")

    page.locator(".topbar-tools").get_by_role("link", name="消息").click()
    page.get_by_role("heading", name="消息中心").wait_for()
    assert page.locator(".inbox-item.is-unread").count() == 2
    shot(page, "members-02-inbox-phone")

    page.locator(".inbox-item.is-unread").first.click()
    page.get_by_role("link", name="前往办理").wait_for()
    shot(page, "members-03-message-phone")
    assert Message.objects.filter(recipient=chen, read_at__isnull=True).count() == 1

    page.goto(f"{base}/member/messages/?filter=unread")
    page.get_by_role("button", name="全部标为已读").click()
    page.get_by_text("已将 1 条消息标为已读。").wait_for()
    assert page.locator(".topbar-tools .badge-danger").count() == 0
    shot(page, "members-04-all-read-phone")

    page.get_by_role("link", name="通知设置").first.click()
    page.get_by_label("保证金 短信").uncheck()
    page.get_by_role("button", name="保存设置").click()
    page.get_by_text("通知设置已保存。").wait_for()
    shot(page, "members-05-preferences-phone")
    assert not page.get_by_label("保证金 短信").is_checked()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/member/messages/")
    shot(page, "members-06-inbox-desktop")

    # the blacklisted demo member sees why in the member center (phone)
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, base, demo.BLACKLISTED_PHONE, DEMO_PASSWORD)
    page.goto(f"{base}/accounts/center/")
    page.get_by_text("您已被列入失信名单").first.wait_for()
    page.locator("#inbox-title").scroll_into_view_if_needed()
    shot(page, "members-10-center-blacklisted-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    manager = UserFactory(phone="13800000003", name="张经理", role="manager")
    for perm in ("members.view_blacklistentry", "members.add_blacklistentry", "members.manage_blacklist"):
        manager = grant(manager, perm)
    _login(page, base, manager.phone)
    page.goto(f"{base}/admin/members/blacklistentry/")
    shot(page, "members-07-admin-blacklist")
    entry = BlacklistEntry.objects.get()
    page.goto(f"{base}/admin/members/blacklistentry/{entry.pk}/lift/")
    page.fill("textarea[name=reason]", "已补签合同并履约，经部门经理批准提前解除")
    shot(page, "members-08-admin-lift")
    page.get_by_role("button", name="确认解除").click()
    page.get_by_text("移出失信名单").first.wait_for()
    shot(page, "members-09-admin-lifted")
    assert not selectors.is_blacklisted(entry.member)
