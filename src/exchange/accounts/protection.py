"""Login, registration and password-reset protection: rate limits and the lockout's wait.

The policy (docs/members.md, "Login protection"):

1. **Pair lockout** (django-axes): `AXES_FAILURE_LIMIT` wrong passwords for one account *from
   one address* lock that account from that address for `AXES_COOLOFF_MINUTES`. The owner at
   their usual address is not locked out by someone guessing elsewhere.
2. **Per address**: `LOGIN_RATE_PER_ADDRESS` failed logins from one address (any accounts:
   password spraying) and the address is refused for the rest of the window.
3. **Per account**: `LOGIN_RATE_PER_ACCOUNT` failed logins for one account from anywhere (a
   botnet rotating addresses) and the account refuses logins from addresses it was never
   used from — its *known addresses* (a successful login in the last `LOGIN_KNOWN_DAYS` days)
   still get in.
4. **Global**: `LOGIN_RATE_GLOBAL` failed logins on the whole site and every login from an
   unknown address is refused for the rest of the window; known addresses still get in.

Known (account, address) pairs skip 2–4: an attacker can exhaust those limits, but cannot
keep the owner out of their account from where they usually log in. Registration and
password reset have their own per-address and global limits (every request counts), and so
have SMS verification codes, per number too (`sms_code_wait`).

The counters live in the cache (`exchange.core.ratelimit`). Login paths (the login page, the
admin login, `POST /api/v1/auth/token`) all pass `django.contrib.auth.authenticate`: the
check is `backends.ThrottleBackend`, the counting the `user_login_failed` receiver below.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import timedelta
from functools import cache
from typing import Any

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.backends import axes_username
from exchange.core import ratelimit
from exchange.core.ratelimit import Rate

# why a login is refused (the API's error code is `locked` for the lockout, `rate_limited` else)
LOCKED = "locked"
ADDRESS = "address"
ACCOUNT = "account"
GLOBAL = "global"


@cache
def _rate(text: str) -> Rate:
    return Rate.parse(text)


def rate(name: str) -> Rate:
    """The `Rate` of a setting such as LOGIN_RATE_PER_ADDRESS ("20/15m")."""
    return _rate(str(getattr(settings, name)))


def _known_key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username}\n{address}".encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"login-known:{digest}"


def is_known(username: str, address: str) -> bool:
    """Whether this account logged in successfully from this address lately."""
    try:
        return bool(django_cache.get(_known_key(username, address)))
    except Exception:
        return False


def login_wait(request: HttpRequest, username: str | None) -> tuple[str, int] | None:
    """(reason, seconds) when a login for `username` from this request's address must be
    refused now by a rate limit (2–4 above), else None. Counts nothing."""
    address = ratelimit.client_address(request)
    if username and is_known(username, address):
        return None
    checks = [(ADDRESS, "login-address", address, "LOGIN_RATE_PER_ADDRESS")]
    if username:
        checks.append((ACCOUNT, "login-account", username, "LOGIN_RATE_PER_ACCOUNT"))
    checks.append((GLOBAL, "login-global", "*", "LOGIN_RATE_GLOBAL"))
    for reason, scope, subject, setting in checks:
        wait = ratelimit.exceeded(scope, subject, rate(setting))
        if wait is not None:
            return reason, wait
    return None


def login_failed(request: HttpRequest, username: str | None) -> None:
    """Count a failed login (wrong password, unknown account, a locked pair)."""
    address = ratelimit.client_address(request)
    ratelimit.hit("login-address", address, rate("LOGIN_RATE_PER_ADDRESS"))
    if username:
        ratelimit.hit("login-account", username, rate("LOGIN_RATE_PER_ACCOUNT"))
    ratelimit.hit("login-global", "*", rate("LOGIN_RATE_GLOBAL"))


def login_succeeded(request: HttpRequest, username: str) -> None:
    """Remember this (account, address) pair as known for LOGIN_KNOWN_DAYS."""
    address = ratelimit.client_address(request)
    with contextlib.suppress(Exception):  # the cache is down: the pair is simply not remembered
        django_cache.set(_known_key(username, address), 1, timeout=settings.LOGIN_KNOWN_DAYS * 86400)


def lockout_wait(request: HttpRequest, username: str | None) -> int:
    """Seconds left of the pair lockout (django-axes) of `username` at this request's address."""

    cooloff = timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    ip = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=ip)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return int(cooloff.total_seconds())
    return max(1, int((last + cooloff - timezone.now()).total_seconds()))


