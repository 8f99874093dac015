"""Shared pieces of the access matrix (tests/test_access_matrix.py).

Each business app classifies its own URLs and provides its own objects in
`tests/access/<app>.py` (see CONTRIBUTORS), so the matrix grows without one file
becoming everybody's edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exchange.accounts import roles
from exchange.accounts.models import User, Verification

ANON = "anonymous"
SUPERUSER = "superuser"
MEMBER = "member"  # a member with no role group at all
ACTORS = [ANON, MEMBER, SUPERUSER, *[r.key for r in roles.ROLES]]


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, str]  # "app.model" -> a primary key that exists
    verification: Verification


def _perms(actor: str) -> set[str] | None:
    """Permission strings of an actor; None means 'all' (superuser)."""
    if actor == SUPERUSER:
        return None
    if actor in (ANON, MEMBER):
        return set()
    return roles.role_permissions(roles.ROLE_BY_KEY[actor])


def _has(actor: str, perm: str) -> bool:
    perms = _perms(actor)
    return perms is None or perm in perms


def _is_staff(actor: str) -> bool:
    return actor == SUPERUSER or (actor in roles.ROLE_BY_KEY and roles.ROLE_BY_KEY[actor].staff)


@dataclass(frozen=True)
class Check:
    method: str
    url: str
    expected: Callable[[str], int | set[int]]
    json: str | None = None  # request body, so that validation passes and permissions decide


def _public(url: str) -> Check:
    return Check("GET", url, lambda a: 200)


def _login_page(url: str, *, logged_in_status: int = 200) -> Check:
    return Check("GET", url, lambda a: 302 if a == ANON else logged_in_status)


def _anonymous_only(url: str) -> Check:
    return Check("GET", url, lambda a: 200 if a == ANON else 302)  # logged-in users are sent on


def _api(
    method: str, url: str, perm: str | None = None, ok: int = 200, denied: int = 403, json: str | None = None
) -> Check:
    def expected(actor: str) -> int:
        if actor == ANON:
            return 401
        if perm is None or _has(actor, perm):
            return ok
        return denied

    return Check(method, url, expected, json)
