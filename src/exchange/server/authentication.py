"""Whether a request's headers carry a logged-in session or a valid API token, before its body
is read: the server grants the larger body limit of an upload route only then
(core.request_limits). The server may use the apps; core may not."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.core import signals
from django.http.cookie import parse_cookie

from exchange.accounts.services import api_token_authenticate


def authenticated(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request carries a logged-in session or a valid API token (the checks
    Django's AuthenticationMiddleware and the API's BearerToken make). Database work: run it
    in a worker thread, framed by Django's request signals."""
    signals.request_started.send(sender=None, environ=None)
    try:
        return _authenticated(headers)
    finally:
        signals.request_finished.send(sender=None)


def _authenticated(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    cookies: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return api_token_authenticate(raw=token.strip(), touch=False) is not None
        elif name == "cookie":
            cookies.update(parse_cookie(value))
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    return bool(user.is_authenticated and user.is_active)
