"""Channel adapters: how a message leaves the site (e-mail, SMS, WeChat).

A channel is a small class with `address_for(user)` (where to send; "" = this user cannot
be reached on it, the delivery is skipped) and `send(...)` (raise `ChannelError`, or any
exception, on failure: the task records it and retries). The SMS and WeChat backends are
chosen by settings NOTIFY_SMS_BACKEND / NOTIFY_WECHAT_BACKEND (dotted paths, see conf.py);
the console implementations only log the text they would send, so development and the
demo need no gateway. A real gateway is one subclass with `send` calling its HTTP API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.utils.module_loading import import_string

from exchange.members import conf

logger = logging.getLogger("exchange.members.channels")


class ChannelError(Exception):
    """The channel could not send (gateway refused, timeout, bad address)."""


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: already rendered, link made absolute."""

    address: str
    subject: str
    body: str
    url: str
    kind: str


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
    """Short text for SMS: 【subject】 plus the link, cut to NOTIFY_SMS_MAX_CHARS."""
    text = f"【{outgoing.subject}】"
    if outgoing.url:
        text = f"{text} {outgoing.url}"
    limit = conf.sms_max_chars()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SmsChannel(Channel):
    """Interface of an SMS gateway: sends to the member's mobile number."""

    key = "sms"

    def address_for(self, user: Any) -> str:
        return str(getattr(user, "phone", "") or "")


class ConsoleSmsChannel(SmsChannel):
    """Development SMS backend: logs the text it would send."""

    def send(self, outgoing: Outgoing) -> None:
        logger.info("SMS to %s: %s", outgoing.address, sms_text(outgoing))


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
