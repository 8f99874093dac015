"""Settlement services: deposits, bank statements, outcomes, payment batches, price.

Each public service is keyword-only, one transaction, idempotent where a retry is
plausible, and sends its events after commit (`signals.send_on_commit`). Services
called by other apps (trading, bidding) pass `actor=None` (the system); a staff actor is
checked against the role matrix here, so the API, the pages and the admin share the rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.core import audit, clock, spreadsheet, uploads, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.money import quantize_money
from exchange.settlement import conf, ledger, selectors, signals
from exchange.settlement.models import (
    ZERO,
    Account,
    AccountKind,
    BankProfile,
    CreditEvent,
    DepositInstruction,
    Instalment,
    PaymentBatch,
    PaymentItem,
    PricePlan,
    StatementImport,
    StatementLine,
    StatementUpload,
)
from exchange.settlement.statements import (
    ParsedLine,
    StatementInvalid,
    fingerprints,
    parse_statement,
    read_statement,
)

Status = DepositInstruction.Status
LineStatus = StatementLine.Status
Problem = StatementLine.Problem


class FourEyes(PermissionDenied):
    code = "four_eyes"
    default_message = gettext_lazy("审批人不能是制单人（双人复核）。")


class NotPending(IllegalTransition):
    code = "line_not_pending"


class DepositPaid(IllegalTransition):
    code = "deposit_paid"
    default_message = gettext_lazy("保证金已交纳，只能通过退还或没收处理，不能取消。")


class PlanClosed(IllegalTransition):
    code = "plan_closed"
    default_message = gettext_lazy("该价款支付计划已终止，不能再登记付款。")


def _require(actor: Any, perm: str) -> None:
    """Staff actors need the permission; actor None is the system (another app, a task)."""
    if actor is None:
        return
    if not (getattr(actor, "is_active", False) and actor.has_perm(perm)):
        raise PermissionDenied()


def _positive(amount: Decimal, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal | int) or isinstance(amount, bool):
        raise InvalidInput(_("金额必须是数值。"), field=field)
    value = Decimal(amount)
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(_("金额最多保留两位小数（到分）。"), field=field)
    if value <= 0:
        raise InvalidInput(_("金额必须大于零。"), field=field)
    return quantize_money(value)


# --- virtual sub-accounts ---------------------------------------------------------------------


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a digit string (as on bank cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def virtual_account_valid(number: str) -> bool:
    return len(number) == 16 and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def _new_virtual_account() -> str:
    prefix = conf.virtual_account_prefix()
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(15 - len(prefix)))
    return body + luhn_digit(body)


# --- deposits ---------------------------------------------------------------------------------


def deposit_due(qualified_at: dt.datetime) -> tuple[dt.datetime, bool]:
    """(due time, provisional): N working days after the qualification day, at the cut-off."""
    day = timezone.localtime(qualified_at).date()
    result = workdays.add_workdays_detailed(day, conf.deposit_due_workdays())
    due = timezone.make_aware(dt.datetime.combine(result.date, conf.deposit_cutoff()))
    return due, result.provisional


def _transition(instruction: DepositInstruction, to: str, actor: Any, action: str, **data: Any) -> None:
    if to not in DepositInstruction.TRANSITIONS[instruction.status]:
        raise IllegalTransition(
            _("保证金当前状态（%(s)s）不能执行此操作。") % {"s": instruction.get_status_display()},
            status=instruction.status,
        )
    before = instruction.status
    instruction.status = to
    instruction.updated_at = clock.now()
    with audit.action(actor, action, **{"from": before, "to": to, **data}):
        instruction.save()


def _lock_instruction(instruction_id: int) -> DepositInstruction:
    try:
        return DepositInstruction.objects.select_for_update().select_related("member").get(pk=instruction_id)
    except DepositInstruction.DoesNotExist:
        raise NotFound(_("保证金记录不存在。")) from None


@transaction.atomic
def deposit_instruction_create(
    *,
    project_id: int,
    project_code: str,
    project_title: str,
    member: Any,
    amount: Decimal,
    qualified_at: dt.datetime,
) -> DepositInstruction:
    """Issue the payment instruction of a qualified buyer for one project: a unique
    virtual sub-account (16 digits, Luhn check digit) and the due time (N WD after
    qualification, at the cut-off). Idempotent per (project, member): a second call
    returns the existing instruction. Raises InvalidInput for a non-positive amount or
    one with more than 2 decimals."""
    amount = _positive(amount)
    existing = DepositInstruction.objects.filter(project_id=project_id, member=member).first()
    if existing is not None:
        if existing.status == Status.CANCELLED:
            return _reissue(existing.pk, amount=amount, qualified_at=qualified_at)
        return existing
    due, provisional = deposit_due(qualified_at)
    now = clock.now()
    for _attempt in range(5):
        try:
            with transaction.atomic(), audit.action(None, "deposit.instruct", project_id=project_id):
                return DepositInstruction.objects.create(
                    project_id=project_id,
                    project_code=project_code,
                    project_title=project_title,
                    member=member,
                    amount=amount,
                    virtual_account=_new_virtual_account(),
                    qualified_at=qualified_at,
                    due_at=due,
                    due_provisional=provisional,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            existing = DepositInstruction.objects.filter(project_id=project_id, member=member).first()
            if existing is not None:
                return existing
    raise Conflict(_("无法分配虚拟子账号，请重试。"))


def _reissue(instruction_id: int, *, amount: Decimal, qualified_at: dt.datetime) -> DepositInstruction:
    """A cancelled instruction of a member qualified again for the same project (one per
    project and member): pending again with the new amount and due time, same account."""
    instruction = _lock_instruction(instruction_id)
    if instruction.status != Status.CANCELLED:
        return instruction
    instruction.amount = amount
    instruction.qualified_at = qualified_at
    instruction.due_at, instruction.due_provisional = deposit_due(qualified_at)
    instruction.outcome_reason = ""
    _transition(instruction, Status.PENDING, None, "deposit.reissue")
    return instruction


@transaction.atomic
def deposit_instruction_cancel(*, instruction_id: int, reason: str = "", actor: Any = None) -> DepositInstruction:
    """Cancel an unpaid deposit instruction (pending, or expired after its due time): the
    applicant withdrew or the application was closed before paying. Idempotent on a
    cancelled one. A paid deposit (confirmed and after) raises DepositPaid: it is refunded
    or forfeited instead. A payment arriving later on the virtual account goes to the
    exceptions queue (重复或已处理的交款) for finance to return."""
    _require(actor, "settlement.manage_depositinstruction")
    instruction = _lock_instruction(instruction_id)
    if instruction.status == Status.CANCELLED:
        return instruction
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        raise DepositPaid(status=instruction.status)
    instruction.outcome_reason = (reason or "").strip()[:300]
    _transition(instruction, Status.CANCELLED, actor, "deposit.cancel", reason=instruction.outcome_reason)
    return instruction


def _confirm(
    instruction: DepositInstruction,
    *,
    line: StatementLine | None,
    credit_from: str,
    actor: Any,
    key: str,
    amount_in: Decimal,
) -> None:
    """Credit the deposit (frozen) from the bank (auto match) or from suspense (manual match)."""
    account = ledger.member_account(
        kind=AccountKind.DEPOSIT,
        member=instruction.member,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
    )
    source = ledger.system_account(credit_from)
    lines = [(source, amount_in), (account, -instruction.amount)]
    excess = amount_in - instruction.amount
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    if excess > 0:
        lines.append((refunds, -excess))
    ledger.posting_create(
        key=key,
        reason="deposit_in",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金到账 %(code)s %(name)s") % {"code": instruction.project_code, "name": instruction.member.name},
        project_id=instruction.project_id,
        lines=lines,
        freeze={account.pk: instruction.amount},
        actor=actor,
    )
    if excess > 0 and line is not None:
        _payment_item(
            kind=PaymentItem.Kind.RETURN,
            amount=excess,
            account_id=refunds.pk,
            line=line,
            member=instruction.member,
            project_id=instruction.project_id,
            project_code=instruction.project_code,
            reference=f"R{line.pk:09d}",
        )
    instruction.account = account
    instruction.confirmed_at = line.booked_at if line else clock.now()
    if line is not None:
        instruction.payer_name, instruction.payer_account = line.payer_name, line.payer_account
        instruction.payer_bank = line.payer_bank
    _transition(instruction, Status.CONFIRMED, actor, "deposit.confirm", line=line.pk if line else None)
    _announce_confirmed(instruction)


@transaction.atomic
def deposits_expire() -> int:
    """Mark deposits still unpaid after their due time as expired (late = gave up)."""
    overdue = DepositInstruction.objects.select_for_update().filter(status=Status.PENDING, due_at__lt=clock.now())
    count = 0
    for instruction in overdue:
        _transition(instruction, Status.EXPIRED, None, "deposit.expire")
        count += 1
    return count


# --- bank statements ---------------------------------------------------------------------------


def _classify(line: StatementLine, instruction: DepositInstruction | None) -> str:
    if instruction is None:
        return Problem.UNKNOWN
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        return Problem.NOT_PENDING
    if line.booked_at > instruction.due_at:
        return Problem.LATE
    if line.amount < instruction.amount:
        return Problem.PARTIAL
    if line.amount > instruction.amount:
        return Problem.EXCESS
    return Problem.NONE


def statement_import(*, profile_id: int, file_name: str, data: bytes, actor: Any) -> StatementImport:
    """Import a bank statement: parse and validate the whole file first (StatementInvalid
    with line numbers; nothing written), then in one transaction record the new lines
    (a line already imported — same fingerprint — is counted as a duplicate and credits
    nothing), post every incoming amount to the bank account, credit deposits that match a
    virtual sub-account exactly and in time (frozen, `deposit_confirmed` after commit)
    and put the rest — unknown, partial, excess, late — into suspense for the exceptions
    queue. Outgoing lines are recorded as ignored."""
    _require(actor, "settlement.add_statementimport")
    profile = _active_profile(profile_id)
    parsed, encoding = parse_statement(data, file_name=file_name, profile=profile)
    prints = fingerprints(parsed, bank=profile.code)
    return _import_lines(profile, file_name, data, parsed, prints, encoding, actor)


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
    _require(actor, "settlement.add_statementimport")
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
    _require(actor, "settlement.add_statementimport")
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
        statement = _import_lines(profile, record.original_name, data, read.lines, prints, read.encoding, actor)
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
    _require(actor, "settlement.add_statementimport")
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


@transaction.atomic
def _import_lines(
    profile: BankProfile,
    file_name: str,
    data: bytes,
    parsed: list[ParsedLine],
    prints: list[str],
    encoding: str,
    actor: Any,
) -> StatementImport:
    now = clock.now()
    known: set[str] = set()
    for i in range(0, len(prints), 900):
        known.update(
            StatementLine.objects.filter(fingerprint__in=prints[i : i + 900]).values_list("fingerprint", flat=True)
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    with audit.action(actor, "statement.import", file=file_name):
        statement = StatementImport.objects.create(
            profile=profile,
            file_name=file_name[:200],
            file_sha256=hashlib.sha256(data).hexdigest(),
            encoding=encoding,
            line_count=len(parsed),
            imported_by=user,
            imported_at=now,
        )
    fresh: list[StatementLine] = []
    seen: set[str] = set()
    for p, fp in zip(parsed, prints, strict=True):
        if fp in known or fp in seen:
            continue
        seen.add(fp)
        fresh.append(
            StatementLine(
                statement=statement,
                line_no=p.line_no,
                fingerprint=fp,
                bank_txn_id=p.bank_txn_id,
                booked_at=p.booked_at,
                amount=p.amount if p.amount else -p.debit,
                payer_name=p.payer_name,
                payer_account=p.payer_account,
                payer_bank=p.payer_bank,
                virtual_account=p.virtual_account,
                remark=p.remark,
                status=LineStatus.EXCEPTION,
                created_at=now,
            )
        )
    vas = {line.virtual_account for line in fresh if line.virtual_account and line.amount > 0}
    instructions: dict[str, DepositInstruction] = {}
    va_list = sorted(vas)
    for i in range(0, len(va_list), 900):
        for instruction in (
            DepositInstruction.objects.select_for_update()
            .select_related("member")
            .filter(virtual_account__in=va_list[i : i + 900])
        ):
            instructions[instruction.virtual_account] = instruction
    matched: list[tuple[StatementLine, DepositInstruction]] = []
    prices = _PriceMatcher(instructions.values())
    original = {va: i.status for va, i in instructions.items()}
    for line in fresh:
        if line.amount <= 0:
            line.status = LineStatus.IGNORED
            continue
        found = instructions.get(line.virtual_account)
        line.instruction = found
        if prices.claims(line, found):
            continue
        line.problem = _classify(line, found)
        if found is not None and line.problem == Problem.NONE:
            line.status = LineStatus.MATCHED
            matched.append((line, found))
            found.status = "_claimed"  # a second line for it in this file is NOT_PENDING
    for va, status in original.items():
        instructions[va].status = status
    try:
        with transaction.atomic():
            StatementLine.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:  # the same lines committed meanwhile by a concurrent import
        raise Conflict(_("该对账单正在由另一位同事导入，请稍后刷新查看。")) from None
    if any(line.pk is None for line in fresh):
        by_fp = StatementLine.objects.in_bulk([line.fingerprint for line in fresh], field_name="fingerprint")
        for line in fresh:
            line.pk = by_fp[line.fingerprint].pk
    bank = ledger.system_account(AccountKind.BANK)
    suspense = ledger.system_account(AccountKind.SUSPENSE)
    specs = [
        ledger.PostingSpec(
            key=f"line:{line.fingerprint}:in",
            reason="bank_in_suspense",
            reference=f"line:{line.pk}",
            memo=_("待查明来款 %(payer)s") % {"payer": line.payer_name},
            lines=[(bank, line.amount), (suspense, -line.amount)],
        )
        for line in fresh
        if line.status == LineStatus.EXCEPTION
    ]
    for i in range(0, len(specs), 2000):
        ledger.postings_create(specs=specs[i : i + 2000], actor=actor)
    _confirm_matched(matched, bank=bank, actor=actor, statement=statement)
    prices.record(actor=actor)
    statement.new_count = len(fresh)
    statement.duplicate_count = len(parsed) - len(fresh)
    statement.matched_count = len(matched) + len(prices.matched)
    statement.exception_count = sum(1 for line in fresh if line.status == LineStatus.EXCEPTION)
    statement.save(update_fields=["new_count", "duplicate_count", "matched_count", "exception_count"])
    return statement


def _price_reference(line: StatementLine) -> str:
    """The reference of a price payment from a bank line: the bank's transaction number
    (what finance types on the deals page, so a payment recorded by hand and then
    imported is credited once), else the line's fingerprint."""
    return line.bank_txn_id or f"L{line.fingerprint[:40]}"


