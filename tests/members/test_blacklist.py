"""The 失信名单: active / expired / lifted, services and their guards."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import clock
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from exchange.members import selectors, services
from exchange.members.models import BlacklistEntry, Message
from tests.factories import UserFactory
from tests.members.factories import BlacklistEntryFactory, grant

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def keeper(staff_with_role):
    return grant(staff_with_role("reviewer"), "members.manage_blacklist")


def test_not_blacklisted_by_default(member):
    assert selectors.is_blacklisted(member) is False
    assert selectors.blacklist_reason(member) == ""


def test_anonymous_or_none_is_not_blacklisted():
    from django.contrib.auth.models import AnonymousUser

    assert selectors.is_blacklisted(None) is False
    assert selectors.is_blacklisted(AnonymousUser()) is False
    assert selectors.blacklist_reason(AnonymousUser()) == ""


def test_add_makes_member_blacklisted_and_notifies(member, keeper):
    entry = services.blacklist_add(member=member, reason="竞得后拒不签约", actor=keeper)
    assert selectors.is_blacklisted(member)
    assert selectors.blacklist_reason(member) == "竞得后拒不签约"
    assert entry.created_by == keeper and entry.starts_on == clock.today()
    assert Message.objects.filter(recipient=member, kind="account.blacklisted").exists()


def test_blacklisted_accepts_user_id(member, keeper):
    services.blacklist_add(member=member.pk, reason="r", actor=keeper)
    assert selectors.is_blacklisted(member.pk)


def test_expired_entry_is_not_active(member, keeper):
    today = clock.today()
    services.blacklist_add(
        member=member,
        reason="r",
        actor=keeper,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
    )
    assert not selectors.is_blacklisted(member)
    assert selectors.is_blacklisted(member, on=today - dt.timedelta(days=10))
    assert selectors.blacklist_reason(member) == ""


def test_future_entry_is_not_active_yet(member, keeper):
    today = clock.today()
    services.blacklist_add(member=member, reason="r", actor=keeper, starts_on=today + dt.timedelta(days=3))
    assert not selectors.is_blacklisted(member)
    assert selectors.is_blacklisted(member, on=today + dt.timedelta(days=3))


def test_lift_ends_it_from_today_and_keeps_history(member, keeper):
    today = clock.today()
    entry = services.blacklist_add(member=member, reason="r", actor=keeper, starts_on=today - dt.timedelta(days=10))
    lifted = services.blacklist_lift(entry_id=entry.pk, reason="已履约", actor=keeper)
    assert lifted.lifted_by == keeper and lifted.lift_reason == "已履约"
    assert not selectors.is_blacklisted(member)
    assert selectors.is_blacklisted(member, on=today - dt.timedelta(days=1))
    with pytest.raises(IllegalTransition):
        services.blacklist_lift(entry_id=entry.pk, reason="again", actor=keeper)
    # after lifting the member may be listed again
    services.blacklist_add(member=member, reason="再次悔拍", actor=keeper)
    assert selectors.blacklist_reason(member) == "再次悔拍"


def test_overlapping_entry_is_a_conflict(member, keeper):
    services.blacklist_add(member=member, reason="r", actor=keeper)
    with pytest.raises(Conflict):
        services.blacklist_add(member=member, reason="r2", actor=keeper)


def test_guards(member, keeper, staff_with_role):
    with pytest.raises(InvalidInput):
        services.blacklist_add(member=member, reason="  ", actor=keeper)
    with pytest.raises(InvalidInput):
        services.blacklist_add(member=member, reason="r", actor=keeper, starts_on=D(2026, 5, 2), ends_on=D(2026, 5, 1))
    with pytest.raises(InvalidInput):
        services.blacklist_add(member=keeper, reason="r", actor=keeper)
    with pytest.raises(PermissionDenied):
        services.blacklist_add(member=member, reason="r", actor=staff_with_role("finance"))
    with pytest.raises(PermissionDenied):
        services.blacklist_add(member=member, reason="r", actor=UserFactory())
    entry = services.blacklist_add(member=member, reason="r", actor=None)  # the system (another app)
    with pytest.raises(InvalidInput):
        services.blacklist_lift(entry_id=entry.pk, reason="", actor=keeper)
    with pytest.raises(PermissionDenied):
        services.blacklist_lift(entry_id=entry.pk, reason="x", actor=staff_with_role("finance"))
    assert BlacklistEntry.objects.filter(member=member).count() == 1


def test_blacklist_add_is_audited(member, keeper):
    from exchange.core import audit

    entry = services.blacklist_add(member=member, reason="竞得后拒不签约", actor=keeper)
    log = audit.history(entry).first()
    assert log is not None and log.actor == keeper
    assert log.additional_data["action"] == "blacklist.add"


dates = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


@settings(max_examples=60, deadline=None)
@given(start=dates, length=st.one_of(st.none(), st.integers(0, 400)), lift=st.one_of(st.none(), dates), day=dates)
def test_active_on_matches_the_rule(start, length, lift, day):
    """The query (`active_q`) and the model rule (`is_active_on`) agree with the definition."""
    member = UserFactory()
    ends = start + dt.timedelta(days=length) if length is not None else None
    entry = BlacklistEntryFactory(member=member, starts_on=start, ends_on=ends, lifted_on=lift)
    expected = start <= day and (ends is None or day <= ends) and (lift is None or day < lift)
    assert entry.is_active_on(day) is expected
    assert selectors.is_blacklisted(member, on=day) is expected
