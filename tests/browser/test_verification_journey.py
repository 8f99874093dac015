"""A demo buyer verifies their identity; a demo 业务审核 staff member approves it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from exchange.accounts.models import User, Verification
from exchange.portal.demo import DEMO_PASSWORD
from tests.factories import valid_resident_id

# serialized_rollback: the data migrations (regions, role groups) survive the flush of a live-server test
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BUYER = "13900000014"  # 杨帆, unverified demo buyer
REVIEWER = "13800000001"  # 王审核, 业务审核


def _png(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (480, 300), (220, 226, 235)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return str(path)


def _login(page, base: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/accounts/center/")  # via accounts:landing


def test_buyer_verifies_and_reviewer_approves(live_server, page, shot, tmp_path):
    call_command("seed_demo")
    base = live_server.url

    # the Chinese home page
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name="项目大厅").first.is_visible()
    shot(page, "01-home")

    # a demo buyer logs in and submits real-name verification
    _login(page, base, BUYER)
    shot(page, "02-member-center-unverified")
    page.goto(f"{base}/accounts/verification/")
    page.fill("input[name=name]", "杨帆")
    page.fill("input[name=id_number]", valid_resident_id(21))
    page.set_input_files("input[name=document_front]", _png(tmp_path, "front.png"))
    page.set_input_files("input[name=document_back]", _png(tmp_path, "back.png"))
    shot(page, "03-verification-form")
    page.get_by_role("button", name="提交认证").click()
    page.wait_for_url(f"{base}/accounts/center/")
    assert page.get_by_text("待审核").first.is_visible()
    shot(page, "04-member-center-pending")
    verification = Verification.objects.get(user__phone=BUYER, status="pending")

    # a 业务审核 staff member approves it in the back office
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", REVIEWER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.goto(f"{base}/admin/accounts/verification/?status__exact=pending")
    shot(page, "05-admin-queue")
    page.goto(f"{base}/admin/accounts/verification/{verification.pk}/review/")
    assert page.get_by_text("杨帆").first.is_visible()
    shot(page, "06-admin-review")
    page.get_by_role("button", name="通过", exact=True).click()
    page.wait_for_url(f"{base}/admin/accounts/verification/")
    shot(page, "07-admin-approved")

    # the audit trail of the request shows who approved it, from which status to which
    page.goto(f"{base}/admin/accounts/verification/{verification.pk}/history/")
    shot(page, "07b-admin-audit-history")
    assert page.get_by_text("实名认证 · 通过").first.is_visible()

    buyer = User.objects.get(phone=BUYER)
    assert buyer.is_verified and buyer.real_name == "杨帆"
    verification.refresh_from_db()
    assert verification.status == "approved" and verification.reviewed_by.phone == REVIEWER

    # the buyer sees the result in the member center
    page.context.clear_cookies()
    _login(page, base, BUYER)
    assert page.get_by_text("已通过").first.is_visible() or page.get_by_text("已认证").first.is_visible()
    shot(page, "08-member-center-verified")


def test_home_on_a_phone(live_server, browser, shot):
    """The WeChat in-app browser on a 390 px wide phone."""
    call_command("seed_demo")
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone: horizontal scrolling"
    shot(page, "09-home-phone")
    context.close()
