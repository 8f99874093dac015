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
