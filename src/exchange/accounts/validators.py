"""Identity numbers and uploaded documents."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from exchange.core import uploads
from exchange.core.errors import InvalidInput

ALLOWED_IMAGE_FORMATS = ("jpg", "png")


def clean_resident_id(value: str) -> str:
    """A mainland 居民身份证 number (18 digits, last may be X) with a valid check digit and birth date."""
    try:
        return str(ric.validate(value.strip().upper()))
    except StdnumError as exc:
        raise InvalidInput(_("身份证号码无效（%(reason)s）。") % {"reason": _reason(exc)}, field="id_number") from exc


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
        "InvalidComponent": _("出生日期或地区码不对"),
    }
    return names.get(type(exc).__name__, _("格式不对"))
