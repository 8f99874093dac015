"""Who may do what: the one permission check for services and the one view decorator.

Actors
    A *user actor* is an authenticated, active `accounts.User`. An inactive or anonymous user
    is never allowed anything, whatever permissions its groups carry.
    The *system actor* is `SYSTEM` (= None): the exchange itself, acting from another app's
    service, a task or a management command. Services that other apps or jobs call accept
    it; the audit log records such changes with no user.

Services call `require(actor, perm)` before reading state they will change; views use
`staff_required(perm)` (anonymous → login page, others without `perm` → 403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from exchange.core.errors import PermissionDenied

SYSTEM: Final = None


def is_system(actor: Any) -> bool:
    return actor is SYSTEM


def is_active_user(actor: Any) -> bool:
    """An authenticated user whose account is active (never the system, never anonymous)."""
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def has(actor: Any, perm: str) -> bool:
    """True for an active user holding `perm` (superusers hold every permission)."""
    return is_active_user(actor) and bool(actor.has_perm(perm))


def require(actor: Any, perm: str, *, system: bool = True, message: str | None = None) -> None:
    """Raise PermissionDenied unless `actor` is an active user with `perm`, or the system
    actor where `system` is True (the default: services other apps and jobs call)."""
    if actor is SYSTEM:
        if system:
            return
        raise PermissionDenied(message) if message else PermissionDenied()
    if not has(actor, perm):
        raise PermissionDenied(message) if message else PermissionDenied()


def require_staff(actor: Any, perm: str, *, message: str | None = None) -> None:
    """Only a user actor with `perm`: the system actor is refused too."""
    require(actor, perm, system=False, message=message)


def require_system(actor: Any) -> None:
    """Steps only the exchange itself takes (outcomes, deadlines): any user actor is refused."""
    if actor is not SYSTEM:
        raise PermissionDenied()


def require_user(actor: Any, *, message: str | None = None) -> None:
    """Any active user (a member acting on their own things); the system actor is refused."""
    if not is_active_user(actor):
        raise PermissionDenied(message) if message else PermissionDenied()


ViewFunc = Callable[..., HttpResponse]


def staff_required(perm: str) -> Callable[[ViewFunc], ViewFunc]:
    """View decorator: logged-in active users with `perm` only (anonymous → login page,
    others → 403)."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
