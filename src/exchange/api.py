"""The JSON API under /api/v1 (django-ninja); OpenAPI schema at /api/openapi.json.

Clients authenticate with a bearer token from `POST /api/v1/auth/token`; pages of the
site may call the API with their session (CSRF-checked). Every rejection is a 4xx with
`{"code", "message", ...}`; codes are stable (see docs/api.md).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Literal

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import File, Form, NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer
from ninja.security import session as ninja_session
from pydantic import StringConstraints

from exchange.accounts import protection, sms_codes
from exchange.accounts import selectors as account_selectors
from exchange.accounts import services as account_services
from exchange.accounts.backends import LOGIN_MAX_LENGTH, PASSWORD_MAX_LENGTH, axes_username
from exchange.accounts.models import User, Verification
from exchange.api_support import (
    NON_BLANK,
    BodyIn,
    Doc,
    ErrorOut,
    InvalidText,
    StrictJsonParser,
    Text,
    TextRule,
    document_common_errors,
    errors,
    pattern,
    require_perm,
)
from exchange.core import ratelimit, registry
from exchange.core.errors import DomainError, InvalidInput, RateLimited, Unauthenticated
from exchange.core.models import Region


class SessionAuth(ninja_session.SessionAuth):
    """The site's session, CSRF-checked — but only when there is a logged-in session to
    protect; without one the caller is simply unauthenticated (401), not a CSRF failure."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = account_services.api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
            request.api_token = token  # type: ignore[attr-defined]  # for /auth/logout
        return user


class ExchangeAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        """ninja's schema, plus the error answers of the layers in front of each handler
        (api_support.document_common_errors): every 4xx an operation can get is documented."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_common_errors(schema)
        return schema


def _domain_error(api: ExchangeAPI, request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited) and "retry_after" in exc.data:
        response["Retry-After"] = str(exc.data["retry_after"])
    return response


def _validation_error(api: ExchangeAPI, request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [{"loc": [str(p) for p in e.get("loc", [])], "msg": e.get("msg", "")} for e in exc.errors]
    return api.create_response(
        request, {"code": "invalid", "message": _("请求参数有误。"), "errors": errors}, status=422
    )


def _unauthenticated(api: ExchangeAPI, request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    error = Unauthenticated()  # the same body as the native bid path's (bidding.api.bid_native)
    return api.create_response(request, error.as_dict(), status=error.status)


def _http_error(api: ExchangeAPI, request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if status == 403 and "CSRF" in str(exc):
        body = {"code": "csrf_failed", "message": _("页面已过期（CSRF 校验失败），请刷新后重试。")}
    elif status == 400 and isinstance(exc.__cause__, InvalidText):  # StrictJsonParser: a lone surrogate
        status, body = 422, {"code": "invalid", "message": _("输入含有无效的字符（不成对的 Unicode 代理项）。")}
    elif status == 400:
        body = {"code": "bad_request", "message": _("请求格式有误（无法解析请求内容）。")}
    else:
        body = {"code": "http_error", "message": str(exc)}
    return api.create_response(request, body, status=status)


# --- auth --------------------------------------------------------------------------------
auth_router = Router(tags=["auth"])


class TokenIn(BodyIn):
    """Every field bounded (item: a 9 MiB username used to be stored whole by the lockout)."""

    username: Annotated[Text, StringConstraints(max_length=LOGIN_MAX_LENGTH)]
    password: Annotated[Text, StringConstraints(max_length=PASSWORD_MAX_LENGTH)]
    client: Annotated[Text, StringConstraints(max_length=100)] = ""  # names the app in the member's token list


class TokenOut(Schema):
    token: str


class RefusedOut(ErrorOut):
    retry_after: int


@auth_router.post("/token", auth=None, response={200: TokenOut, 429: RefusedOut, **errors(400, 401, 422)})
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange phone/e-mail and password for a bearer token (`Authorization: Bearer <token>`).

    Refused with 429 (`locked`: too many wrong passwords for this account from this address;
    `rate_limited`: too many failures from this address, for this account or site-wide) and
    the wait in `retry_after` seconds — see docs/members.md, "Login protection".
    """
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        code, wait, message = protection.refusal(request, axes_username(request, {"username": payload.username}))
        return Status(429, {"code": code, "message": message, "retry_after": wait})
    if user is None:
        return Status(401, {"code": "bad_credentials", "message": _("手机号码/电子邮箱或密码不正确。")})
    label = payload.client or request.headers.get("User-Agent", "")
    return Status(200, {"token": account_services.api_token_issue(user=user, label=label)})


PHONE = Annotated[str, TextRule(r"1[3-9][0-9]{9}", gettext_noop("请输入11位手机号码。"))]
SMS_CODE = Annotated[str, TextRule(r"[0-9]{6}", gettext_noop("验证码为6位数字。"))]


class SmsCodeIn(BodyIn):
    phone: PHONE
    purpose: Literal["register", "login", "reset"]


class SmsCodeOut(Schema):
    message: str
    expires_in: int
    resend_after: int


