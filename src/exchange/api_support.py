"""Pieces every API router shares: the error body, documented error answers, permission checks.

Kept apart from exchange.api so that the apps' routers can import them while exchange.api
imports the routers.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from django.http import HttpRequest
from ninja import Schema
from ninja.parser import Parser
from ninja.types import DictStrAny

from exchange.accounts.models import User
from exchange.core.errors import PermissionDenied


class ErrorOut(Schema):
    code: str
    message: str


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Documented error answers of an operation (all share the {code, message} body)."""
    return dict.fromkeys(statuses, ErrorOut)


def require_perm(request: HttpRequest, perm: str) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not (user.is_active and user.has_perm(perm)):
        raise PermissionDenied()
    return user


class InvalidText(ValueError):
    """A JSON body whose text cannot be stored: a lone UTF-16 surrogate (`"\\ud800"`)."""


ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJsonParser(Parser):
    """ninja's JSON parser, refusing text that is not valid Unicode.

    JSON may spell a lone surrogate as an escape (`"\\ud800"`); Python decodes it into a
    `str` that no database and no UTF-8 encoder accepts, so it used to fail deep inside a
    service (a 500). Here any string or key holding one is refused for the whole API, before
    any handler runs: ninja turns the error into its 400, which `exchange.api` answers as
    `invalid` (422) with a Chinese message. A correctly paired escape (an emoji such as
    `"\\ud83d\\ude00"`) decodes to one character and passes; raw bytes cannot carry a
    surrogate (the UTF-8 decoder refuses them), so bodies without a `\\uD8..`–`\\uDF..`
    escape are not walked at all.
    """

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        body = request.body
        data = json.loads(body)
        if ESCAPED_SURROGATE.search(body) and _has_surrogate(data):
            raise InvalidText
        return cast(DictStrAny, data)


def _has_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
