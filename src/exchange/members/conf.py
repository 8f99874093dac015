"""Settings of the members app (notifications), each a Django setting with a default.

Read through these functions (never at import time) so that tests can override them
with pytest-django's `settings` fixture. A value is taken from the Django setting of the
same name, else from the environment variable (settings.py loads `.env` into the
environment, see .env.example), else the default.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    if hasattr(settings, name):
        return getattr(settings, name)
    value = os.environ.get(name, "")
    return value if value != "" else default


def sms_backend() -> str:
    """Dotted path of the SMS channel backend (a `channels.SmsChannel` subclass). The default
    writes each SMS to a file (and the log): production names a real gateway."""
    return str(_get("NOTIFY_SMS_BACKEND", "exchange.members.channels.FileSmsChannel"))


def sms_file_dir() -> str:
    """Where the file SMS backend writes one file per SMS (default var/sms in the checkout)."""
    return str(_get("NOTIFY_SMS_FILE_DIR", "") or settings.VAR_DIR / "sms")


def wechat_backend() -> str:
    """Dotted path of the WeChat channel backend (a `channels.Channel` subclass)."""
    return str(_get("NOTIFY_WECHAT_BACKEND", "exchange.members.channels.ConsoleWeChatChannel"))


def email_backend() -> str:
    """Dotted path of the e-mail channel (Django mail; its transport comes from EMAIL_URL)."""
    return str(_get("NOTIFY_EMAIL_BACKEND", "exchange.members.channels.EmailChannel"))


def max_attempts() -> int:
    """A delivery is tried at most this many times before it is marked failed for good."""
    return max(1, int(_get("NOTIFY_MAX_ATTEMPTS", 3)))


def retry_seconds() -> int:
    """Wait before the n-th retry: retry_seconds × n (when the task backend can defer)."""
    return int(_get("NOTIFY_RETRY_SECONDS", 60))


def sms_max_chars() -> int:
    """SMS text is cut to this length (subject + short link)."""
    return int(_get("NOTIFY_SMS_MAX_CHARS", 140))


def site_url() -> str:
    """Origin prefixed to a message's relative link in e-mail/SMS/WeChat ("" = leave relative)."""
    return str(_get("NOTIFY_SITE_URL", "")).rstrip("/")
