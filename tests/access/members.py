"""The members app's part of the access matrix (see tests/test_access_matrix.py).

Messages belong to their recipient only: the fixture message is the plain MEMBER's, so
every other actor (staff and superuser included) gets 404 on its page and API.
"""

from __future__ import annotations

from exchange.accounts.models import User
from exchange.members import services
from exchange.members.models import Delivery, Preference
from tests.access.checks import ANON, MEMBER, Check, World, _api, _has, _is_staff

_READ_ONLY = {"members.message", "members.delivery", "members.preference"}
NO_ADD: set[str] = set(_READ_ONLY)  # written by the services only
NO_CHANGE: set[str] = _READ_ONLY | {"members.blacklistentry"}  # the 失信名单 changes by lifting (detail action)
NO_DELETE: set[str] = _READ_ONLY | {"members.blacklistentry"}  # its history is kept


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """One existing object per admin-registered model of the app: {"members.model": pk}."""
    from tests.factories import UserFactory

    owner = users[MEMBER]
    message = services.notify(owner, kind="deposit.due", subject="请缴纳保证金", url="/", channels=("site", "sms"))
    assert message is not None
    services.preference_set(member=owner, category="deposit", channel="email", enabled=False)
    entry = services.blacklist_add(member=UserFactory(), reason="悔拍", actor=None)
    return {
        "members.message": message.pk,
        "members.delivery": Delivery.objects.get(message=message).pk,
        "members.preference": Preference.objects.get(member=owner).pk,
        "members.blacklistentry": entry.pk,
    }


def _member_page(url: str) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else 200)


def _own(method: str, url: str, *, anon: int) -> Check:
    """Only the recipient (the plain member) reaches the message; everyone else: 404."""
    return Check(method, url, lambda a: anon if a == ANON else (200 if a == MEMBER else 404))


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    msg = w.objects["members.message"]
    return {
        "members:messages": _member_page("/member/messages/"),
        "members:read_all": Check("GET", "/member/messages/read-all/", lambda a: 405),  # POST only (CSRF)
        "members:message": _own("GET", f"/member/messages/{msg}/", anon=302),
        "members:preferences": _member_page("/member/notification-settings/"),
        "api:members_message_list": _api("GET", "/api/v1/messages?unread=1"),
        "api:members_message_read_all": _api("POST", "/api/v1/messages/read-all"),
        "api:members_message": _own("GET", f"/api/v1/messages/{msg}", anon=401),
        "api:members_message_read": _own("POST", f"/api/v1/messages/{msg}/read", anon=401),
    }


def admin_checks(w: World) -> dict[str, Check]:
    entry = w.objects["members.blacklistentry"]

    def lift(actor: str) -> int:
        if not _is_staff(actor):
            return 302
        return 200 if _has(actor, "members.manage_blacklist") else 403

    return {
        "admin:members_blacklistentry_lift": Check("GET", f"/admin/members/blacklistentry/{entry}/lift/", lift),
    }
