"""Log in with phone number or e-mail plus password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from exchange.accounts.models import User


class PhoneOrEmailBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        login = (username or kwargs.get("phone") or kwargs.get("email") or "").strip()
        if not login or password is None:
            return None
        field = "email__iexact" if "@" in login else "phone"
        user = User.objects.filter(**{field: login}).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt targets, for lockout counting (AXES_USERNAME_CALLABLE).

    Phone and e-mail of one account count as the same username, so alternating between
    them does not double the number of guesses.
    """
    source: Any = credentials if credentials else request.POST
    login = (source.get("username") or "").strip().lower()
    if "@" in login:
        phone = User.objects.filter(email__iexact=login).values_list("phone", flat=True).first()
        return phone or login
    return login or None