class _PriceMatcher:
    """Statement lines paid to a buyer's project virtual sub-account after the deposit was
    paid and a price plan is open for that buyer and project: price payments (DOMAIN §5).

    Built inside the import's transaction: the plans are locked (after the instructions,
    the one lock order), what is still owed is read once and reduced line by line, so a
    line is matched only if it fits. Lines that do not fit go to the exceptions queue:
    `price_excess` (more than still owed, or the plan already paid) or `no_plan` (deposit
    converted but no plan yet, or the plan terminated by a default). `record` posts the matched ones through `_price_in`, the code path of
    `price_payment_record`."""

    def __init__(self, instructions: Iterable[DepositInstruction]) -> None:
        paid = [i for i in instructions if i.status not in (Status.PENDING, Status.EXPIRED)]
        self.plans: dict[int, PricePlan] = {}
        self.owed: dict[int, Decimal] = {}
        self.matched: list[tuple[StatementLine, PricePlan]] = []
        if not paid:
            return
        wanted = {(i.project_id, i.member_id) for i in paid}
        projects = sorted({project_id for project_id, _member in wanted})
        for plan in PricePlan.objects.select_for_update().filter(project_id__in=projects).order_by("pk"):
            if (plan.project_id, plan.buyer_id) in wanted:
                self.plans[plan.project_id] = plan
        keys = {f"{AccountKind.PRICE}:u{p.buyer_id}:p{p.project_id}": p for p in self.plans.values()}
        balances = dict(Account.objects.filter(key__in=list(keys)).values_list("key", "balance"))
        for key, plan in keys.items():
            self.owed[plan.pk] = plan.amount_due - balances.get(key, ZERO)

    def claims(self, line: StatementLine, instruction: DepositInstruction | None) -> bool:
        """Classify `line` as a price payment if it is one (True), else leave it to the deposit rules."""
        if instruction is None or instruction.status in (Status.PENDING, Status.EXPIRED, "_claimed"):
            return False
        plan = self.plans.get(instruction.project_id)
        if plan is not None and plan.buyer_id != instruction.member_id:
            plan = None  # another member's deposit on the winner's project (e.g. a refund pending)
        if plan is None and instruction.status != Status.CONVERTED:
            return False  # a deposit paid twice, or after its refund: NOT_PENDING, as before
        line.plan = plan
        if plan is None or plan.status == PricePlan.Status.DEFAULTED:
            line.problem = Problem.NO_PLAN
            return True
        if plan.status != PricePlan.Status.OPEN:  # paid in full: nothing is owed any more
            line.problem = Problem.PRICE_EXCESS
            return True
        done = ledger.Posting.objects.filter(key=_price_key(plan, _price_reference(line))).first()
        if done is not None:  # recorded by hand on the deals page with this bank reference
            if _posting_credit(done) == line.amount:
                line.status, line.problem = LineStatus.MATCHED, Problem.NONE
            else:
                line.problem = Problem.NOT_PENDING
            return True
        if line.amount > self.owed[plan.pk]:
            line.problem = Problem.PRICE_EXCESS
            return True
        self.owed[plan.pk] -= line.amount
        line.status, line.problem = LineStatus.MATCHED, Problem.NONE
        self.matched.append((line, plan))
        return True

    def record(self, *, actor: Any) -> None:
        for line, plan in self.matched:
            with audit.action(actor, "price.statement_match", line=line.pk, plan=plan.pk):
                _price_in(
                    plan=plan,
                    amount=line.amount,
                    reference=_price_reference(line),
                    source=AccountKind.BANK,
                    actor=actor,
                )