@auth_router.post("/sms-code", auth=None, response={202: SmsCodeOut, 429: RefusedOut, **errors(400, 422)})
def sms_code_request(request: HttpRequest, payload: SmsCodeIn) -> Any:
    """Send an SMS verification code to `phone` for `purpose` (register, login, reset).

    The answer is the same whether the number has an account (the code only goes where it can
    be used; docs/members.md, "SMS codes"). A code is good for `expires_in` seconds, once, and
    for 5 wrong tries; another may be asked after `resend_after` seconds. `422` `invalid`: a
    malformed number or purpose. `429` `rate_limited` with `retry_after`: the resend pause, or
    too many codes for this number, from this address or site-wide.
    """
    sent = sms_codes.code_request(
        phone=payload.phone, purpose=payload.purpose, address=ratelimit.client_address(request)
    )
    return Status(202, {"message": sent.message, "expires_in": sent.expires_in, "resend_after": sent.resend_after})


class SmsTokenIn(BodyIn):
    phone: PHONE
    sms_code: SMS_CODE
    client: Annotated[Text, StringConstraints(max_length=100)] = ""


@auth_router.post("/token/sms", auth=None, response={200: TokenOut, 429: RefusedOut, **errors(400, 401, 422)})
def token_create_sms(request: HttpRequest, payload: SmsTokenIn) -> Any:
    """Exchange a phone number and the SMS code sent to it (purpose `login`) for a bearer token.

    `401` `bad_credentials` for a wrong, used or expired code and for a number without a member
    account alike; `429` as for `/auth/token` (the same rate limits and lockout count a wrong code).
    """
    user = authenticate(request, username=payload.phone, sms_code=payload.sms_code)
    if getattr(request, "axes_locked_out", False):
        code, wait, message = protection.refusal(request, axes_username(request, {"username": payload.phone}))
        return Status(429, {"code": code, "message": message, "retry_after": wait})
    if user is None:
        return Status(401, {"code": "bad_credentials", "message": _("手机号码或验证码不正确，或验证码已失效。")})
    label = payload.client or request.headers.get("User-Agent", "")
    return Status(200, {"token": account_services.api_token_issue(user=user, label=label)})


class SmsPasswordResetIn(BodyIn):
    phone: PHONE
    sms_code: SMS_CODE
    new_password: Annotated[Text, StringConstraints(max_length=PASSWORD_MAX_LENGTH)]


class MessageOut(Schema):
    message: str


@auth_router.post("/password-reset/sms", auth=None, response={200: MessageOut, 429: RefusedOut, **errors(400, 422)})
def password_reset_sms(request: HttpRequest, payload: SmsPasswordResetIn) -> Any:
    """Set a new password with the SMS code sent to the number (purpose `reset`); every API token
    of the account is revoked. `422` `invalid_code` (field `sms_code`) for a wrong, used or expired
    code and for a number without a member account alike; `422` `invalid` for a weak password
    (field `new_password`; the code is not used up); `429` `rate_limited` as the e-mail reset.
    """
    wait = protection.request_wait(request, "password_reset")
    if wait is not None:
        message = protection.too_many_requests_message(wait)
        raise RateLimited(message, retry_after=wait)
    try:
        account_services.password_reset_by_sms(
            phone=payload.phone, sms_code=payload.sms_code, password=payload.new_password
        )
    except InvalidInput as error:
        if error.data.get("field") == "password":  # the service's name; the body calls it new_password
            error.data["field"] = "new_password"
        raise
    return Status(200, {"message": _("密码已重设，请使用新密码登录。此前签发的 API 令牌已全部失效。")})


