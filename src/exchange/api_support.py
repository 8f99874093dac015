"""Pieces every API router shares: the error body, documented error answers, permission checks,
and the input types that keep the OpenAPI schema and the answers in agreement (issue 14,
item 19; docs/api.md, "Errors"):

- `BodyIn`: a JSON request body is an object — `[null, null]`, `null`, `"x"` are refused;
- `Text` (and `TextRule`): a text field the API reads refuses NUL, and the schema says so
  (`pattern`), so what the schema allows is what the server takes;
- `Doc`: the schema states a rule its service enforces (`NON_BLANK`, `AMOUNT`, ranges);
- `document_common_errors`: the 4xx answers every operation can get from the layers in
  front of its handler (authentication, CSRF, body parsing, validation, body limits),
  written into each operation's responses in one place.

Kept apart from exchange.api so that the apps' routers can import them while exchange.api
imports the routers.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Schema
from ninja.parser import Parser
from ninja.types import DictStrAny
from pydantic import (
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    StrictInt,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from exchange.core.permissions import require_staff


class ErrorOut(Schema):
    code: str
    message: str


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Documented error answers of an operation (all share the {code, message} body)."""
    return dict.fromkeys(statuses, ErrorOut)


# --- documented answers ---------------------------------------------------------------------
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_COMMON_ERRORS = {
    400: "Bad Request: the body cannot be parsed (`bad_request`)",
    401: "Unauthorized: no or invalid token / session (`unauthenticated`)",
    403: "Forbidden: a session write without a valid CSRF token (`csrf_failed`)",
    413: "Content Too Large: the body is over the route's limit (`too_large`)",
    422: "Unprocessable Content: the input fails validation (`invalid`)",
}


def common_error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The 4xx answers an operation gets before or around its handler, whatever it does:

    - 422 `invalid` when it reads anything (a parameter or a body) — validation;
    - 400 `bad_request` and 413 `too_large` when it reads a body — parsing, body limits;
    - 401 `unauthenticated` when it needs credentials;
    - 403 `csrf_failed` for a write the site's session may make (CSRF-checked).
    """
    statuses: set[int] = set()
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if operation.get("requestBody"):
        statuses |= {400, 413}
    security = operation.get("security") or []
    if security:
        statuses.add(401)
        if method.lower() not in ("get", "head", "options") and any("SessionAuth" in item for item in security):
            statuses.add(403)
    return statuses


def document_common_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add `common_error_statuses` to every operation of an OpenAPI document (in place), with
    the `{code, message}` body; an answer an operation declares itself is kept as it is."""
    for item in openapi.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})  # ninja's keys are ints
            declared = {int(status) for status in responses}
            for status in common_error_statuses(method, operation) - declared:
                responses[status] = {
                    "description": _COMMON_ERRORS[status],
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))
    return openapi


# --- inputs ------------------------------------------------------------------------------------
NO_NUL = r"[^\x00]*"
"""What `Text` admits: any text without NUL (PostgreSQL cannot store it). These expressions
read the same in Python's `re` and in JSON Schema (ECMA-262), tests/test_api_contract.py checks."""

WHITESPACE = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The characters Python's `str.strip()` removes (`str.isspace`), as a character-class body."""

NON_BLANK = rf"[^\x00]*[^\x00{WHITESPACE}][^\x00]*"
"""Text with something besides whitespace (what `value.strip()` keeps non-empty), without NUL."""

AMOUNT = r"[0-9]{1,16}(?:\.[0-9]{1,2})?"
"""An amount in yuan as the API reads it from text: up to 16 digits, at most 2 decimals."""


def pattern(regex: str) -> str:
    """The JSON Schema `pattern` that matches exactly what `re.fullmatch(regex, …)` matches."""
    return f"^(?:{regex})$"


class TextRule:
    """A text field's rule, enforced and documented from one regular expression.

    `Annotated[str, TextRule(regex, message)]`: the value must match `regex` as a whole
    (`re.fullmatch`, so a trailing newline is no exception) or the request is
    refused with 422 `invalid` and `message` (Chinese) in `errors`; the JSON schema of the
    field gets `pattern: ^(?:regex)$`. Combine with StringConstraints for lengths."""

    def __init__(self, regex: str, message: str) -> None:
        self.regex = regex
        self.message = message
        self._compiled = re.compile(regex)

    def _check(self, value: str) -> str:
        if self._compiled.fullmatch(value) is None:
            raise PydanticCustomError("text_rule", _(self.message))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = pattern(self.regex)
        return json_schema


class Doc:
    """JSON Schema keywords for a rule the service enforces, e.g.
    `reason: Annotated[Text, Doc(pattern=pattern(NON_BLANK))]`.

    For the rules a service checks after the caller's permission (so that a caller without it
    gets 403, not a hint about the input) and answers with its own code and message (a
    blank reason: 422 `reason_required`): the schema states the rule, the service keeps
    enforcing it. Only for rules the keywords express exactly."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(self.keywords)
        return json_schema


NUL_MESSAGE = gettext_noop("输入含有不允许的控制字符（NUL）。")
Text = Annotated[str, TextRule(NO_NUL, NUL_MESSAGE)]
"""Every text field the API reads (bodies, query, path, form): NUL refused with 422 `invalid`,
the schema's `pattern` says so. Text the API does not read (unknown fields) is not inspected."""


def _integral_float_as_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[StrictInt, BeforeValidator(_integral_float_as_int)]
"""A JSON integer as JSON Schema reads `type: integer`: `60` and `60.0` are 60 (the same
number); `true`, `"60"`, `1.5` are 422 `invalid`. (StrictInt alone refused 60.0, which the
schema allows.)"""


class BodyIn(Schema):
    """The base of every JSON request body: an object, or 422 `invalid`.

    ninja's Schema reads its fields from any object (attributes, template-style lookups), so
    a body of `[null, null]`, `null` or `"x"` passed as an object with every field missing —
    where all fields are optional, as their defaults (a withdraw without a reason went
    through). Here anything but a JSON object is refused, as the schema (`type: object`) says.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: Any) -> Any:
        if isinstance(values, cls):
            return values
        if not isinstance(values, dict):
            raise PydanticCustomError("model_type", _("请求内容须为 JSON 对象。"))
        return handler(values)


def require_perm(request: HttpRequest, perm: str) -> Any:
    """The request's user (an `accounts.User`), when it is active and holds `perm`."""
    user = request.auth  # type: ignore[attr-defined]
    require_staff(user, perm)
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