def _posting_credit(posting: Any) -> Decimal:
    """What a posting credited (the sum of its credit entries, as a positive amount)."""
    return -sum((e.amount for e in posting.entries.all() if e.amount < 0), ZERO)


def _deposit_accounts(instructions: list[DepositInstruction]) -> dict[int, Account]:
    """The deposit account of each instruction (by instruction pk), created in bulk where missing."""
    keys = {i.pk: f"{AccountKind.DEPOSIT}:u{i.member_id}:p{i.project_id}" for i in instructions}
    found = Account.objects.in_bulk(list(set(keys.values())), field_name="key")
    now = clock.now()
    missing = {}
    for i in instructions:
        key = keys[i.pk]
        if key not in found and key not in missing:
            missing[key] = Account(
                key=key,
                kind=AccountKind.DEPOSIT,
                owner_id=i.member_id,
                project_id=i.project_id,
                project_code=i.project_code,
                created_at=now,
                name=f"{AccountKind.DEPOSIT.label} · {i.member.name} · {i.project_code or i.project_id}",
            )
    if missing:
        Account.objects.bulk_create(missing.values())
        found = Account.objects.in_bulk(list(set(keys.values())), field_name="key")
    return {pk: found[key] for pk, key in keys.items()}


def _confirm_matched(
    matched: list[tuple[StatementLine, DepositInstruction]], *, bank: Account, actor: Any, statement: StatementImport
) -> None:
    """Auto-matched lines (exact amount, in time): credit and freeze every deposit in bulk —
    the same postings `_confirm` writes one by one, one per line."""
    if not matched:
        return
    accounts = _deposit_accounts([i for _line, i in matched])
    specs = []
    for line, instruction in matched:
        account = accounts[instruction.pk]
        specs.append(
            ledger.PostingSpec(
                key=f"line:{line.fingerprint}:in",
                reason="deposit_in",
                reference=f"deposit:{instruction.pk}",
                memo=_("保证金到账 %(code)s %(name)s")
                % {"code": instruction.project_code, "name": instruction.member.name},
                project_id=instruction.project_id,
                lines=[(bank, line.amount), (account, -instruction.amount)],
                freeze={account.pk: instruction.amount},
            )
        )
    for i in range(0, len(specs), 2000):
        ledger.postings_create(specs=specs[i : i + 2000], actor=actor)
    now = clock.now()
    for line, instruction in matched:
        instruction.account = accounts[instruction.pk]
        instruction.status = Status.CONFIRMED
        instruction.confirmed_at = line.booked_at
        instruction.payer_name, instruction.payer_account = line.payer_name, line.payer_account
        instruction.payer_bank = line.payer_bank
        instruction.updated_at = now
    changed = [i for _line, i in matched]
    fields = ["account", "status", "confirmed_at", "payer_name", "payer_account", "payer_bank", "updated_at"]
    DepositInstruction.objects.bulk_update(changed, fields, batch_size=500)
    with audit.action(actor, "deposit.confirm", statement=statement.pk, instructions=[i.pk for i in changed]):
        statement.save(update_fields=["matched_count"])
    for instruction in changed:
        _announce_confirmed(instruction)


def _announce_confirmed(instruction: DepositInstruction) -> None:
    """`deposit_confirmed` after commit: the buyer of this project becomes a bidder."""
    signals.send_on_commit(
        signals.deposit_confirmed,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=instruction.amount,
        instruction_id=instruction.pk,
    )


