"""The listings app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

from exchange.accounts.models import User
from tests.access.checks import Check, World

NO_ADD: set[str] = set()  # "listings.model" whose admin is read-only by design
NO_CHANGE: set[str] = set()
NO_DELETE: set[str] = set()


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """One existing object per admin-registered model of the app: {"listings.model": pk}."""
    return {}


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    return {}