@auth_router.post("/logout", auth=BearerToken(), response={204: None, **errors(401, 404)})
def token_logout(request: HttpRequest) -> Any:
    """Revoke the bearer token of this request (the app's "log out"); it answers 401 from now on."""
    account_services.api_token_revoke(actor=request.auth, raw=request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


# --- me ----------------------------------------------------------------------------------
me_router = Router(tags=["me"])


class VerificationOut(Schema):
    id: int
    status: str
    status_label: str
    name: str
    id_number_masked: str
    reject_reason: str
    submitted_at: datetime
    reviewed_at: datetime | None


class MeOut(Schema):
    member_no: str
    name: str
    member_type: str
    phone: str
    email: str
    is_staff: bool
    roles: list[str]
    verified: bool
    verification: VerificationOut | None


def _verification_out(v: Verification) -> dict[str, Any]:
    return {
        "id": v.pk,
        "status": v.status,
        "status_label": v.get_status_display(),
        "name": v.name,
        "id_number_masked": v.masked_id_number,
        "reject_reason": v.reject_reason,
        "submitted_at": v.submitted_at,
        "reviewed_at": v.reviewed_at,
    }


@me_router.get("", response={200: MeOut, **errors(401)})
def me(request: HttpRequest) -> dict[str, Any]:
    """The caller's profile and real-name verification status."""
    user: User = request.auth  # type: ignore[attr-defined]
    latest = account_selectors.latest_verification(user=user)
    return {
        "member_no": user.member_no,
        "name": user.name,
        "member_type": user.member_type,
        "phone": user.phone,
        "email": user.email,
        "is_staff": user.is_staff,
        "roles": list(user.groups.values_list("name", flat=True)),
        "verified": user.is_verified,
        "verification": _verification_out(latest) if latest else None,
    }


# An uploaded image: never empty (the upload policy wants a JPG or PNG; 422 naming the field).
Image = Annotated[UploadedFile, Doc(minLength=1)]


@me_router.post("/verification", response={201: VerificationOut, **errors(400, 401, 403, 409, 422)})
def verification_submit(
    request: HttpRequest,
    name: Form[Annotated[Text, StringConstraints(min_length=1)]],
    id_number: Form[Annotated[Text, StringConstraints(min_length=1)]],
    document_front: File[Image],
    legal_representative: Annotated[Text, Form("")],  # the default inside: ninja loses one given after `=` here
    document_back: Annotated[Image, File(None)],  # optional; the default inside (see legal_representative)
) -> Any:
    """Submit real-name verification (multipart form: fields and JPG/PNG images)."""
    v = account_services.verification_submit(
        user=request.auth,  # type: ignore[attr-defined]
        name=name,
        id_number=id_number,
        legal_representative=legal_representative,
        document_front=document_front,
        document_back=document_back,
    )
    return Status(201, _verification_out(v))


# --- staff: verification review -----------------------------------------------------------
review_router = Router(tags=["staff"])


class ReviewQueueItem(VerificationOut):
    member_no: str
    member_type: str


class RejectIn(BodyIn):
    # blank → 422 from the service (after the permission check), as the schema's pattern says
    reason: Annotated[Text, StringConstraints(max_length=200), Doc(pattern=pattern(NON_BLANK))]


@review_router.get("", response={200: list[ReviewQueueItem], **errors(401, 403, 422)})
def verification_queue(request: HttpRequest, status: Text = "pending") -> list[dict[str, Any]]:
    """Staff: verification requests by status (default: pending, oldest first)."""
    require_perm(request, "accounts.view_verification")
    qs = Verification.objects.select_related("user").filter(status=status).order_by("submitted_at")[:200]
    return [{**_verification_out(v), "member_no": v.user.member_no, "member_type": v.member_type} for v in qs]


@review_router.post("/{verification_id}/approve", response={200: VerificationOut, **errors(401, 403, 404, 409, 422)})
def verification_approve(request: HttpRequest, verification_id: int) -> Any:
    reviewer = require_perm(request, "accounts.review_verification")
    return Status(
        200,
        _verification_out(account_services.verification_approve(verification_id=verification_id, reviewer=reviewer)),
    )


@review_router.post(
    "/{verification_id}/reject", response={200: VerificationOut, **errors(400, 401, 403, 404, 409, 422)}
)
def verification_reject(request: HttpRequest, verification_id: int, payload: RejectIn) -> Any:
    reviewer = require_perm(request, "accounts.review_verification")
    v = account_services.verification_reject(verification_id=verification_id, reviewer=reviewer, reason=payload.reason)
    return Status(200, _verification_out(v))


# --- reference data ----------------------------------------------------------------------
ref_router = Router(tags=["reference"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    full_name: str


@ref_router.get("/regions", auth=None, response={200: list[RegionOut], **errors(422)})
def regions(request: HttpRequest, parent: Text | None = None) -> Any:
    """Provinces, or the children of the region with code `parent`."""
    qs = Region.objects.filter(parent__code=parent) if parent else Region.objects.filter(level=Region.Level.PROVINCE)
    return qs.only("code", "name", "level", "full_name")


# The project's own routers (members' sign-in and profile, reference data), first in the API.
PROJECT_ROUTERS = (("/auth", auth_router), ("/me", me_router), ("/verifications", review_router), ("/ref", ref_router))


def build_api() -> ExchangeAPI:
    """The API: the project's routers, then the apps' routers as their AppConfigs declare them
    (core/registry.py; each app owns its paths and schemas)."""
    new_api = ExchangeAPI(
        title="产权交易平台 API",
        version="1",
        description="产权交易电子商务平台的公开接口。所有错误返回 `{code, message}`。",
        urls_namespace="api",
        auth=[BearerToken(), SessionAuth()],
        openapi_url="/openapi.json",
        docs_url="/docs",
        parser=StrictJsonParser(),
    )
    new_api.add_exception_handler(DomainError, functools.partial(_domain_error, new_api))
    new_api.add_exception_handler(NinjaValidationError, functools.partial(_validation_error, new_api))
    new_api.add_exception_handler(AuthenticationError, functools.partial(_unauthenticated, new_api))
    new_api.add_exception_handler(HttpError, functools.partial(_http_error, new_api))
    for path, router in PROJECT_ROUTERS:
        new_api.add_router(path, router)
    for declared in registry.api_routers():
        new_api.add_router(declared.path, declared.router)
    return new_api


api = build_api()


def openapi_json(request: HttpRequest) -> JsonResponse:
    """The schema also at the stable address /api/openapi.json."""
    return JsonResponse(api.get_openapi_schema(path_prefix="/api/v1"), json_dumps_params={"ensure_ascii": False})
