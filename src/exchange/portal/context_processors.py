from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "EXCHANGE_NAME": settings.EXCHANGE_NAME,
        "EXCHANGE_NAME_EN": settings.EXCHANGE_NAME_EN,
        "EXCHANGE_ADDRESS": settings.EXCHANGE_ADDRESS,
        "EXCHANGE_HOTLINE": settings.EXCHANGE_HOTLINE,
        "EXCHANGE_EMAIL": settings.EXCHANGE_EMAIL,
        "EXCHANGE_ICP": settings.EXCHANGE_ICP,
    }
