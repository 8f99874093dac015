"""Channel adapters: how a message leaves the site (e-mail, SMS, WeChat).

A channel is a small class with `address_for(user)` (where to send; "" = this user cannot
be reached on it, the delivery is skipped) and `send(...)` (raise `ChannelError`, or any
exception, on failure: the task records it and retries). The SMS and WeChat backends are
chosen by settings NOTIFY_SMS_BACKEND / NOTIFY_WECHAT_BACKEND (dotted paths, see conf.py);
the console implementations only log the text they would send, and the file SMS backend
(the default) also writes each text to a file under var/sms/, so development, the tests and
the demo need no gateway and can read a verification code. A real gateway is one subclass
with `send` calling its HTTP API (see `SmsChannel`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.mail import send_mail
from django.utils.module_loading import import_string

from exchange.members import conf

logger = logging.getLogger("exchange.members.channels")


class ChannelError(Exception):
    """The channel could not send (gateway refused, timeout, bad address)."""


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: already rendered, link made absolute.

    `text` is the whole SMS when the sender composed it (verification codes; empty for
    notifications, whose SMS is `sms_text`); `params` are the values a gateway that sends by
    template fills in (e.g. `{"code": "123456", "minutes": "5"}` for kind
    `account.sms_code.login`).
    """

    address: str
    subject: str
    body: str
    url: str
    kind: str
    text: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


class Channel:
    """Base class of every channel adapter."""

    key: str = ""

    def address_for(self, user: Any) -> str:
        raise NotImplementedError

    def send(self, outgoing: Outgoing) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    """Django mail: the transport is EMAIL_URL (console in development, SMTP in production)."""

    key = "email"

    def address_for(self, user: Any) -> str:
        return str(getattr(user, "email", "") or "")

    def send(self, outgoing: Outgoing) -> None:
        body = outgoing.body
        if outgoing.url:
            body = f"{body}\n\n{outgoing.url}" if body else outgoing.url
        send_mail(outgoing.subject, body, None, [outgoing.address], fail_silently=False)


def sms_text(outgoing: Outgoing) -> str:
    """Short text for SMS: the composed `text` (verification codes), else 【subject】 plus the
    link; cut to NOTIFY_SMS_MAX_CHARS."""
    text = outgoing.text or f"【{outgoing.subject}】"
    if outgoing.url and not outgoing.text:
        text = f"{text} {outgoing.url}"
    limit = conf.sms_max_chars()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SmsChannel(Channel):
    """Interface of an SMS gateway: sends to the member's mobile number.

    A real provider is one subclass named in NOTIFY_SMS_BACKEND whose `send` calls the
    provider's API and raises on any refusal (the caller records the failure). Chinese gateways
    send by approved template: map `outgoing.kind` to the template (`account.sms_code.register`,
    `.login`, `.reset` with `outgoing.params` `code` and `minutes`; `account.sms_code.registered`
    without parameters; notifications: one generic template with `sms_text(outgoing)`), and
    keep the signature (签名) and credentials in the provider's own settings.
    """

    key = "sms"

    def address_for(self, user: Any) -> str:
        return str(getattr(user, "phone", "") or "")


class ConsoleSmsChannel(SmsChannel):
    """Development SMS backend: logs the text it would send."""

    def send(self, outgoing: Outgoing) -> None:
        logger.info("SMS to %s: %s", outgoing.address, sms_text(outgoing))


class FileSmsChannel(ConsoleSmsChannel):
    """Development and test SMS backend (the default): logs like the console backend and writes
    each SMS to its own file in NOTIFY_SMS_FILE_DIR (var/sms/), named
    `<UTC time>-<number>-<random>.txt` so that names sort by time. Tests and the demo read the
    verification codes there (`latest_sms`)."""

    def send(self, outgoing: Outgoing) -> None:
        super().send(outgoing)
        folder = Path(conf.sms_file_dir())
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        number = "".join(ch for ch in outgoing.address if ch.isdigit())[:20] or "unknown"
        path = folder / f"{stamp}-{number}-{secrets.token_hex(3)}.txt"
        path.write_text(sms_text(outgoing) + "\n", encoding="utf-8")
        path.chmod(0o600)


def latest_sms(phone: str, folder: str | Path | None = None) -> str | None:
    """The text of the newest SMS the file backend wrote to `phone` (None when there is none)."""
    root = Path(folder or conf.sms_file_dir())
    files = sorted(root.glob(f"*-{phone}-*.txt")) if root.is_dir() else []
    return files[-1].read_text(encoding="utf-8").strip() if files else None


class WeChatChannel(Channel):
    """Interface of a WeChat template-message gateway.

    The platform does not store WeChat OpenIDs yet: the default address is the member's
    mobile number (what a binding service would look the OpenID up by).
    """

    key = "wechat"

    def address_for(self, user: Any) -> str:
        return str(getattr(user, "phone", "") or "")


class ConsoleWeChatChannel(WeChatChannel):
    """Development WeChat backend: logs the template message it would send."""

    def send(self, outgoing: Outgoing) -> None:
        logger.info("WeChat to %s: %s | %s | %s", outgoing.address, outgoing.subject, outgoing.body[:200], outgoing.url)


def get_channel(key: str) -> Channel:
    """The configured adapter of a channel ("email", "sms", "wechat")."""
    paths = {"email": conf.email_backend, "sms": conf.sms_backend, "wechat": conf.wechat_backend}
    if key not in paths:
        raise ChannelError(f"unknown channel {key!r}")
    cls = import_string(paths[key]())
    channel = cls()
    if not isinstance(channel, Channel):
        raise ChannelError(f"{paths[key]()} is not a Channel")
    return channel
