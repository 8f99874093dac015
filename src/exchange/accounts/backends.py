"""Log in with phone number or e-mail plus password, or with a phone number and an SMS code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from exchange.accounts import protection, sms_codes
from exchange.accounts.models import User

LOGIN_MAX_LENGTH = 254  # the longest phone-or-e-mail a login form or the token API takes
PASSWORD_MAX_LENGTH = 128  # the longest password any form or the API takes


class ThrottleBackend:
    """First of AUTHENTICATION_BACKENDS: refuses a login that a rate limit forbids, before the
    lockout (axes) and the password check run (see `protection`).

    Marks the request `login_throttled = (reason, seconds)` and `axes_locked_out` (so axes
    records nothing and its middleware answers with `views.lockout_response`), then raises
    PermissionDenied, which stops `authenticate()`. Not a BaseBackend: without `get_user` it is
    never taken as a session's backend (Django picks the first backend that has one).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        refused = protection.login_wait(request, axes_username(request, {"username": username}))
        if refused is not None:
            request.login_throttled = refused  # type: ignore[attr-defined]
            request.axes_locked_out = True  # type: ignore[attr-defined]
            raise PermissionDenied
        return None


class PhoneOrEmailBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        login = (username or kwargs.get("phone") or kwargs.get("email") or "").strip()
        if not login or password is None or len(login) > LOGIN_MAX_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
            return None  # longer than any account's: no lookup, and no hashing of megabytes
        field = "email__iexact" if "@" in login else "phone"
        user = User.objects.filter(**{field: login}).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if request is not None:
                protection.login_succeeded(request, user.phone)
            return user
        return None


class SmsCodeBackend(ModelBackend):
    """Phone number plus the SMS code sent to it for logging in (`sms_codes`, purpose login):
    `authenticate(request, username=phone, sms_code=code)`.

    Passes the same gate as a password (ThrottleBackend's rate limits and the lockout per
    account and address count a wrong code like a wrong password). A wrong code also counts an
    attempt on the code itself. Staff accounts do not log in by SMS (a SIM swap must not open
    the back office): the code is never sent to them, and this refuses them like a wrong code.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, sms_code: str | None = None, **kwargs: Any
    ) -> User | None:
        if sms_code is None or kwargs.get("password") is not None:
            return None

        phone = (username or "").strip()
        if len(phone) != 11 or len(sms_code) > 16:
            return None
        if not sms_codes.consume(phone=phone, purpose=sms_codes.Purpose.LOGIN, code=sms_code):
            return None
        user = User.objects.filter(phone=phone).first()
        if user is None or user.is_staff or not self.user_can_authenticate(user):
            return None
        if request is not None:
            protection.login_succeeded(request, user.phone)
        return user


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt targets, for lockout counting (AXES_USERNAME_CALLABLE).

    Phone and e-mail of one account count as the same username, so alternating between
    them does not double the number of guesses. What is stored is bounded: a login longer than
    any phone or e-mail address (LOGIN_MAX_LENGTH) is cut, so a 9 MiB "username" sent to any
    login path cannot fill the lockout table.
    """
    source: Any = credentials if credentials else request.POST
    login = str(source.get("username") or "")[: LOGIN_MAX_LENGTH + 1].strip().lower()[:LOGIN_MAX_LENGTH]
    if "@" in login:
        phone = User.objects.filter(email__iexact=login).values_list("phone", flat=True).first()
        return phone or login
    return login or None
