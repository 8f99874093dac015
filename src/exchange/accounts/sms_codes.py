"""SMS verification codes (短信验证码): registration, login by code, password reset by phone.

    sent = sms_codes.code_request(phone="13900000011", purpose="login", address=address)
    ...
    with transaction.atomic():
        accepted = sms_codes.consume(phone=phone, purpose="login", code=typed)

The rules (docs/members.md, "SMS codes"):

- **Bound** to one number and one purpose (register / login / reset): a code sent for
  registration does not log in, one sent to another number does not count. Only the newest
  code of a (number, purpose) is valid; asking again replaces it.
- **Short-lived and single-use**: SMS_CODE_TTL_SECONDS (5 minutes), consumed by the first
  success, dead after SMS_CODE_MAX_ATTEMPTS wrong tries (5: one chance in 200,000 per code).
- **Stored as a keyed hash**: the row holds a random salt and HMAC-SHA256(key, purpose,
  number, code, salt) with a key derived from SECRET_KEY; the code is HMAC(key, salt) cut to
  six digits, so the sending task derives it again and no raw code is ever written — not in
  the table, not in the task queue's arguments.
- **Limited** per number, per address and site-wide, with a resend pause per number
  (`protection.sms_code_wait`); every request counts whether or not an account exists.
- **Neutral**: the request answers the same for every number. What is sent is decided by the
  background task (`code_deliver`), so the answer also takes the same time: a registration code
  goes to a new number and a short "already registered, log in instead" notice to a registered
  one; login and reset codes only to active member accounts (staff use their password: a SIM
  swap must not open the back office); nothing to any other number.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.accounts import protection, tasks
from exchange.accounts.models import SmsCode, User, mask_phone, phone_validator
from exchange.core import clock
from exchange.core.errors import InvalidInput, RateLimited
from exchange.members.channels import Outgoing, get_channel

if TYPE_CHECKING:
    from exchange.members.channels import Outgoing

logger = logging.getLogger("exchange.accounts.sms_codes")

Purpose = SmsCode.Purpose
Outcome = SmsCode.Outcome
DIGITS = 6
_CODE = re.compile(rf"^\d{{{DIGITS}}}$")
_PURPOSE_LABELS = {Purpose.REGISTER: gettext_lazy("会员注册"), Purpose.LOGIN: gettext_lazy("登录"),
                   Purpose.RESET: gettext_lazy("重设密码")}  # fmt: skip


class InvalidCode(InvalidInput):
    """A wrong, expired, used or exhausted code, or a number without a usable account: one
    answer for all of them."""

    code = "invalid_code"
    default_message = gettext_lazy("验证码不正确或已失效，请重新获取。")

    def __init__(self) -> None:
        super().__init__(field="sms_code")


@dataclass(frozen=True)
class CodeRequested:
    """What the caller tells the person: where it went (masked), for how long it is good, when
    another may be asked for."""

    phone_masked: str
    expires_in: int
    resend_after: int
    message: str


def ttl_seconds() -> int:
    return int(settings.SMS_CODE_TTL_SECONDS)


def clean_phone(phone: str) -> str:
    """The number as stored, or InvalidInput (field `phone`)."""
    phone = str(phone or "").strip()
    try:
        phone_validator(phone)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field="phone") from exc
    return phone


def clean_purpose(purpose: str) -> str:
    if purpose not in Purpose.values:
        raise InvalidInput(_("验证码用途无效。"), field="purpose")
    return str(purpose)


def _derive(salt: str) -> str:
    value = salted_hmac("exchange.accounts.sms_code.code", salt, algorithm="sha256").hexdigest()
    return f"{int(value[:16], 16) % 10**DIGITS:0{DIGITS}d}"


def _digest(*, phone: str, purpose: str, code: str, salt: str) -> str:
    message = f"{purpose}\n{phone}\n{code}\n{salt}"
    return salted_hmac("exchange.accounts.sms_code.digest", message, algorithm="sha256").hexdigest()


def code_text(row: SmsCode) -> str:
    """The code of a row, derived with the key (the sending task; tests)."""
    return _derive(row.salt)


def code_create(*, phone: str, purpose: str, address: str = "") -> SmsCode:
    """Write a new code for (phone, purpose), which replaces any earlier one. No limits, nothing
    sent: `code_request` is the entry point; tests use this to hold a code without an SMS."""
    phone, purpose = clean_phone(phone), clean_purpose(purpose)
    salt = secrets.token_hex(16)
    now = clock.now()
    return SmsCode.objects.create(
        phone=phone,
        purpose=purpose,
        salt=salt,
        digest=_digest(phone=phone, purpose=purpose, code=_derive(salt), salt=salt),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds()),
        requested_from=address[:64],
    )


def code_request(*, phone: str, purpose: str, address: str) -> CodeRequested:
    """Ask for a code for `phone` (purpose register / login / reset) from `address`.

    Raises InvalidInput (a malformed number or purpose) or RateLimited (with `retry_after`:
    the resend pause, or a limit per number, per address or site-wide; protection.sms_code_wait).
    Otherwise writes the code and, after commit, enqueues `tasks.sms_code_send`, which decides
    what the number gets (see the module). The answer is the same whatever the number.
    """
    phone, purpose = clean_phone(phone), clean_purpose(purpose)
    refused = protection.sms_code_wait(address, phone)
    if refused is not None:
        wait, message = refused
        raise RateLimited(message, retry_after=wait)
    with transaction.atomic():
        row = code_create(phone=phone, purpose=purpose, address=address)
        transaction.on_commit(lambda: _enqueue(row.pk))
    minutes = max(1, ttl_seconds() // 60)
    masked = mask_phone(phone)
    if purpose == Purpose.REGISTER:
        message = _("验证码已发送至 %(phone)s，%(m)s 分钟内有效。") % {"phone": masked, "m": minutes}
    else:
        message = _("如果该手机号码已注册，验证码已发送至 %(phone)s，%(m)s 分钟内有效。") % {
            "phone": masked,
            "m": minutes,
        }
    return CodeRequested(masked, ttl_seconds(), int(settings.SMS_CODE_RESEND_SECONDS), message)


def _enqueue(code_id: int) -> None:
    tasks.sms_code_send.enqueue(code_id=code_id)


def consume(*, phone: str, purpose: str, code: str) -> bool:
    """Use the newest code of (phone, purpose) if `code` is it: True once, then never again.

    False for a wrong code (which counts an attempt), an expired, used or exhausted one, and
    when there is none. Locks the row, so two requests with the right code cannot both pass.
    Never raises for a bad code: callers run this inside their own transaction and raise
    their refusal (`InvalidCode`) *after* it, so that the counted attempt is committed, while a
    refusal of theirs after a success (a weak new password) rolls the use back.
    """
    phone, code = str(phone or "").strip(), str(code or "").strip()
    if purpose not in Purpose.values or len(phone) != 11:
        return False
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            return False
        if row.used_at is not None or clock.now() >= row.expires_at or row.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
            return False
        expected = row.digest
        given = _digest(phone=phone, purpose=purpose, code=code, salt=row.salt) if _CODE.match(code) else ""
        if not (given and hmac.compare_digest(expected, given)):
            SmsCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            return False
        SmsCode.objects.filter(pk=row.pk).update(used_at=clock.now())
        return True


def code_deliver(*, code_id: int) -> str:
    """Send what the number of a code gets (run by `tasks.sms_code_send`); returns the outcome.

    Claims the row (pending → sending) so that a repeated task sends nothing, decides in the
    background what to send (see the module: the request's answer and time do not depend on it),
    sends through the SMS channel (NOTIFY_SMS_BACKEND) outside any transaction, and records
    `outcome` and `sent_at`. A gateway failure is logged and recorded (`failed`): the person asks
    again after the resend pause.
    """
    if not SmsCode.objects.filter(pk=code_id, outcome=Outcome.PENDING).update(outcome=Outcome.SENDING):
        return "claimed"
    row = SmsCode.objects.get(pk=code_id)
    if row.used_at is not None or clock.now() >= row.expires_at:
        return _record(row, Outcome.EXPIRED)
    user = User.objects.filter(phone=row.phone).only("is_active", "is_staff").first()
    if row.purpose == Purpose.REGISTER:
        outcome = Outcome.NOTICE if user is not None else Outcome.SENT
    elif user is None or not user.is_active or user.is_staff:
        return _record(row, Outcome.SKIPPED)
    else:
        outcome = Outcome.SENT
    outgoing = _message(row, registered=outcome == Outcome.NOTICE)

    try:
        get_channel("sms").send(outgoing)
    except Exception:
        logger.exception("SMS code %s to %s: the gateway failed", row.pk, row.masked_phone)
        return _record(row, Outcome.FAILED)
    return _record(row, outcome)


def _message(row: SmsCode, *, registered: bool) -> Outgoing:
    with translation.override(settings.LANGUAGE_CODE):  # the worker and a request in English alike
        if registered:
            text = _(
                "您的手机号码已注册%(exchange)s会员，无需重复注册，请直接登录；忘记密码可用手机验证码重设。"
                "如非本人操作，请忽略本短信。"
            ) % {"exchange": settings.EXCHANGE_NAME}
            return Outgoing(
                address=row.phone, subject=_("手机号码已注册"), body=text, url="", kind="account.sms_code.registered",
                text=text,
            )  # fmt: skip
        code, minutes = code_text(row), max(1, ttl_seconds() // 60)
        text = _("验证码 %(code)s，用于%(purpose)s，%(m)s 分钟内有效。工作人员不会向您索取验证码，请勿告诉他人。") % {
            "code": code,
            "purpose": _PURPOSE_LABELS[Purpose(row.purpose)],
            "m": minutes,
        }
        return Outgoing(
            address=row.phone,
            subject=_("验证码"),
            body=text,
            url="",
            kind=f"account.sms_code.{row.purpose}",
            text=text,
            params={"code": code, "minutes": str(minutes)},
        )


def _record(row: SmsCode, outcome: str) -> str:
    sent_at = clock.now() if outcome in (Outcome.SENT, Outcome.NOTICE) else None
    SmsCode.objects.filter(pk=row.pk).update(outcome=outcome, sent_at=sent_at)
    return outcome


def codes_purge() -> int:
    """Delete codes that expired more than a day ago (kept that long for customer service:
    "did my code go out?"); how many."""
    deleted, _by_model = SmsCode.objects.filter(expires_at__lt=clock.now() - timedelta(days=1)).delete()
    return deleted
