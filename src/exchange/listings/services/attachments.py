"""Project attachments: checked uploads, add and delete."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock, uploads
from exchange.core.errors import IllegalTransition, NotFound
from exchange.listings import conf
from exchange.listings.models import (
    EDITABLE_STATUSES,
    Attachment,
)
from exchange.listings.services.common import (
    FINAL_STATUSES,
    AttachmentRejected,
    _require_seller_side,
    project_for_update,
)

# --------------------------------------------------------------------------- attachments


def check_upload(kind: str, upload: UploadedFile) -> uploads.Accepted:
    """The upload policy (exchange.core.uploads) for an attachment of this kind: the formats
    of LISTINGS_ATTACHMENT_TYPES, detected by content and agreeing with the file's extension,
    LISTINGS_VIDEO_MAX_BYTES for videos, else LISTINGS_ATTACHMENT_MAX_BYTES; the upload is
    renamed by the server. Raises AttachmentRejected."""
    if kind not in Attachment.Kind.values:
        raise AttachmentRejected(_("请选择附件类型。"), field="kind")
    limit = conf.get("LISTINGS_VIDEO_MAX_BYTES" if kind == Attachment.Kind.VIDEO else "LISTINGS_ATTACHMENT_MAX_BYTES")
    return uploads.accept(
        upload,
        formats=conf.get("LISTINGS_ATTACHMENT_TYPES")[kind],
        max_bytes=limit,
        field="file",
        label=str(Attachment.Kind(kind).label),
        check_name=True,
        error=AttachmentRejected,
    )


def attachment_add(*, project_id: int, actor: User, kind: str, upload: UploadedFile, caption: str = "") -> Attachment:
    """Attach a checked file. Content is frozen after submission: only approval documents and
    valuation reports (for a relisting or re-valuation) may be added later."""
    accepted = check_upload(kind, upload)
    with transaction.atomic(), audit.action(actor, "project.attachment.add", kind=kind):
        project = project_for_update(project_id)
        _require_seller_side(project, actor)
        late_kinds = (Attachment.Kind.APPROVAL_DOCUMENT, Attachment.Kind.VALUATION_REPORT)
        if project.status not in EDITABLE_STATUSES and kind not in late_kinds:
            raise IllegalTransition(_("项目已提交，不能再添加此类附件。"))
        if project.status in FINAL_STATUSES:
            raise IllegalTransition(_("项目已结束。"))
        return Attachment.objects.create(
            project=project,
            kind=kind,
            file=accepted.upload,
            original_name=accepted.original_name,
            size=accepted.size,
            content_type=accepted.format.content_type,
            caption=caption.strip()[:100],
            uploaded_by=actor,
            uploaded_at=clock.now(),
        )


def attachment_delete(*, attachment_id: int, actor: User) -> None:
    """Remove an attachment while the project is still editable."""
    with transaction.atomic(), audit.action(actor, "project.attachment.delete"):
        attachment = Attachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        project = project_for_update(attachment.project_id)
        _require_seller_side(project, actor)
        if project.status not in EDITABLE_STATUSES:
            raise IllegalTransition(_("项目已提交，附件不能删除。"))
        attachment.file.delete(save=False)
        attachment.delete()
