"""Settings of the brokers app, each a Django setting, else an environment variable, else
the default. Read through these functions (never at import time) so tests can override them."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    if hasattr(settings, name):
        return getattr(settings, name)
    value = os.environ.get(name, "")
    return value if value != "" else default


def mandate_max_days() -> int:
    """The longest term of a mandate, in calendar days (start and end included)."""
    return max(1, int(_get("BROKERS_MANDATE_MAX_DAYS", 366)))


def mandate_max_projects() -> int:
    """The most projects one mandate may cover."""
    return max(1, int(_get("BROKERS_MANDATE_MAX_PROJECTS", 20)))


def document_max_bytes() -> int:
    """Size limit of each document of a broker-status request."""
    return int(_get("BROKERS_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


def application_body_bytes() -> int:
    """The request-body limit of /brokers/apply/: its two documents and the form around them."""
    return 2 * document_max_bytes() + int(settings.REQUEST_MAX_BODY_BYTES)
