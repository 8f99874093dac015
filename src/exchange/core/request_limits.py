"""How large a request body may be, and for whom — decided from the request line and headers
before the web process (exchange.server.bridge) reads a byte of the body.

- Any request: at most REQUEST_MAX_BODY_BYTES (1 MiB; forms, JSON, bids).
- The upload routes the apps declare (`ExchangeAppConfig.upload_routes`): up to their limit,
  computed from the upload settings (the same numbers the upload policy, exchange.core.uploads,
  applies to each file) — but only for a logged-in session or a valid API token (the server
  asks exchange.server.authentication); without one, the small limit applies.
- A body larger than the limit is refused with 413 — JSON `{"code": "too_large", ...}` under
  /api/, a short Chinese (or English) page elsewhere — and the connection is closed, so the
  rest of the body is never read. With a Content-Length this happens before reading anything.
- A body must arrive within REQUEST_BODY_TIMEOUT seconds plus one second per
  REQUEST_BODY_MIN_RATE bytes (408 otherwise): a slow body cannot hold a worker forever.

Bodies up to REQUEST_MAX_BODY_BYTES are held in memory; larger (upload) bodies are spooled to
a temporary file as they arrive, and Django's multipart parser moves each file above
FILE_UPLOAD_MAX_MEMORY_SIZE to its own temporary file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from exchange.core import registry
from exchange.core.registry import UploadRoute

API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def form_bytes() -> int:
    """Room for a form's other fields and the multipart framing, on top of its files."""
    return int(settings.REQUEST_MAX_BODY_BYTES)


LIMITS: dict[str, Callable[[], int]] = {
    "two_images": lambda: 2 * settings.UPLOAD_MAX_IMAGE_BYTES + form_bytes(),
    "document": lambda: settings.UPLOAD_MAX_DOCUMENT_BYTES + form_bytes(),
    "document_or_video": lambda: (
        max(settings.UPLOAD_MAX_VIDEO_BYTES, settings.UPLOAD_MAX_DOCUMENT_BYTES) + form_bytes()
    ),
    "material": lambda: settings.UPLOAD_MAX_MATERIAL_BYTES + form_bytes(),
}

# the registry's routes, compiled once (a changed setting, e.g. INSTALLED_APPS in a test, drops them)
_routes: list[tuple[re.Pattern[str], UploadRoute]] | None = None


def upload_routes() -> list[tuple[re.Pattern[str], UploadRoute]]:
    """Every app's upload routes (`ExchangeAppConfig.upload_routes`), patterns compiled."""
    global _routes
    if _routes is None:
        _routes = [(re.compile(route.pattern), route) for route in registry.upload_routes()]
    return _routes


def route_limit(route: UploadRoute) -> int:
    """The body limit of a route now: a named limit of LIMITS, or the app's own function."""
    named = LIMITS.get(route.limit)
    return named() if named is not None else int(import_string(route.limit)())


def upload_limit(method: str, path: str) -> int | None:
    """The body limit of an upload route for this request, None for any other request."""
    if method not in BODY_METHODS:
        return None
    for pattern, route in upload_routes():
        if pattern.fullmatch(path):
            return route_limit(route)
    return None


# (REQUEST_MAX_BODY_BYTES, REQUEST_BODY_TIMEOUT, REQUEST_BODY_MIN_RATE), read once: every
# request (every bid) asks; a changed setting (tests) drops the copy
_numbers: tuple[int, float, int] | None = None


def _load() -> tuple[int, float, int]:
    global _numbers
    _numbers = (
        int(settings.REQUEST_MAX_BODY_BYTES),
        float(settings.REQUEST_BODY_TIMEOUT),
        max(1, int(settings.REQUEST_BODY_MIN_RATE)),
    )
    return _numbers


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    global _numbers, _routes
    _numbers = None
    _routes = None


def small_limit() -> int:
    """REQUEST_MAX_BODY_BYTES: the limit of every request that is not an upload."""
    return (_numbers or _load())[0]


def deadline_seconds(size: int) -> float:
    """How long a body of `size` bytes may take to arrive."""
    numbers = _numbers or _load()
    return numbers[1] + size / numbers[2]


def refusal(
    status: int, path: str, headers: Iterable[tuple[bytes, bytes]], limit: int
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of a 413 (too large) or 408 (too slow) answer: JSON under /api/,
    a page elsewhere, in the language the request asks for. Templates and translations: run
    it in a worker thread."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from exchange.core.security import headers_for

    language = _language(headers)
    with translation.override(language):
        message = _message(status, limit)
        if path.startswith(API_PREFIX):
            code = "too_large" if status == 413 else "timeout"
            data: dict[str, Any] = {"code": code, "message": message}
            if status == 413:
                data["max_bytes"] = limit
            body = json.dumps(data, ensure_ascii=False).encode()
            content_type = b"application/json"
        else:
            body = render_to_string("request_refused.html", {"status": status, "message": message}).encode()
            content_type = b"text/html; charset=utf-8"
    out = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", language.encode()),
        (b"connection", b"close"),  # the rest of the body is never read
        (b"x-content-type-options", b"nosniff"),
        *((k.lower().encode(), v.encode()) for k, v in headers_for(path)),
    ]
    return out, body


def _message(status: int, limit: int) -> str:
    from django.utils.translation import gettext as _

    if status == 408:
        return _("请求内容发送超时，请检查网络后重试。")
    mb = limit / (1024 * 1024)
    size = f"{mb:.0f} MB" if mb >= 1 else f"{max(1, limit // 1024)} KB"
    return _("请求内容过大（上限 %(size)s），未予处理。上传文件请先登录，并确认文件大小在允许范围内。") % {"size": size}


def _language(headers: Iterable[tuple[bytes, bytes]]) -> str:
    from types import SimpleNamespace

    from django.http.cookie import parse_cookie
    from django.utils import translation

    cookies: dict[str, str] = {}
    meta: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name == "cookie":
            cookies.update(parse_cookie(raw_value.decode("latin-1")))
        elif name == "accept-language":
            meta["HTTP_ACCEPT_LANGUAGE"] = raw_value.decode("latin-1")
    request = SimpleNamespace(COOKIES=cookies, META=meta)
    return translation.get_language_from_request(request, check_path=False)  # type: ignore[arg-type]
