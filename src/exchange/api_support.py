"""Pieces every API router shares: the error body, documented error answers, permission checks.

Kept apart from exchange.api so that the apps' routers can import them while exchange.api
imports the routers.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema

from exchange.accounts.models import User
from exchange.core.errors import PermissionDenied


class ErrorOut(Schema):
    code: str
    message: str


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Documented error answers of an operation (all share the {code, message} body)."""
    return dict.fromkeys(statuses, ErrorOut)


def require_perm(request: HttpRequest, perm: str) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not (user.is_active and user.has_perm(perm)):
        raise PermissionDenied()
    return user