def refusal(request: HttpRequest, username: str | None = None) -> tuple[str, int, str]:
    """(code, seconds, Chinese message) of a refused login on this request."""
    throttled = getattr(request, "login_throttled", None)
    if throttled is not None:
        reason, wait = throttled
    else:
        reason, wait = LOCKED, lockout_wait(request, username)
    m = ratelimit.minutes(wait)
    if reason == LOCKED:
        message = _("该账户在当前网络登录失败次数过多，已临时锁定，请在 %(m)s 分钟后再试，或通过“忘记密码”重设密码。")
    elif reason == ADDRESS:
        message = _("当前网络登录失败次数过多，请在 %(m)s 分钟后再试。")
    elif reason == ACCOUNT:
        message = _("该账户近期登录失败次数过多，为保护账户安全，请在 %(m)s 分钟后再试，或在常用网络登录。")
    else:
        message = _("登录请求过于频繁，请在 %(m)s 分钟后再试。")
    return ("locked" if reason == LOCKED else "rate_limited"), wait, message % {"m": m}


def request_wait(request: HttpRequest, action: str) -> int | None:
    """Count one registration or password-reset request ("register" / "password_reset")
    from this address and site-wide; seconds to wait when a limit is passed, else None."""
    address = ratelimit.client_address(request)
    prefix = action.upper()
    waits = [
        ratelimit.hit(f"{action}-address", address, rate(f"{prefix}_RATE_PER_ADDRESS")),
        ratelimit.hit(f"{action}-global", "*", rate(f"{prefix}_RATE_GLOBAL")),
    ]
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def sms_code_wait(address: str, phone: str) -> tuple[int, str] | None:
    """(seconds, Chinese message) when an SMS code for `phone` asked from `address` must be
    refused now, else None — and then the request is counted (per number, per address, site-wide)
    and the number's resend pause starts.

    Every request counts, whether or not the number has an account, and the messages name the
    number or the network, never an account: a refusal tells nothing about who is registered.
    Limits (settings): SMS_CODE_RATE_PER_NUMBER (hour) and _PER_NUMBER_DAY (one number is not
    flooded with texts: SMS bombing), SMS_CODE_RATE_PER_ADDRESS (one caller does not flood many
    numbers), SMS_CODE_RATE_GLOBAL (the site's SMS bill), and one code per
    SMS_CODE_RESEND_SECONDS per number (the page's 60 s countdown)."""
    checks = [
        ("sms-number", phone, "SMS_CODE_RATE_PER_NUMBER", _("该手机号码获取验证码过于频繁，请在 %(m)s 分钟后再试。")),
        (
            "sms-number-day",
            phone,
            "SMS_CODE_RATE_PER_NUMBER_DAY",
            _("该手机号码今日获取验证码次数过多，请在 %(m)s 分钟后再试。"),
        ),
        ("sms-address", address, "SMS_CODE_RATE_PER_ADDRESS", _("当前网络获取验证码过于频繁，请在 %(m)s 分钟后再试。")),
        ("sms-global", "*", "SMS_CODE_RATE_GLOBAL", _("验证码请求过于频繁，请在 %(m)s 分钟后再试。")),
    ]
    for scope, subject, setting, message in checks:
        wait = ratelimit.exceeded(scope, subject, rate(setting))
        if wait is not None:
            return wait, message % {"m": ratelimit.minutes(wait)}
    wait = ratelimit.cooldown("sms-resend", phone, int(settings.SMS_CODE_RESEND_SECONDS))
    if wait is not None:
        return wait, _("验证码已发送，请在 %(s)s 秒后重新获取。") % {"s": wait}
    for scope, subject, setting, _message in checks:
        ratelimit.hit(scope, subject, rate(setting))
    return None


def too_many_requests_message(wait: int) -> str:
    return _("请求过于频繁，请在 %(m)s 分钟后再试。") % {"m": ratelimit.minutes(wait)}


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """`user_login_failed` receiver: count the failure, unless a rate limit refused the attempt
    (those are not failures of a password; counting them would only extend the window)."""
    if request is None or getattr(request, "login_throttled", None) is not None:
        return

    login_failed(request, axes_username(request, credentials))