def _lock_line(line_id: int) -> StatementLine:
    try:
        line = StatementLine.objects.select_for_update().get(pk=line_id)
    except StatementLine.DoesNotExist:
        raise NotFound(_("银行流水不存在。")) from None
    if line.status != LineStatus.EXCEPTION:
        raise NotPending(_("该笔流水已处理（%(s)s），不能重复处理。") % {"s": line.get_status_display()})
    return line


@transaction.atomic
def statement_line_match(*, line_id: int, instruction_id: int, actor: Any, note: str = "") -> StatementLine:
    """Match an exception line to a deposit by hand: the deposit is credited (frozen) from
    suspense; an excess becomes a return to the payer. Refused for a partial amount (return
    it instead) and for a deposit that is no longer awaiting payment. Locks the line, so two
    concurrent confirmations of the same line credit once (the second gets NotPending)."""
    _require(actor, "settlement.resolve_statementline")
    line = _lock_line(line_id)
    instruction = _lock_instruction(instruction_id)
    if instruction.status not in (Status.PENDING, Status.EXPIRED):
        raise IllegalTransition(_("该保证金不在待交纳状态。"))
    if line.amount < instruction.amount:
        raise InvalidInput(_("来款金额不足保证金金额，请退回。"), field="instruction")
    _confirm(
        instruction,
        line=line,
        credit_from=AccountKind.SUSPENSE,
        actor=actor,
        key=f"line:{line.pk}:resolve",
        amount_in=line.amount,
    )
    return _close_line(line, LineStatus.RESOLVED, actor, note, instruction)


@transaction.atomic
def statement_line_return(*, line_id: int, actor: Any, note: str = "") -> StatementLine:
    """Send an exception line back to the payer: suspense → refunds payable, and a payment
    item for the next batch (paid only when the bank confirms it)."""
    _require(actor, "settlement.resolve_statementline")
    line = _lock_line(line_id)
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    ledger.posting_create(
        key=f"line:{line.pk}:resolve",
        reason="return_in",
        reference=f"line:{line.pk}",
        memo=_("退回来款 %(payer)s") % {"payer": line.payer_name},
        lines=[(ledger.system_account(AccountKind.SUSPENSE), line.amount), (refunds, -line.amount)],
        actor=actor,
    )
    instruction = line.instruction
    _payment_item(
        kind=PaymentItem.Kind.RETURN,
        amount=line.amount,
        account_id=refunds.pk,
        line=line,
        member=instruction.member if instruction else None,
        project_id=instruction.project_id if instruction else None,
        project_code=instruction.project_code if instruction else "",
        reference=f"R{line.pk:09d}",
    )
    return _close_line(line, LineStatus.RETURNED, actor, note, None)


def _close_line(
    line: StatementLine, status: str, actor: Any, note: str, instruction: DepositInstruction | None
) -> StatementLine:
    line.status = status
    line.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    line.resolved_at = clock.now()
    line.resolution_note = note[:300]
    if instruction is not None:
        line.instruction = instruction
    with audit.action(actor, f"statement_line.{status}", note=note):
        line.save()
    return line


# --- deposit outcomes ---------------------------------------------------------------------------


def _payment_item(
    *,
    kind: str,
    amount: Decimal,
    account_id: int,
    reference: str,
    member: Any = None,
    line: StatementLine | None = None,
    instruction: DepositInstruction | None = None,
    project_id: int | None = None,
    project_code: str = "",
    payee: tuple[str, str, str] | None = None,
) -> PaymentItem:
    if payee is None:
        if line is not None:
            payee = (line.payer_name, line.payer_account, line.payer_bank)
        elif instruction is not None and instruction.payer_account:
            payee = (instruction.payer_name, instruction.payer_account, instruction.payer_bank)
        else:
            payee = (member.name if member else "", "", "")
    item, _created = PaymentItem.objects.get_or_create(
        reference=reference,
        defaults={
            "kind": kind,
            "amount": amount,
            "account_id": account_id,
            "member": member,
            "line": line,
            "instruction": instruction,
            "project_id": project_id,
            "project_code": project_code,
            "payee_name": payee[0],
            "payee_account": payee[1],
            "payee_bank": payee[2],
            "due_on": clock.today(),
            "created_at": clock.now(),
        },
    )
    return item


@transaction.atomic
def deposit_refund(*, instruction_id: int, actor: Any = None, reason: str = "") -> DepositInstruction:
    """Release a confirmed deposit back to the buyer: unfreeze, move it to refunds payable
    and queue a refund payment (to the account it came from). The deposit is REFUNDED when
    the bank confirms the payment. Idempotent: a deposit already refunding is returned."""
    _require(actor, "settlement.manage_depositinstruction")
    instruction = _lock_instruction(instruction_id)
    if instruction.status in (Status.REFUNDING, Status.REFUNDED):
        return instruction
    if instruction.status != Status.CONFIRMED:
        _transition(instruction, Status.REFUNDING, actor, "deposit.refund")  # raises IllegalTransition
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    assert instruction.account_id is not None
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:refund",
        reason="deposit_refund",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金退还 %(code)s %(name)s") % {"code": instruction.project_code, "name": instruction.member.name},
        project_id=instruction.project_id,
        lines=[(instruction.account_id, instruction.amount), (refunds, -instruction.amount)],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    _payment_item(
        kind=PaymentItem.Kind.REFUND,
        amount=instruction.amount,
        account_id=refunds.pk,
        member=instruction.member,
        instruction=instruction,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        reference=f"D{instruction.pk:09d}",
    )
    instruction.outcome_reason = reason[:300]
    _transition(instruction, Status.REFUNDING, actor, "deposit.refund", reason=reason)
    return instruction


@transaction.atomic
def deposit_forfeit(*, instruction_id: int, reason: str, actor: Any = None) -> DepositInstruction:
    """Forfeit a confirmed deposit (DOMAIN §5 triggers: withdrawal after paying, not bidding,
    winner not signing or paying, breach): unfreeze, credit forfeit income, record a credit
    event and send `deposit_forfeited`. A reason is required."""
    _require(actor, "settlement.manage_depositinstruction")
    if not reason.strip():
        raise InvalidInput(_("请填写没收原因。"), field="reason")
    instruction = _lock_instruction(instruction_id)
    if instruction.status == Status.FORFEITED:
        return instruction
    if instruction.status != Status.CONFIRMED:
        _transition(instruction, Status.FORFEITED, actor, "deposit.forfeit")
    assert instruction.account_id is not None
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:forfeit",
        reason="deposit_forfeit",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金没收 %(code)s：%(reason)s") % {"code": instruction.project_code, "reason": reason},
        project_id=instruction.project_id,
        lines=[
            (instruction.account_id, instruction.amount),
            (ledger.system_account(AccountKind.FORFEIT_INCOME), -instruction.amount),
        ],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    event = CreditEvent.objects.create(
        member=instruction.member,
        kind=CreditEvent.Kind.DEPOSIT_FORFEITED,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        amount=instruction.amount,
        reason=reason[:300],
        occurred_at=clock.now(),
    )
    instruction.outcome_reason = reason[:300]
    _transition(instruction, Status.FORFEITED, actor, "deposit.forfeit", reason=reason)
    signals.send_on_commit(
        signals.deposit_forfeited,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=instruction.amount,
        instruction_id=instruction.pk,
        reason=reason,
        credit_event_id=event.pk,
    )
    return instruction


