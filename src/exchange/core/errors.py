"""Typed domain errors with stable codes.

Services raise a `DomainError` subclass; the API turns it into
`{"code": ..., "message": ..., **data}` with the class's HTTP status in one place
(`exchange.api`), pages show the message. Codes are part of the public API: never
rename one, add a new one instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    default_message: ClassVar[Any] = _("操作无法完成。")

    def __init__(self, message: Any = None, **data: Any) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.data = data
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.data}


class InvalidInput(DomainError):
    code = "invalid"
    status = 422
    default_message = _("输入有误。")


class PermissionDenied(DomainError, DjangoPermissionDenied):
    """Also Django's PermissionDenied: `core.permissions` raises this one class, which the API
    answers as a domain error (code permission_denied, 403) and a page as Django's 403."""

    code = "permission_denied"
    status = 403
    default_message = _("您没有执行此操作的权限。")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("对象不存在。")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409
    default_message = _("当前状态下不能执行此操作。")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("数据已被修改或重复提交。")


class Unauthenticated(DomainError):
    """No valid credentials (an unknown or expired token, an inactive user): the API's 401."""

    code = "unauthenticated"
    status = 401
    default_message = _("请先登录或提供有效的令牌。")


class RateLimited(DomainError):
    """Too many requests (SMS codes per number, per address, site-wide): the API's 429, with the
    wait in `retry_after` seconds (and the Retry-After header)."""

    code = "rate_limited"
    status = 429
    default_message = _("请求过于频繁，请稍后再试。")
