"""Helpers for members tests: messages, blacklist entries, a failing channel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from exchange.members.channels import ChannelError, ConsoleSmsChannel, Outgoing
from exchange.members.models import BlacklistEntry, Message
from tests.factories import UserFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    recipient = factory.SubFactory(UserFactory)
    kind = "application.qualified"
    subject = factory.Sequence(lambda n: f"通知{n}")
    body = "正文"
    url = "/"


class BlacklistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlacklistEntry

    member = factory.SubFactory(UserFactory)
    reason = "悔拍，未按期签约"
    starts_on = dt.date(2026, 1, 1)
    ends_on = None


class FailingSmsChannel(ConsoleSmsChannel):
    """Fails the first `FailingSmsChannel.failures` sends, then works."""

    failures = 99
    calls = 0

    def send(self, outgoing: Outgoing) -> None:
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise ChannelError("gateway timeout")
        super().send(outgoing)


def reset_failing(failures: int) -> Any:
    FailingSmsChannel.failures = failures
    FailingSmsChannel.calls = 0
    return FailingSmsChannel


def grant(user: Any, perm: str) -> Any:
    """Give a staff user one permission directly (whatever the role matrix currently merges)
    and return a fresh instance (the permission cache is per instance)."""
    from django.contrib.auth.models import Permission

    app_label, codename = perm.split(".", 1)
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)