@transaction.atomic
def deposit_convert(*, instruction_id: int, actor: Any = None) -> DepositInstruction:
    """Convert the winner's confirmed deposit into part of the price (once the contract is
    signed): unfreeze and move it to the buyer's price account for the project."""
    _require(actor, "settlement.manage_depositinstruction")
    instruction = _lock_instruction(instruction_id)
    if instruction.status == Status.CONVERTED:
        return instruction
    if instruction.status != Status.CONFIRMED:
        _transition(instruction, Status.CONVERTED, actor, "deposit.convert")
    assert instruction.account_id is not None
    price = ledger.member_account(
        kind=AccountKind.PRICE,
        member=instruction.member,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
    )
    ledger.posting_create(
        key=f"deposit:{instruction.pk}:convert",
        reason="deposit_convert",
        reference=f"deposit:{instruction.pk}",
        memo=_("保证金转价款 %(code)s") % {"code": instruction.project_code},
        project_id=instruction.project_id,
        lines=[(instruction.account_id, instruction.amount), (price, -instruction.amount)],
        freeze={instruction.account_id: -instruction.amount},
        actor=actor,
    )
    _transition(instruction, Status.CONVERTED, actor, "deposit.convert")
    signals.send_on_commit(
        signals.deposit_converted,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=instruction.amount,
        instruction_id=instruction.pk,
    )
    return instruction


@transaction.atomic
def deposit_forfeit_converted(*, instruction_id: int, reason: str, actor: Any = None) -> DepositInstruction:
    """The winner defaulted after the contract took effect, so the deposit is already part
    of the price (`deposit_convert`). DOMAIN §5: the deposit is what is forfeited. In one
    posting the buyer's price account is emptied: the converted deposit → forfeit income,
    any price (and fee) the buyer paid on top → refunds payable with a payment item
    (`price_refund`, to the payer of the last price payment, else the deposit's payer).
    The price plan becomes DEFAULTED (no further payments, no overdue flags), a credit
    event is recorded and `deposit_forfeited` sent after commit. Idempotent on a forfeited
    deposit. A reason is required; a deposit not converted raises IllegalTransition (use
    `deposit_forfeit`), and so does a plan already paid in full."""
    _require(actor, "settlement.manage_depositinstruction")
    if not reason.strip():
        raise InvalidInput(_("请填写没收原因。"), field="reason")
    instruction = _lock_instruction(instruction_id)
    if instruction.status == Status.FORFEITED:
        return instruction
    if instruction.status != Status.CONVERTED:
        raise IllegalTransition(
            _("保证金尚未转为价款（%(s)s），请按保证金没收处理。") % {"s": instruction.get_status_display()},
            status=instruction.status,
        )
    plan = (
        PricePlan.objects.select_for_update()
        .filter(project_id=instruction.project_id, buyer_id=instruction.member_id)
        .first()
    )
    if plan is not None and plan.status not in (PricePlan.Status.OPEN, PricePlan.Status.DEFAULTED):
        raise IllegalTransition(_("价款已付清（%(s)s），不能按违约处理。") % {"s": plan.get_status_display()})
    price = ledger.member_account(
        kind=AccountKind.PRICE,
        member=instruction.member,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
    )
    balance = ledger.lock_accounts([price.pk])[price.pk].balance
    forfeit = min(instruction.amount, balance)
    refund = balance - forfeit
    refunds = ledger.system_account(AccountKind.REFUNDS_PAYABLE)
    lines: list[tuple[Any, Decimal]] = [(price, balance)]
    if forfeit > 0:
        lines.append((ledger.system_account(AccountKind.FORFEIT_INCOME), -forfeit))
    if refund > 0:
        lines.append((refunds, -refund))
    if balance > 0:
        ledger.posting_create(
            key=f"deposit:{instruction.pk}:forfeit_converted",
            reason="deposit_forfeit",
            reference=f"deposit:{instruction.pk}",
            memo=_("违约没收已转价款的保证金 %(code)s：%(reason)s")
            % {"code": instruction.project_code, "reason": reason},
            project_id=instruction.project_id,
            lines=lines,
            actor=actor,
        )
    if refund > 0:
        last = (
            StatementLine.objects.filter(plan=plan, status__in=[LineStatus.MATCHED, LineStatus.RESOLVED])
            .order_by("-booked_at", "-pk")
            .first()
            if plan is not None
            else None
        )
        payee = (
            (last.payer_name, last.payer_account, last.payer_bank)
            if last is not None and last.payer_account
            else (instruction.payer_name or instruction.member.name, instruction.payer_account, instruction.payer_bank)
        )
        _payment_item(
            kind=PaymentItem.Kind.PRICE_REFUND,
            amount=refund,
            account_id=refunds.pk,
            member=instruction.member,
            project_id=instruction.project_id,
            project_code=instruction.project_code,
            reference=f"P{instruction.pk:09d}",
            payee=payee,
        )
    event = CreditEvent.objects.create(
        member=instruction.member,
        kind=CreditEvent.Kind.DEPOSIT_FORFEITED,
        project_id=instruction.project_id,
        project_code=instruction.project_code,
        amount=forfeit,
        reason=reason[:300],
        occurred_at=clock.now(),
    )
    if plan is not None and plan.status == PricePlan.Status.OPEN:
        plan.status = PricePlan.Status.DEFAULTED
        with audit.action(actor, "price_plan.defaulted", reason=reason, refund=refund):
            plan.save(update_fields=["status"])
    instruction.outcome_reason = reason[:300]
    _transition(instruction, Status.FORFEITED, actor, "deposit.forfeit_converted", reason=reason, refund=refund)
    signals.send_on_commit(
        signals.deposit_forfeited,
        project_id=instruction.project_id,
        member_id=instruction.member_id,
        amount=forfeit,
        instruction_id=instruction.pk,
        reason=reason,
        credit_event_id=event.pk,
    )
    return instruction


@transaction.atomic
def deposit_refund_schedule(*, project_id: int, result_on: dt.date, keep_member_ids: Iterable[int] = ()) -> int:
    """After a result: every confirmed deposit of the project except the kept ones (the
    winner's) is due for refund N working days after `result_on` (run by `refunds_due_run`).
    Returns how many were scheduled."""
    due = workdays.add_workdays(result_on, conf.refund_workdays())
    qs = DepositInstruction.objects.select_for_update().filter(project_id=project_id, status=Status.CONFIRMED)
    count = 0
    for instruction in qs.exclude(member_id__in=list(keep_member_ids)):
        instruction.refund_due_on = due
        instruction.updated_at = clock.now()
        with audit.action(None, "deposit.refund_schedule", due=due):
            instruction.save(update_fields=["refund_due_on", "updated_at"])
        count += 1
    return count


