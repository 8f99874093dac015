"""Deployment checks of the members app (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.utils.module_loading import import_string

from exchange.members import conf
from exchange.members.channels import ConsoleSmsChannel


@register(Tags.security, deploy=True)
def sms_gateway_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production needs a real SMS gateway: with the development backends (console, file) no
    verification code reaches a phone — and the file backend leaves the codes on the disk."""

    path = conf.sms_backend()
    try:
        development = issubclass(import_string(path), ConsoleSmsChannel)
    except ImportError:
        return [Warning(f"NOTIFY_SMS_BACKEND {path!r} cannot be imported.", id="exchange.W101")]
    if development:
        return [
            Warning(
                f"NOTIFY_SMS_BACKEND is {path}, a development backend: SMS (verification codes"
                " included) are only logged or written to files, never sent.",
                hint="Name a real gateway class (docs/operations.md, 'SMS gateway').",
                id="exchange.W100",
            )
        ]
    return []
