"""Bank statement files: importing one at once, or in two steps — upload (checked whole and
kept) then confirm (imported) or discard — and the expiry of uploads left unconfirmed."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from exchange.core import audit, clock, uploads
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.settlement import selectors
from exchange.settlement.models import BankProfile, StatementImport, StatementUpload
from exchange.settlement.services.common import require
from exchange.settlement.services.matching import import_lines
from exchange.settlement.statements import fingerprints, parse_statement, read_statement


def statement_import(*, profile_id: int, file_name: str, data: bytes, actor: Any) -> StatementImport:
    """Import a bank statement: parse and validate the whole file first (StatementInvalid
    with line numbers; nothing written), then in one transaction record the new lines
    (a line already imported — same fingerprint — is counted as a duplicate and credits
    nothing), post every incoming amount to the bank account, credit deposits that match a
    virtual sub-account exactly and in time (frozen, `deposit_confirmed` after commit)
    and put the rest — unknown, partial, excess, late — into suspense for the exceptions
    queue. Outgoing lines are recorded as ignored."""
    require(actor, "settlement.add_statementimport")
    profile = _active_profile(profile_id)
    parsed, encoding = parse_statement(data, file_name=file_name, profile=profile)
    prints = fingerprints(parsed, bank=profile.code)
    return import_lines(profile, file_name, data, parsed, prints, encoding, actor)


UPLOAD_KEEP = dt.timedelta(hours=24)  # an unconfirmed upload is kept this long, then expires


def _active_profile(profile_id: int) -> BankProfile:
    profile = BankProfile.objects.filter(pk=profile_id, is_active=True).first()
    if profile is None:
        raise InvalidInput(_("请选择对账单格式。"), field="profile")
    return profile


def statement_upload_create(*, profile_id: int, upload: UploadedFile, actor: Any) -> StatementUpload:
    """First step of an import: the file passes the upload policy (CSV or Excel by content,
    at most UPLOAD_MAX_DOCUMENT_BYTES) and is read whole with the profile; a file that cannot
    be imported is refused (StatementInvalid with line numbers and the header as understood)
    and nothing is kept. Otherwise it is stored under a server-made name, waiting for
    `statement_upload_confirm`; nothing is imported yet."""
    require(actor, "settlement.add_statementimport")
    profile = _active_profile(profile_id)
    accepted = uploads.accept(
        upload,
        formats=("csv", "xlsx"),
        max_bytes=settings.UPLOAD_MAX_DOCUMENT_BYTES,
        field="file",
        label=_("对账单文件"),
    )
    data = accepted.upload.read()
    read = read_statement(data, file_name=f"upload.{accepted.format.ext}", profile=profile)
    with transaction.atomic(), audit.action(actor, "statement.upload", file=accepted.original_name):
        record = StatementUpload(
            profile=profile,
            original_name=accepted.original_name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            line_count=len(read.lines),
            uploaded_by=actor,
            uploaded_at=clock.now(),
        )
        record.file.save(accepted.upload.name, ContentFile(data), save=False)
        record.save()
    return record


def _lock_upload(upload_id: int) -> StatementUpload:
    record = StatementUpload.objects.select_for_update().select_related("profile").filter(pk=upload_id).first()
    if record is None:
        raise NotFound(_("上传的对账单不存在。"))
    return record


def statement_upload_confirm(*, upload_id: int, actor: Any) -> StatementImport:
    """Second step: import the stored file (`statement_import`'s rules: whole file checked,
    duplicates credit nothing, matching, exceptions). Idempotent: confirming an upload that
    was already imported returns that import. A discarded or expired one is refused."""
    require(actor, "settlement.add_statementimport")
    with transaction.atomic():
        record = _lock_upload(upload_id)
        if record.status == StatementUpload.Status.IMPORTED and record.statement is not None:
            return record.statement
        if record.status != StatementUpload.Status.PENDING:
            raise IllegalTransition(_("该文件已放弃或已过期，请重新上传。"))
        profile = _active_profile(record.profile_id)
        data, name = selectors.upload_bytes(record)
        read = read_statement(data, file_name=name, profile=profile)
        prints = fingerprints(read.lines, bank=profile.code)
        statement = import_lines(profile, record.original_name, data, read.lines, prints, read.encoding, actor)
        with audit.action(actor, "statement.upload_confirm", statement=statement.pk):
            record.status = StatementUpload.Status.IMPORTED
            record.statement = statement
            record.closed_at = clock.now()
            record.save(update_fields=["status", "statement", "closed_at"])
    return statement


def _close_upload(record: StatementUpload, status: str) -> None:
    """Discarded or expired: the row stays (who uploaded what, when), the file goes after commit."""
    name, storage = record.file.name, record.file.storage
    record.status = status
    record.closed_at = clock.now()
    record.file = ""
    record.save(update_fields=["status", "closed_at", "file"])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def statement_upload_discard(*, upload_id: int, actor: Any) -> StatementUpload:
    """Give up a pending upload (its file is deleted). Idempotent; an imported one stays."""
    require(actor, "settlement.add_statementimport")
    with transaction.atomic(), audit.action(actor, "statement.upload_discard"):
        record = _lock_upload(upload_id)
        if record.status == StatementUpload.Status.PENDING:
            _close_upload(record, StatementUpload.Status.DISCARDED)
    return record


def statement_uploads_expire() -> int:
    """Uploads left unconfirmed for UPLOAD_KEEP expire and their files are deleted (hourly job)."""
    cutoff = clock.now() - UPLOAD_KEEP
    ids = list(
        StatementUpload.objects.filter(status=StatementUpload.Status.PENDING, uploaded_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    count = 0
    for pk in ids:
        with transaction.atomic(), audit.action(None, "statement.upload_expire"):
            record = _lock_upload(pk)
            if record.status == StatementUpload.Status.PENDING:
                _close_upload(record, StatementUpload.Status.EXPIRED)
                count += 1
    return count