def refunds_due_run() -> int:
    """Refund every confirmed deposit whose refund date has come (the daily job)."""
    ids = list(
        DepositInstruction.objects.filter(status=Status.CONFIRMED, refund_due_on__lte=clock.today()).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        deposit_refund(instruction_id=pk, reason=str(_("结果公布后退还未成交竞买人保证金")))
    return len(ids)


# --- payment batches (代发) ---------------------------------------------------------------------


def _batch_transition(batch: PaymentBatch, to: str, actor: Any, **data: Any) -> None:
    if to not in PaymentBatch.TRANSITIONS[batch.status]:
        raise IllegalTransition(_("批次当前状态（%(s)s）不能执行此操作。") % {"s": batch.get_status_display()})
    before = batch.status
    batch.status = to
    with audit.action(actor, f"payment_batch.{to}", **{"from": before, "to": to, **data}):
        batch.save()


def _lock_batch(batch_id: int) -> PaymentBatch:
    try:
        return PaymentBatch.objects.select_for_update().get(pk=batch_id)
    except PaymentBatch.DoesNotExist:
        raise NotFound(_("代发批次不存在。")) from None


@transaction.atomic
def payment_batch_prepare(*, actor: Any, item_ids: Iterable[int] | None = None) -> PaymentBatch:
    """Put the waiting payments (pending or failed; all due ones, or the chosen ids) into a
    new batch awaiting approval by another finance staff member."""
    _require(actor, "settlement.prepare_paymentbatch")
    qs = PaymentItem.objects.select_for_update().filter(
        status__in=[PaymentItem.Status.PENDING, PaymentItem.Status.FAILED]
    )
    qs = qs.filter(pk__in=list(item_ids)) if item_ids is not None else qs.filter(due_on__lte=clock.today())
    items = list(qs.order_by("pk"))
    if not items:
        raise InvalidInput(_("没有待代发的款项。"))
    now = clock.now()
    with audit.action(actor, "payment_batch.prepare"):
        batch = PaymentBatch.objects.create(
            code=f"PB-{secrets.token_hex(8)}",  # replaced below by the number built from the id
            prepared_by=actor,
            prepared_at=now,
            total=sum((i.amount for i in items), ZERO),
            item_count=len(items),
        )
        # PB + date + the id: unique by construction (a random suffix collided in the state test)
        batch.code = f"PB{timezone.localtime(now):%Y%m%d}{batch.pk:06d}"
        batch.save(update_fields=["code"])
    PaymentItem.objects.filter(pk__in=[i.pk for i in items]).update(
        batch=batch, status=PaymentItem.Status.BATCHED, failure_reason=""
    )
    return batch


@transaction.atomic
def payment_batch_approve(*, batch_id: int, actor: Any) -> PaymentBatch:
    """Approve a batch (four-eyes: the approver is not the preparer; also a DB constraint)."""
    _require(actor, "settlement.approve_paymentbatch")
    batch = _lock_batch(batch_id)
    if actor is None or batch.prepared_by_id == actor.pk:
        raise FourEyes()
    batch.approved_by, batch.approved_at = actor, clock.now()
    _batch_transition(batch, PaymentBatch.Status.APPROVED, actor)
    return batch


@transaction.atomic
def payment_batch_cancel(*, batch_id: int, actor: Any) -> PaymentBatch:
    """Withdraw a batch not yet sent; its items wait for the next batch."""
    _require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    _batch_transition(batch, PaymentBatch.Status.CANCELLED, actor)
    batch.payments.update(batch=None, status=PaymentItem.Status.PENDING)
    return batch


BANK_FILE_HEADER = ["序号", "业务参考号", "收款户名", "收款账号", "收款行", "金额", "用途"]
RESULT_HEADER = ["业务参考号", "处理结果", "银行流水号", "失败原因"]


@transaction.atomic
def payment_batch_export(*, batch_id: int, actor: Any) -> bytes:
    """The bank file (代发文件, CSV in GBK) of an approved batch; marks it sent. A sent batch
    can be downloaded again (same content)."""
    _require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    if batch.status == PaymentBatch.Status.APPROVED:
        batch.exported_at = clock.now()
        _batch_transition(batch, PaymentBatch.Status.SENT, actor)
    elif batch.status not in (PaymentBatch.Status.SENT, PaymentBatch.Status.DONE):
        raise IllegalTransition(_("批次审批后才能导出代发文件。"))
    rows = []
    for n, item in enumerate(batch.payments.order_by("pk"), start=1):
        purpose = item.get_kind_display() + (f" {item.project_code}" if item.project_code else "")
        rows.append(
            [n, item.reference, item.payee_name, item.payee_account, item.payee_bank, f"{item.amount:.2f}", purpose]
        )
    return spreadsheet.csv_bytes(BANK_FILE_HEADER, rows, encoding="gb18030")


def _parse_result(data: bytes) -> list[tuple[int, str, bool, str, str]]:
    from exchange.settlement.statements import decode

    text, _enc = decode(data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or [c.strip() for c in rows[0][:2]] != RESULT_HEADER[:2]:
        raise StatementInvalid([(1, _("回执表头应为：%(h)s") % {"h": "、".join(RESULT_HEADER)})])
    out, errors = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = [c.strip() for c in row] + ["", "", "", ""]
        if cells[1] not in ("成功", "失败"):
            errors.append((n, _("处理结果应为“成功”或“失败”")))
            continue
        out.append((n, cells[0], cells[1] == "成功", cells[2], cells[3]))
    if errors:
        raise StatementInvalid(errors)
    return out


@transaction.atomic
def payment_batch_confirm(*, batch_id: int, data: bytes, actor: Any) -> PaymentBatch:
    """Import the bank's result file of a sent batch. Successful lines post payable → bank
    and mark the item paid (a refunded deposit becomes REFUNDED); failed lines go back to
    the queue. Nothing is marked paid without such a line. Re-importing is harmless."""
    _require(actor, "settlement.prepare_paymentbatch")
    batch = _lock_batch(batch_id)
    if batch.status not in (PaymentBatch.Status.SENT, PaymentBatch.Status.DONE):
        raise IllegalTransition(_("批次尚未发送银行。"))
    results = _parse_result(data)
    items = {i.reference: i for i in PaymentItem.objects.select_for_update().filter(batch=batch)}
    unknown = [(n, ref) for n, ref, *_rest in results if ref not in items]
    if unknown:
        raise StatementInvalid([(n, _("业务参考号 %(r)s 不属于本批次") % {"r": ref}) for n, ref in unknown])
    bank = ledger.system_account(AccountKind.BANK)
    now = clock.now()
    for _n, ref, ok, txn, why in results:
        item = items[ref]
        if item.status != PaymentItem.Status.BATCHED:
            continue
        if ok:
            ledger.posting_create(
                key=f"item:{item.reference}:paid",
                reason=f"{item.kind}_paid",
                reference=f"item:{item.pk}",
                memo=_("代发成功 %(name)s") % {"name": item.payee_name},
                project_id=item.project_id,
                lines=[(item.account_id, item.amount), (bank, -item.amount)],
                actor=actor,
            )
            item.status, item.paid_at, item.bank_txn_id = PaymentItem.Status.PAID, now, txn[:60]
            if item.instruction_id and item.kind == PaymentItem.Kind.REFUND:
                instruction = _lock_instruction(item.instruction_id)
                if instruction.status == Status.REFUNDING:
                    _transition(instruction, Status.REFUNDED, actor, "deposit.refunded", batch=batch.code)
                    signals.send_on_commit(
                        signals.deposit_refunded,
                        project_id=instruction.project_id,
                        member_id=instruction.member_id,
                        amount=instruction.amount,
                        instruction_id=instruction.pk,
                    )
        else:
            item.status, item.failure_reason = PaymentItem.Status.FAILED, (why or _("银行未说明"))[:200]
        with audit.action(actor, "payment_item.result", ok=ok):
            item.save()
    waiting = PaymentItem.objects.filter(batch=batch, status=PaymentItem.Status.BATCHED).exists()
    if not waiting and batch.status == PaymentBatch.Status.SENT:
        batch.completed_at = now
        _batch_transition(batch, PaymentBatch.Status.DONE, actor)
    return batch


# --- manual postings ----------------------------------------------------------------------------


@transaction.atomic
def manual_posting_create(
    *, actor: Any, key: str, memo: str, lines: list[tuple[int, Decimal]], reference: str = ""
) -> Any:
    """A manual journal entry by finance (corrections, bank charges): balanced, with a memo."""
    _require(actor, "settlement.post_manual_posting")
    if actor is None:
        raise PermissionDenied()
    if not memo.strip():
        raise InvalidInput(_("请填写摘要。"), field="memo")
    return ledger.posting_create(
        key=f"manual:{key}", reason="manual", reference=reference, memo=memo, lines=lines, actor=actor
    )


# --- price payment and release -------------------------------------------------------------------


def _instalment_plan(
    *,
    price: Decimal,
    contract_on: dt.date,
    mode: str,
    schedule: list[tuple[dt.date, Decimal]] | None,
    rate: Decimal,
) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(due, principal, interest) per instalment, validated against DOMAIN §5."""
    first_due = workdays.add_workdays(contract_on, conf.payment_workdays())
    if mode == PricePlan.Mode.LUMP_SUM:
        return [(first_due, price, ZERO)]
    if not schedule or len(schedule) < 2:
        raise InvalidInput(_("分期付款至少两期。"), field="instalments")
    schedule = sorted(schedule)
    if sum((p for _d, p in schedule), ZERO) != price:
        raise InvalidInput(_("各期本金合计必须等于成交价。"), field="instalments")
    if schedule[0][0] > first_due:
        raise InvalidInput(
            _("首期款须在合同生效后 %(n)d 个工作日内支付。") % {"n": conf.payment_workdays()}, field="instalments"
        )
    if schedule[0][1] < quantize_money(price * conf.instalment_first_min_ratio()):
        raise InvalidInput(
            _("首期款不得低于成交价的 %(p)s。") % {"p": f"{conf.instalment_first_min_ratio():.0%}"}, field="instalments"
        )
    if schedule[-1][0] > contract_on + dt.timedelta(days=conf.instalment_max_days()):
        raise InvalidInput(_("分期付款期限不得超过一年。"), field="instalments")
    out = []
    for i, (due, principal) in enumerate(schedule):
        if principal <= 0:
            raise InvalidInput(_("每期金额必须大于零。"), field="instalments")
        days = (due - schedule[0][0]).days if i else 0
        out.append((due, principal, quantize_money(principal * rate * days / 365)))
    return out


@transaction.atomic
def price_plan_create(
    *,
    project_id: int,
    project_code: str,
    project_title: str,
    buyer: Any,
    seller: Any,
    price: Decimal,
    contract_effective_on: dt.date,
    mode: str = PricePlan.Mode.LUMP_SUM,
    instalments: list[tuple[dt.date, Decimal]] | None = None,
    guarantee: str = "",
    annual_interest_rate: Decimal = ZERO,
    buyer_fee: Decimal = ZERO,
    buyer_fee_discount: Decimal = ZERO,
    seller_fee: Decimal = ZERO,
    seller_payee: tuple[str, str, str] = ("", "", ""),
) -> PricePlan:
    """Open the price payment of a deal: a lump sum within N WD of the contract, or
    instalments (first ≥30% within N WD, a guarantee, interest, ≤1 year). The discount may
    only reduce the buyer's service fee. One plan per project (idempotent)."""
    existing = PricePlan.objects.filter(project_id=project_id).first()
    if existing is not None:
        return existing
    price = _positive(price, "price")
    if mode == PricePlan.Mode.INSTALMENTS and not guarantee.strip():
        raise InvalidInput(_("分期付款须提供担保。"), field="guarantee")
    if not ZERO <= seller_fee <= price:
        raise InvalidInput(_("转让方服务费不能超过成交价。"), field="seller_fee")
    if not ZERO <= buyer_fee_discount <= buyer_fee:
        raise InvalidInput(_("优惠只能抵减服务费，且不超过服务费。"), field="buyer_fee_discount")
    rows = _instalment_plan(
        price=price, contract_on=contract_effective_on, mode=mode, schedule=instalments, rate=annual_interest_rate
    )
    with audit.action(None, "price_plan.create", project_id=project_id):
        plan = PricePlan.objects.create(
            project_id=project_id,
            project_code=project_code,
            project_title=project_title,
            buyer=buyer,
            seller=seller,
            price=price,
            buyer_fee=buyer_fee,
            buyer_fee_discount=buyer_fee_discount,
            seller_fee=seller_fee,
            mode=mode,
            contract_effective_on=contract_effective_on,
            guarantee=guarantee,
            annual_interest_rate=annual_interest_rate,
            seller_payee_name=seller_payee[0] or seller.name,
            seller_payee_account=seller_payee[1],
            seller_payee_bank=seller_payee[2],
            created_at=clock.now(),
        )
        Instalment.objects.bulk_create(
            [Instalment(plan=plan, seq=n, due_on=d, principal=p, interest=i) for n, (d, p, i) in enumerate(rows, 1)]
        )
    return plan


def _allocate(plan: PricePlan, received: Decimal) -> None:
    """Spread what is in the buyer's price account over fees first, then instalments in order."""
    left = received - (plan.buyer_fee - plan.buyer_fee_discount)
    for instalment in plan.instalments.order_by("seq"):
        paid = min(max(left, ZERO), instalment.amount)
        left -= paid
        if paid != instalment.paid:
            instalment.paid = paid
            if instalment.outstanding == 0:
                instalment.overdue_since = None
            instalment.save(update_fields=["paid", "overdue_since"])


def _price_key(plan: PricePlan, reference: str) -> str:
    return f"price:{plan.pk}:{reference}"


def _price_in(*, plan: PricePlan, amount: Decimal, reference: str, source: str, actor: Any) -> bool:
    """The one code path of a price payment (the caller holds the plan's row lock):
    `source` (bank, or suspense for a line matched by hand) → the buyer's price account,
    allocated to fees then instalments; the plan PAID and `price_paid` once all is in.
    Returns False when this reference was recorded before (nothing written). Raises
    PlanClosed for a terminated plan and InvalidInput above what is still owed."""
    account = ledger.member_account(
        kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id, project_code=plan.project_code
    )
    key = _price_key(plan, reference)
    if ledger.Posting.objects.filter(key=key).exists():
        return False
    if plan.status == PricePlan.Status.DEFAULTED:
        raise PlanClosed()
    owed = plan.amount_due - account.balance
    if amount > owed:
        raise InvalidInput(_("付款金额超过应付余额 %(o)s。") % {"o": owed}, field="amount")
    ledger.posting_create(
        key=key,
        reason="price_in",
        reference=f"plan:{plan.pk}",
        memo=_("价款到账 %(code)s") % {"code": plan.project_code},
        project_id=plan.project_id,
        lines=[(ledger.system_account(source), amount), (account, -amount)],
        actor=actor,
    )
    account.refresh_from_db()
    _allocate(plan, account.balance)
    if account.balance == plan.amount_due and plan.status == PricePlan.Status.OPEN:
        plan.status = PricePlan.Status.PAID
        with audit.action(actor, "price_plan.paid"):
            plan.save(update_fields=["status"])
        signals.send_on_commit(signals.price_paid, project_id=plan.project_id, plan_id=plan.pk)
    return True


@transaction.atomic
def price_payment_record(
    *, plan_id: int, amount: Decimal, reference: str, actor: Any = None, from_suspense_line: int | None = None
) -> PricePlan:
    """Record a price payment that arrived in the bank (or a suspense line matched to it):
    bank → the buyer's price account. Refused above what is still owed and on a
    terminated plan (PlanClosed). Idempotent on `reference` (the bank transaction: the
    statement import uses the same reference, so a payment recorded here and then imported
    is credited once). Sends `price_paid` once everything is in. Payments to the buyer's
    virtual sub-account are matched by the statement import through the same path."""
    _require(actor, "settlement.resolve_statementline")
    amount = _positive(amount)
    plan = PricePlan.objects.select_for_update().get(pk=plan_id)
    source = AccountKind.SUSPENSE if from_suspense_line else AccountKind.BANK
    _price_in(plan=plan, amount=amount, reference=reference, source=source, actor=actor)
    return plan


@transaction.atomic
def statement_line_match_price(*, line_id: int, plan_id: int, actor: Any, note: str = "") -> StatementLine:
    """Match an exception line to a price plan by hand (e.g. paid before the plan opened,
    or without the virtual account): suspense → the buyer's price account, through the
    same path as `price_payment_record`. Refused above what is still owed (return it
    instead) and on a closed plan; the line is locked, so it is credited once."""
    _require(actor, "settlement.resolve_statementline")
    line = _lock_line(line_id)
    plan = PricePlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("价款支付计划不存在。"))
    if plan.status != PricePlan.Status.OPEN:
        raise PlanClosed(_("该价款支付计划不在付款中（%(s)s）。") % {"s": plan.get_status_display()})
    posted = _price_in(
        plan=plan, amount=line.amount, reference=_price_reference(line), source=AccountKind.SUSPENSE, actor=actor
    )
    if not posted:
        raise NotPending(_("该笔银行流水已登记为价款，请核对后退回或手工更正。"))
    line.plan = plan
    return _close_line(line, LineStatus.RESOLVED, actor, note, None)


@transaction.atomic
def price_overdue_run() -> int:
    """Flag instalments past due and unpaid: a credit event and `price_overdue` each, once."""
    today = clock.today()
    late = (
        Instalment.objects.select_for_update()
        .select_related("plan")
        .filter(plan__status=PricePlan.Status.OPEN, due_on__lt=today, overdue_since__isnull=True)
    )
    count = 0
    for instalment in late:
        if instalment.outstanding <= 0:
            continue
        instalment.overdue_since = today
        instalment.save(update_fields=["overdue_since"])
        plan = instalment.plan
        CreditEvent.objects.create(
            member_id=plan.buyer_id,
            kind=CreditEvent.Kind.PRICE_OVERDUE,
            project_id=plan.project_id,
            project_code=plan.project_code,
            amount=instalment.outstanding,
            reason=_("第 %(n)d 期价款逾期") % {"n": instalment.seq},
            occurred_at=clock.now(),
        )
        signals.send_on_commit(
            signals.price_overdue,
            project_id=plan.project_id,
            plan_id=plan.pk,
            member_id=plan.buyer_id,
            instalment_seq=instalment.seq,
        )
        count += 1
    return count


@transaction.atomic
def seller_release(*, project_id: int, certificate_issued_on: dt.date, actor: Any = None) -> PricePlan:
    """Hook for trading: the certificate is issued, so the price is released to the seller
    N working days later (by `releases_due_run`). Requires the plan fully paid."""
    plan = PricePlan.objects.select_for_update().filter(project_id=project_id).first()
    if plan is None:
        raise NotFound(_("该项目没有价款支付计划。"))
    if plan.status in (PricePlan.Status.RELEASE_SCHEDULED, PricePlan.Status.RELEASED):
        return plan
    if plan.status != PricePlan.Status.PAID:
        raise IllegalTransition(_("价款尚未付清，不能划转。"))
    plan.certificate_issued_on = certificate_issued_on
    plan.release_due_on = workdays.add_workdays(certificate_issued_on, conf.release_workdays())
    plan.status = PricePlan.Status.RELEASE_SCHEDULED
    with audit.action(actor, "price_plan.release_scheduled"):
        plan.save()
    return plan


@transaction.atomic
def price_release(*, plan_id: int, actor: Any = None) -> PricePlan:
    """Split the buyer's price account: fees to income (the discount as expense), the rest
    to the seller's payable, and queue the payment to the seller."""
    plan = PricePlan.objects.select_for_update().select_related("buyer", "seller").get(pk=plan_id)
    if plan.status == PricePlan.Status.RELEASED:
        return plan
    if plan.status != PricePlan.Status.RELEASE_SCHEDULED:
        raise IllegalTransition(_("价款尚未到划转阶段。"))
    price_account = ledger.member_account(
        kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id, project_code=plan.project_code
    )
    payable = ledger.member_account(
        kind=AccountKind.SELLER_PAYABLE, member=plan.seller, project_id=plan.project_id, project_code=plan.project_code
    )
    total = plan.amount_due
    to_seller = total - plan.buyer_fee + plan.buyer_fee_discount - plan.seller_fee
    lines: list[tuple[Any, Decimal]] = [(price_account, total), (payable, -to_seller)]
    if plan.buyer_fee_discount:
        lines.append((ledger.system_account(AccountKind.DISCOUNT_EXPENSE), plan.buyer_fee_discount))
    if plan.buyer_fee + plan.seller_fee:
        lines.append((ledger.system_account(AccountKind.FEE_INCOME), -(plan.buyer_fee + plan.seller_fee)))
    ledger.posting_create(
        key=f"plan:{plan.pk}:release",
        reason="price_release",
        reference=f"plan:{plan.pk}",
        memo=_("价款划转转让方 %(code)s") % {"code": plan.project_code},
        project_id=plan.project_id,
        lines=lines,
        actor=actor,
    )
    _payment_item(
        kind=PaymentItem.Kind.RELEASE,
        amount=to_seller,
        account_id=payable.pk,
        member=plan.seller,
        project_id=plan.project_id,
        project_code=plan.project_code,
        reference=f"S{plan.pk:09d}",
        payee=(plan.seller_payee_name, plan.seller_payee_account, plan.seller_payee_bank),
    )
    plan.status, plan.released_at = PricePlan.Status.RELEASED, clock.now()
    with audit.action(actor, "price_plan.released"):
        plan.save(update_fields=["status", "released_at"])
    signals.send_on_commit(signals.seller_released, project_id=plan.project_id, plan_id=plan.pk, amount=to_seller)
    return plan


def releases_due_run() -> int:
    """Release every plan whose release date has come (the daily job)."""
    ids = list(
        PricePlan.objects.filter(
            status=PricePlan.Status.RELEASE_SCHEDULED, release_due_on__lte=clock.today()
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        price_release(plan_id=pk)
    return len(ids)
