"""The one upload policy of the platform: every file a user uploads — identity documents,
buyer application materials, listing attachments (photos, videos, documents), bank
statements and receipts — passes `accept()`, and every stored one leaves through `serve()`.
Web forms, the JSON API and the back office call the same functions.

Accepting (`accept`):
- the size: empty or above the caller's limit (a setting, see docs/operations.md) is refused;
- the type is detected from the content, never from the client's file name or Content-Type
  (`detect`): PDF, JPEG, PNG, WebP, MP4, WebM, Word/Excel (97–2003 and 2007+), CSV text;
- images are opened with Pillow: the pixel count is bounded (UPLOAD_MAX_IMAGE_PIXELS,
  decompression bombs) before anything is decoded, then the file is verified;
- the stored name is decided here: a random name with the extension of the detected format
  (`upload.name` is replaced; the client's name is returned as `original_name`, for display).
  Where the client's name matters to the user (documents they download again), `check_name`
  also refuses a name whose extension is not one of the allowed formats or disagrees with the
  content.

Serving (`serve`): the type is sniffed again from the stored bytes (files stored before this
policy kept the client's extension), sent with `X-Content-Type-Options: nosniff` and a
sandboxing Content-Security-Policy; only images and videos may be shown inline, anything
else is a download (`Content-Disposition: attachment`).

Errors are `InvalidInput` (or the caller's subclass, so that apps keep their error codes)
with Chinese messages.
"""

from __future__ import annotations

import uuid
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from exchange.core.errors import InvalidInput


@dataclass(frozen=True)
class Format:
    """A file format the platform accepts: the extension it is stored under, the type it is
    served with, and whether a browser may show it inline."""

    ext: str
    content_type: str
    label: str
    image: bool = False  # opened and verified with Pillow, pixels bounded
    inline: bool = False  # images and videos; everything else is a download


FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("pdf", "application/pdf", "PDF"),
        Format("jpg", "image/jpeg", "JPG", image=True, inline=True),
        Format("png", "image/png", "PNG", image=True, inline=True),
        Format("webp", "image/webp", "WebP", image=True, inline=True),
        Format("mp4", "video/mp4", "MP4", inline=True),
        Format("webm", "video/webm", "WebM", inline=True),
        Format("doc", "application/msword", "DOC"),
        Format("xls", "application/vnd.ms-excel", "XLS"),
        Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
        Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
        Format("csv", "text/csv", "CSV"),
    )
}
ALIASES = {"jpeg": "jpg"}  # names the settings and users may use for a format
OCTET_STREAM = "application/octet-stream"

# What a served upload may do when a browser opens it as a document: nothing. `sandbox`
# gives it a unique opaque origin (no cookies, no same-origin requests, no scripts), and
# `default-src 'none'` loads nothing but the image or video itself.
# (inline styles only: the browser's own image viewer centres the picture with them)
SERVE_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_EXCEL_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
_SCAN_CHUNK = 1024 * 1024


def normalize(ext: str) -> str:
    ext = ext.lower().lstrip(".")
    return ALIASES.get(ext, ext)


def _family(head: bytes) -> str | None:
    """The format a file's first bytes announce (OLE2 and ZIP containers as such)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(_OLE2):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _office_zip(file: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _office_ole2(file: IO[bytes]) -> str | None:
    """doc or xls: the name of the main stream in the compound file's directory."""
    tail = b""
    while chunk := file.read(_SCAN_CHUNK):
        window = tail + chunk
        if _WORD_STREAM in window:
            return "doc"
        if any(name in window for name in _EXCEL_STREAMS):
            return "xls"
        tail = window[-32:]
    return None


def _is_text(head: bytes) -> bool:
    """CSV and other plain text: no NUL byte, and decodable as UTF-8 or GB18030."""
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the end of the sample
                return True
            continue
        return True
    return False


def detect(file: IO[bytes]) -> Format | None:
    """The format of a file by its content (the position is restored to the start)."""
    try:
        file.seek(0)
        head = file.read(8192)
        file.seek(0)
        family = _family(head)
        if family == "zip":
            family = _office_zip(file)
        elif family == "ole2":
            family = _office_ole2(file)
        elif family is None and _is_text(head):
            family = "csv"
    finally:
        file.seek(0)
    return FORMATS.get(family) if family else None


def sniff(file: IO[bytes], stored_name: str) -> Format | None:
    """The format of a stored file for serving: its first bytes; for the container formats
    (ZIP, OLE2), whose kind only the whole file tells, the stored extension when it agrees."""
    file.seek(0)
    head = file.read(64)
    file.seek(0)
    family = _family(head)
    ext = normalize(PurePosixPath(stored_name).suffix)
    if family == "zip":
        family = ext if ext in ("docx", "xlsx") else None
    elif family == "ole2":
        family = ext if ext in ("doc", "xls") else None
    return FORMATS.get(family) if family else None


