"""Site-wide security headers Django does not send itself: Content-Security-Policy and
Permissions-Policy (settings CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN,
PERMISSIONS_POLICY).

The policy allows no inline script anywhere: every script of the site is a static file
(`src/exchange/static/`), and so are the back office's (django-unfold) and the API docs'
(django-ninja's Swagger UI), so an injected `<script>` or `onerror=` does not run. Styles may
be inline (style attributes are everywhere in the back office; a style cannot run code).
The back office also needs `'unsafe-eval'`: django-unfold's Alpine.js evaluates its `x-data`
expressions with `Function`. A response that already has its own policy keeps it (served
uploads carry a stricter, sandboxing one: exchange.core.uploads).

The native bid path (exchange.bidding.native.NativeBids) sends the same headers as this middleware;
its test compares the two answers byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/admin/"


def headers_for(path: str) -> list[tuple[str, str]]:
    """The headers this middleware adds to an answer for `path` (also used by the native path)."""
    policy = (
        settings.CONTENT_SECURITY_POLICY_ADMIN if path.startswith(ADMIN_PREFIX) else settings.CONTENT_SECURITY_POLICY
    )
    result = []
    if policy:
        result.append(("Content-Security-Policy", policy))
    if settings.PERMISSIONS_POLICY:
        result.append(("Permissions-Policy", settings.PERMISSIONS_POLICY))
    return result


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in headers_for(request.path_info):
            if name not in response:
                response[name] = value
        return response
