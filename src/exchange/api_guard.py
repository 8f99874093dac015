"""Middleware that keeps the API's error contract for everything under /api/.

django-ninja answers some errors itself (405 for an unsupported method, Django's 400 for an
unparseable multipart body, the site's HTML 404 for unknown paths, a 500 page); here every
such answer becomes `{"code", "message"}` JSON. It also refuses, before any view or the
login-lockout middleware runs:
- a request body that cannot be parsed (so a broken multipart header cannot make the
  lockout miss a failed login), and
- text containing NUL characters (PostgreSQL cannot store them; forms on the site already
  refuse them through Django's ProhibitNullCharactersValidator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "locked",
}


def _messages() -> dict[int, str]:
    return {
        400: _("请求格式有误。"),
        404: _("接口不存在。"),
        405: _("不支持该请求方法。"),
        413: _("请求内容过大。"),
    }


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refused = self._refuse_bad_input(request)
        response = refused if refused is not None else self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            response = self._as_json(response)
        return response

    def _refuse_bad_input(self, request: HttpRequest) -> HttpResponse | None:
        if _has_nul(request.GET.lists()):
            return _invalid()
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH") and content_type in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            try:
                form = request.POST
            except (MultiPartParserError, ValueError):
                return JsonResponse({"code": "bad_request", "message": _("请求格式有误。")}, status=400)
            if _has_nul(form.lists()):
                return _invalid()
        elif request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body:
                return _invalid()
        return None

    def _as_json(self, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        code = STATUS_CODES.get(status, "server_error" if status >= 500 else "error")
        message = _messages().get(status, _("服务器内部错误，请稍后再试。") if status >= 500 else _("请求无法完成。"))
        converted = JsonResponse({"code": code, "message": message}, status=status)
        if "Allow" in response:
            converted["Allow"] = response["Allow"]
        return converted


def _has_nul(items: Any) -> bool:
    return any("\x00" in key or any("\x00" in str(v) for v in values) for key, values in items)


def _invalid() -> JsonResponse:
    return JsonResponse({"code": "invalid", "message": _("输入含有不允许的控制字符。")}, status=422)
