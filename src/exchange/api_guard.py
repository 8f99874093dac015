"""Middleware that keeps the API's error contract for everything under /api/.

django-ninja answers some errors itself (405 for an unsupported method, Django's 400 for an
unparseable multipart body, the site's HTML 404 for unknown paths, a 500 page); here every
such answer becomes `{"code", "message"}` JSON. It also refuses a form body that cannot be
parsed, before any view or the login-lockout middleware runs (so a broken multipart header
cannot make the lockout miss a failed login).

NUL characters are not refused here any more: a blanket refusal of the raw request also
refused NUL in text the API never reads (an unknown JSON key, an unknown query parameter),
which the OpenAPI schema allows (issue 14, item 19). Every text field the API reads is an
`api_support.Text` instead: NUL refused with 422 `invalid`, and the schema's `pattern` says so.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH") and content_type in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            try:
                if int(request.META.get("CONTENT_LENGTH") or 0) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                    # Keep the raw body readable: parsing a multipart form consumes the stream, and
                    # an operation with a JSON body, sent a form's content type, reads the raw body
                    # next (it was a 500, RawPostDataException). The bytes are in memory anyway;
                    # only upload routes take more (docs/operations.md), streamed as before.
                    request.body  # noqa: B018
                request.POST  # noqa: B018  # parsed here, or refused
            except (MultiPartParserError, ValueError):
                return JsonResponse({"code": "bad_request", "message": _("请求格式有误。")}, status=400)
            except RequestDataTooBig:  # no Content-Length, more than the limit
                return JsonResponse({"code": "too_large", "message": _messages()[413]}, status=413)
        return None

    def _as_json(self, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        code = STATUS_CODES.get(status, "server_error" if status >= 500 else "error")
        message = _messages().get(status, _("服务器内部错误，请稍后再试。") if status >= 500 else _("请求无法完成。"))
        converted = JsonResponse({"code": code, "message": message}, status=status)
        if "Allow" in response:
            converted["Allow"] = response["Allow"]
        return converted
