"""`{% upload_mb "video" as mb %}`: an upload limit of the settings, in MB, for help texts
(UPLOAD_MAX_IMAGE_BYTES, UPLOAD_MAX_DOCUMENT_BYTES, UPLOAD_MAX_MATERIAL_BYTES,
UPLOAD_MAX_VIDEO_BYTES: the numbers the upload policy and the request limits apply)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def upload_mb(kind: str) -> int:
    return int(getattr(settings, f"UPLOAD_MAX_{kind.upper()}_BYTES")) // (1024 * 1024)