@dataclass(frozen=True)
class Accepted:
    upload: UploadedFile  # renamed: `upload.name` is the server's name
    format: Format
    original_name: str  # the client's file name, without any path, for display only

    @property
    def size(self) -> int:
        return int(self.upload.size or 0)


def accept(
    upload: UploadedFile,
    *,
    formats: Iterable[str],
    max_bytes: int,
    field: str,
    label: str = "",
    check_name: bool = False,
    error: type[InvalidInput] = InvalidInput,
) -> Accepted:
    """Check an upload against the policy and give it the server's name.

    `formats`: the allowed extensions (aliases such as "jpeg" allowed); `max_bytes`: the
    caller's limit; `field`: the form field named in the error; `label`: what the file is
    (e.g. "营业执照"), for the messages; `check_name`: also refuse a client name whose
    extension is not allowed or disagrees with the content. Raises `error` (nothing stored).
    """
    allowed = list(dict.fromkeys(normalize(f) for f in formats))
    types = "、".join(FORMATS[f].label for f in allowed)
    what = label or _("文件")
    original = PurePosixPath((upload.name or "").replace("\\", "/")).name[:200] or "file"
    size = upload.size or 0
    if size <= 0 or size > max_bytes:
        raise error(
            _("%(what)s不能为空，也不能超过 %(mb)s MB。") % {"what": what, "mb": _mb(max_bytes)},
            field=field,
            max_bytes=max_bytes,
        )
    client_ext = normalize(PurePosixPath(original).suffix)
    if check_name and client_ext not in allowed:
        raise error(_("%(what)s只能上传以下格式：%(types)s。") % {"what": what, "types": types}, field=field)
    fmt = detect(upload)
    if fmt is None or fmt.ext not in allowed:
        raise error(_("%(what)s的文件内容不是允许的格式（%(types)s）。") % {"what": what, "types": types}, field=field)
    if check_name and client_ext != fmt.ext:
        raise error(_("%(what)s的文件内容与扩展名（.%(ext)s）不符。") % {"what": what, "ext": client_ext}, field=field)
    if fmt.image:
        _check_image(upload, fmt, what=what, field=field, error=error)
    upload.name = f"{uuid.uuid4().hex}.{fmt.ext}"
    return Accepted(upload=upload, format=fmt, original_name=original)


def _check_image(upload: UploadedFile, fmt: Format, *, what: str, field: str, error: type[InvalidInput]) -> None:
    """Pixels bounded from the header (nothing decoded yet), then Pillow's verify()."""
    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    too_large = error(
        _("%(what)s的尺寸过大（不能超过 %(mp)s 百万像素），请缩小后重新上传。")
        % {"what": what, "mp": limit // 1_000_000},
        field=field,
        max_pixels=limit,
    )
    pillow = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt.ext]
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=[pillow]) as image:
                width, height = image.size
                if width * height > limit:
                    raise too_large
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise error(_("%(what)s不是有效的 %(type)s 图片。") % {"what": what, "type": fmt.label}, field=field) from exc
    finally:
        upload.seek(0)


def _mb(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}".rstrip("0").rstrip(".")


@deconstructible
class ServerName:
    """`upload_to` of every uploaded-file field: `<prefix>/<yyyy>/<mm>/<random>.<ext>`, the
    extension that of a known format (what `accept()` named the file), else `.bin` — the
    client's name never reaches the disk, even through a path that skipped `accept()`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        return f"{self.prefix}/{timezone.now():%Y/%m}/{stored_basename(filename)}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServerName) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def stored_basename(filename: str) -> str:
    ext = normalize(PurePosixPath(filename).suffix)
    return f"{uuid.uuid4().hex}.{ext if ext in FORMATS else 'bin'}"


def serve(
    file: Any,
    *,
    filename: str | None = None,
    inline: bool = True,
    cache_control: str = "private, no-store",
) -> FileResponse:
    """A stored upload as a response: the type sniffed from its bytes, `nosniff`, a
    sandboxing CSP; inline only for images and videos (and only when `inline`), any other
    type — or one not recognised — as a download."""
    handle = file.open("rb")
    fmt = sniff(handle, getattr(file, "name", "") or "")
    content_type = fmt.content_type if fmt else OCTET_STREAM
    show_inline = bool(inline and fmt and fmt.inline)
    name = filename or PurePosixPath(getattr(file, "name", "") or "file").name
    if fmt and normalize(PurePosixPath(name).suffix) != fmt.ext:
        name = f"{PurePosixPath(name).stem or 'file'}.{fmt.ext}"
    response = FileResponse(handle, content_type=content_type, as_attachment=not show_inline, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = cache_control
    return response
