"""Material drafts uploaded before an application is submitted."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock
from exchange.core.errors import InvalidInput, NotFound
from exchange.listings import selectors as listings_selectors
from exchange.trading import conf
from exchange.trading.models import (
    Application,
    Material,
    MaterialDraft,
)
from exchange.trading.services.checks import _check_applicant, _check_window, check_material, required_materials
from exchange.trading.services.common import DraftLimit, MaterialRejected
from exchange.trading.services.terms import terms_ensure

log = logging.getLogger(__name__)


def _attach_drafts(app: Application, drafts: Mapping[str, int]) -> None:
    """The applicant's drafts (locked) become the application's materials: the same stored
    files, the drafts' rows removed. A draft that is not the applicant's draft of this
    project, of that kind, is NotFound (the same answer for someone else's and a missing one)."""
    if not drafts:
        return
    rows = {
        d.pk: d
        for d in MaterialDraft.objects.select_for_update().filter(
            pk__in=list(drafts.values()), member_id=app.applicant_id, project_id=app.project_id
        )
    }
    for kind, draft_id in drafts.items():
        draft = rows.get(draft_id)
        if draft is None or draft.kind != kind:
            raise NotFound(_("材料文件不存在，请重新上传。"), field=kind)
        Material.objects.create(
            application=app,
            kind=kind,
            file=draft.file.name,
            original_name=draft.original_name,
            size=draft.size,
            content_type=draft.content_type,
            uploaded_at=draft.uploaded_at,
        )
    MaterialDraft.objects.filter(pk__in=list(drafts.values())).delete()


def _delete_files_on_commit(names: Iterable[str]) -> None:
    """Remove stored files once the transaction that dropped their rows has committed."""

    names = [n for n in names if n]

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # already gone, or the disk refused: the row is gone either way
                log.warning("could not delete the draft file %s", name)

    if names:
        transaction.on_commit(delete)


def draft_upload(
    *, project_id: int, member: User, kind: str, upload: UploadedFile | None, replaces: int | None = None
) -> MaterialDraft:
    """Keep a file a member chose on the application form as a draft of that project (before
    the application is filed; the form shows it again after any error and files it with the
    application). `replaces`: the member's earlier draft that this file takes the place of
    (removed with its file).

    Only someone who may apply, while applications are taken; only a kind the project asks
    of this member (or the signed commitment letter); the upload policy as for any material;
    at most TRADING_DRAFT_MAX_FILES drafts and TRADING_DRAFT_MAX_BYTES per member (the
    member's row is locked to count). Raises NotFound (no such public project; `replaces` not
    the member's draft), the applicant refusals, RegistrationClosed, InvalidInput (kind),
    MaterialRejected, DraftLimit. Nothing is written on a refusal.
    """
    project = listings_selectors.project_get(project_id, public_only=True)
    if project is None:
        raise NotFound(_("项目不存在。"))
    _check_applicant(project, member)
    _check_window(project, clock.now())
    terms = terms_ensure(project_id=project_id)
    if kind not in {*required_materials(terms, member), conf.COMMITMENT}:
        raise InvalidInput(_("本项目不需要提交这项材料。"), field="kind")
    if upload is None:
        raise MaterialRejected(_("请选择要上传的文件。"), field=kind)
    accepted = check_material(kind, upload)
    with transaction.atomic(), audit.action(member, "material_draft.upload", project=project_id, kind=kind):
        User.objects.select_for_update().filter(pk=member.pk).first()  # one member's uploads one at a time
        old = None
        if replaces:
            old = MaterialDraft.objects.filter(pk=replaces, member=member).first()
            if old is None:
                raise NotFound(_("材料文件不存在，请重新上传。"), field=kind)
        others = MaterialDraft.objects.filter(member=member)
        if old is not None:
            others = others.exclude(pk=old.pk)
        held = others.aggregate(n=models.Count("pk"), size=models.Sum("size"))
        max_files, max_bytes = conf.get("TRADING_DRAFT_MAX_FILES"), conf.get("TRADING_DRAFT_MAX_BYTES")
        if held["n"] + 1 > max_files:
            raise DraftLimit(
                _("您已上传 %(n)s 个尚未提交的文件，达到上限。请先移除不需要的文件，或提交申请。") % {"n": held["n"]},
                field=kind,
                max_files=max_files,
            )
        if (held["size"] or 0) + accepted.size > max_bytes:
            raise DraftLimit(
                _("尚未提交的文件合计不能超过 %(mb)s MB。请先移除不需要的文件，或提交申请。")
                % {"mb": max_bytes // (1024 * 1024)},
                field=kind,
                max_bytes=max_bytes,
            )
        if old is not None:
            _delete_files_on_commit([old.file.name])
            old.delete()
        return MaterialDraft.objects.create(
            member=member,
            project=project,
            kind=kind,
            file=accepted.upload,
            original_name=accepted.original_name,
            size=accepted.size,
            content_type=accepted.format.content_type,
            uploaded_at=clock.now(),
        )


def draft_remove(*, draft_id: int, member: User) -> None:
    """The member removes one of their drafts (and its file). Someone else's draft, or a
    missing one, is NotFound."""
    with transaction.atomic(), audit.action(member, "material_draft.remove"):
        draft = MaterialDraft.objects.select_for_update().filter(pk=draft_id, member_id=member.pk).first()
        if draft is None:
            raise NotFound(_("材料文件不存在，请重新上传。"))
        _delete_files_on_commit([draft.file.name])
        draft.delete()


def drafts_clean(*, batch: int = 500) -> int:
    """Remove drafts not filed within TRADING_DRAFT_MAX_AGE_HOURS of their upload, with their
    files (the periodic job). Returns how many were removed."""
    cutoff = clock.now() - dt.timedelta(hours=conf.get("TRADING_DRAFT_MAX_AGE_HOURS"))
    removed = 0
    while True:
        with transaction.atomic(), audit.action(None, "material_draft.clean"):
            rows = list(MaterialDraft.objects.select_for_update().filter(uploaded_at__lt=cutoff).order_by("pk")[:batch])
            if not rows:
                return removed
            _delete_files_on_commit([d.file.name for d in rows])
            MaterialDraft.objects.filter(pk__in=[d.pk for d in rows]).delete()
            removed += len(rows)
