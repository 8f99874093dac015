"""The top bar on a phone (issue 15, review of the pages): a staff member's links, in English
the longest, wrap onto a second line instead of widening every page beyond 390 px."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_top_bar_of_a_staff_member_fits_a_phone(live_server, page, shot, language):  # type: ignore[no-untyped-def]
    # given 结算 staff (messages, 结算工作台, 成交管理 in the top bar) on a 390 px phone
    staff = UserFactory(name="李结算", role="finance")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", staff.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    # when pages with the top bar are opened
    for path in ("/", "/bidding/monitor/", "/settlement/finance/"):
        page.goto(f"{live_server.url}{path}")
        # then nothing is wider than the phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} ({language}) is {width} px wide"
    shot(page, f"topbar-finance-phone-{language}")
