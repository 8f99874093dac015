"""Withdrawing a notice (撤回), and the publicity floor of a state-owned asset's 成交公告: not
less than 5 working days (企业国有资产交易监督管理办法, Art. 29), on the working-day calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from exchange.listings import selectors, services
from exchange.listings.models import Notice, Project
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
BEFORE_NATIONAL_DAY = dt.date(2026, 9, 30)  # 国庆 and 中秋: a long run of days off follows
BEFORE_SPRING_FESTIVAL = dt.date(2026, 2, 13)


def _result_notice(project: Project, published_on: dt.date, *, period_wd: int = 5) -> Notice:
    with clock.frozen(f.at(published_on)):
        return services.notice_publish(
            project_id=project.pk, kind="result", actor=None, body="成交结果……",
            period_end=workdays.add_workdays(published_on, period_wd),
        )  # fmt: skip


def _withdraw(notice: Notice, manager, on: dt.date, reason: str = "公告内容有误，更正后重新发布") -> Notice:  # type: ignore[no-untyped-def]
    with clock.frozen(f.at(on, 16)):
        return services.notice_withdraw(notice_id=notice.pk, actor=manager, reason=reason)


@pytest.mark.parametrize("published_on", [MONDAY, BEFORE_NATIONAL_DAY, BEFORE_SPRING_FESTIVAL])
def test_a_state_owned_result_notice_stays_up_five_working_days(published_on):
    # given a state-owned asset's 成交公告 published on `published_on`
    project = f.disclosed(state_owned=True)
    notice = _result_notice(project, published_on)
    manager = UserFactory(role="manager")
    keep_until = workdays.add_workdays(published_on, 5)
    assert workdays.workdays_between(published_on, keep_until) == 5
    assert services.notice_keep_until(notice) == keep_until
    # when staff try to withdraw it on any day of the window, it is refused and nothing changes
    day = published_on
    while day <= keep_until:
        with pytest.raises(services.PublicityPeriodRunning) as err:
            _withdraw(notice, manager, day)
        assert err.value.code == "publicity_period_running" and keep_until.isoformat() in err.value.message
        day += dt.timedelta(days=1)
    notice.refresh_from_db()
    assert notice.withdrawn_at is None and notice.withdraw_reason == ""
    # then the day after the window it may be withdrawn
    _withdraw(notice, manager, keep_until + dt.timedelta(days=1))
    notice.refresh_from_db()
    assert notice.withdrawn_at is not None and notice.withdrawn_by == manager


def test_the_floor_is_five_working_days_even_if_the_notice_recorded_a_shorter_period():
    project = f.disclosed(state_owned=True)
    notice = _result_notice(project, MONDAY, period_wd=2)
    assert services.notice_keep_until(notice) == workdays.add_workdays(MONDAY, 5)
    longer = _result_notice(project, MONDAY, period_wd=8)
    assert services.notice_keep_until(longer) == workdays.add_workdays(MONDAY, 8)


@settings(max_examples=60, deadline=None)
@given(published_on=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 20)))
def test_keep_until_counts_five_working_days_on_the_calendar(published_on):
    project = Project(state_owned=True)
    published_at = timezone.make_aware(dt.datetime.combine(published_on, dt.time(15)))
    notice = Notice(project=project, kind=Notice.Kind.RESULT, published_at=published_at)
    keep_until = services.notice_keep_until(notice)
    assert keep_until is not None and workdays.is_workday(keep_until)
    assert workdays.workdays_between(published_on, keep_until) == 5
    assert (keep_until - published_on).days <= 5 + 11  # the longest run of days off (国庆 + 中秋) fits
    # other assets and other notices: no floor
    assert services.notice_keep_until(Notice(project=Project(state_owned=False), kind="result",
                                             published_at=published_at)) is None  # fmt: skip
    assert services.notice_keep_until(Notice(project=project, kind="listing", published_at=published_at)) is None


def test_a_private_assets_result_notice_may_be_withdrawn_at_once_with_a_reason():
    project = f.disclosed()
    notice = _result_notice(project, MONDAY)
    manager = UserFactory(role="manager")
    with pytest.raises(InvalidInput):
        _withdraw(notice, manager, MONDAY, reason="  ")
    with pytest.raises(InvalidInput):
        _withdraw(notice, manager, MONDAY, reason="长" * 301)
    for role in ("reviewer", "supervisor", "copywriter"):
        with pytest.raises(PermissionDenied):
            _withdraw(notice, UserFactory(role=role), MONDAY)
    notice.refresh_from_db()
    assert notice.withdrawn_at is None
    _withdraw(notice, manager, MONDAY)
    with pytest.raises(Conflict):
        _withdraw(notice, manager, MONDAY)


def test_a_notice_not_yet_published_cannot_be_withdrawn():
    project = f.disclosed()
    with clock.frozen(f.at(MONDAY)):
        later = services.notice_publish(project_id=project.pk, kind="result", actor=None, body="……",
                                        publish_at=timezone.make_aware(f.at(MONDAY + dt.timedelta(days=3))))  # fmt: skip
    with pytest.raises(IllegalTransition):
        _withdraw(later, UserFactory(role="manager"), MONDAY)


def test_a_withdrawn_notice_leaves_the_public_lists_and_its_page_says_why(client):
    project = f.disclosed()
    notice = _result_notice(project, MONDAY)
    _withdraw(notice, UserFactory(role="manager"), MONDAY, reason="转让方撤回委托")
    assert not selectors.published_notices().filter(pk=notice.pk).exists()
    assert notice.number not in client.get(reverse("listings:notice_list")).content.decode()
    assert notice.number not in client.get(reverse("portal:deal_notices")).content.decode()
    assert client.get(f"/api/v1/projects/notices/{notice.number}").status_code == 404
    page = client.get(notice.get_absolute_url()).content.decode()
    assert "本公告已于" in page and "转让方撤回委托" in page and "成交结果……" not in page
    client.force_login(UserFactory(role="supervisor"))  # staff still read what it said
    assert "成交结果……" in client.get(notice.get_absolute_url()).content.decode()


def test_staff_withdraw_from_the_project_page_and_are_not_offered_a_running_state_owned_notice(client):
    today = clock.today()
    private = f.disclosed()
    state_owned = f.disclosed(state_owned=True)
    private_notice = _result_notice(private, today)
    held = _result_notice(state_owned, today)
    manager = UserFactory(role="manager")
    client.force_login(manager)
    # the state-owned notice is not offered, and says until when it stays up
    page = client.get(reverse("listings:staff_project", args=[state_owned.pk])).content.decode()
    assert "期内不可撤回" in page and f'value="{held.pk}"' not in page
    # a forged request is refused by the service and changes nothing
    client.post(reverse("listings:staff_project", args=[state_owned.pk]),
                {"action": "withdraw_notice", "notice": held.pk, "reason": "试图提前撤回"})  # fmt: skip
    held.refresh_from_db()
    assert held.withdrawn_at is None
    # a notice of another project cannot be withdrawn through this one's page
    client.post(reverse("listings:staff_project", args=[state_owned.pk]),
                {"action": "withdraw_notice", "notice": private_notice.pk, "reason": "错误"})  # fmt: skip
    private_notice.refresh_from_db()
    assert private_notice.withdrawn_at is None
    # the private asset's notice is withdrawn from its own page
    page = client.get(reverse("listings:staff_project", args=[private.pk])).content.decode()
    assert f'value="{private_notice.pk}"' in page
    client.post(reverse("listings:staff_project", args=[private.pk]),
                {"action": "withdraw_notice", "notice": private_notice.pk, "reason": "公告内容有误"})  # fmt: skip
    private_notice.refresh_from_db()
    assert private_notice.withdrawn_at is not None and private_notice.withdraw_reason == "公告内容有误"
