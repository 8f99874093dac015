"""Commands of the buyer side: apply, withdraw, review, deposit, outcome, auction result.

Every service is one transaction: it locks the application (or the project's outcome),
checks, writes and audits; on any refusal (a DomainError with a stable code and a
Chinese message) nothing is written. Status changes go through the one guarded
`_transition` over `Application.TRANSITIONS`. Other apps are called through their
services (listings, settlement, bidding, deals, members) with ids and amounts.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import MemberType, User
from exchange.core import audit, clock, uploads, workdays
from exchange.core.errors import Conflict, DomainError, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.money import format_yuan, quantize_money
from exchange.core.text import clean_name, forbidden_char, normalize, refusal_message
from exchange.listings.models import Project
from exchange.listings.models import Status as P
from exchange.trading import conf
from exchange.trading.models import (
    ACTIVE_STATUSES,
    IN_REVIEW,
    Application,
    CommitmentMethod,
    ConsortiumMember,
    Material,
    MaterialDraft,
    NoBuyer,
    Outcome,
    PriorityHolder,
    Review,
    Status,
    TradingTerms,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- errors


class AlreadyApplied(Conflict):
    code = "already_applied"


class NotVerified(PermissionDenied):
    code = "not_verified"


class Blacklisted(PermissionDenied):
    code = "blacklisted"


class Barred(PermissionDenied):
    code = "barred"


class OwnProject(PermissionDenied):
    code = "own_project"


class RegistrationClosed(IllegalTransition):
    code = "registration_closed"


class MaterialRejected(InvalidInput):
    code = "material_rejected"


class BidFloorTooLow(InvalidInput):
    code = "bid_floor_too_low"


class ConsortiumInvalid(InvalidInput):
    code = "consortium_invalid"


class ReasonNotPublished(InvalidInput):
    code = "reason_not_published"


class DeadlinePassed(IllegalTransition):
    code = "deadline_passed"


class NotYourApplication(PermissionDenied):  # no longer raised: someone else's application is `not_found`
    code = "not_your_application"


class SecondReviewerRequired(PermissionDenied):
    code = "second_reviewer_required"


class SellerOpinionRequired(IllegalTransition):
    code = "seller_opinion_required"


class CommitmentMissing(InvalidInput):  # code "invalid", as before there were two ways to give it
    pass


class CommitmentChanged(InvalidInput):
    code = "commitment_changed"


class DraftLimit(InvalidInput):
    code = "draft_limit"


OPEN_FOR_APPLICATIONS = (P.DISCLOSURE, P.EXTENDED)


class _System:
    """The exchange itself acting from a periodic job (no user; audited as actor None)."""

    is_authenticated = False
    pk = None

    def has_perm(self, perm: str) -> bool:
        return True


SYSTEM = _System()

# --------------------------------------------------------------------------- helpers


def _notify(user: Any, *, kind: str, subject: str, body: str = "", url: str = "", key: str = "") -> None:
    """In-site message (and e-mail after commit) through members.notify; never blocks a trade."""
    from exchange.members.services import notify

    notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=key)


def _lock(application_id: int) -> Application:
    try:
        return Application.objects.select_for_update().select_related("project", "applicant").get(pk=application_id)
    except Application.DoesNotExist:
        raise NotFound(_("受让申请不存在。")) from None


def _lock_project(project_id: int) -> Project:
    try:
        return Project.objects.select_for_update().get(pk=project_id)
    except Project.DoesNotExist:
        raise NotFound(_("项目不存在。")) from None


def _transition(app: Application, to: str, *, fields: Sequence[str] = ()) -> None:
    """Move a locked application to `to` if TRANSITIONS allows it; save `fields` with it."""
    frm = app.status
    if to not in Application.TRANSITIONS[frm]:
        raise IllegalTransition(
            _("受让申请当前状态为“%(frm)s”，不能变为“%(to)s”。") % {"frm": Status(frm).label, "to": Status(to).label},
            status=frm,
        )
    app.status = to
    app.save(update_fields=sorted({"status", "updated_at", *fields}))


def _require_perm(user: Any, perm: str) -> None:
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied()


def condition_items(text: str) -> list[str]:
    """The published buyer conditions split into items (by line, ；/; and 。), numbering removed."""
    items = []
    for part in re.split(r"[\r\n；;。]+", text or ""):
        part = re.sub(r"^\s*(?:\d+[.、．)]|[（(]\d+[)）]|[一二三四五六七八九十]+、)\s*", "", part).strip(" ，,")
        if part and part not in items:
            items.append(part)
    return items


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# --------------------------------------------------------------------------- terms


def terms_defaults(project: Project) -> dict[str, Any]:
    """The terms a project gets when nobody set them (from `trading.conf`)."""
    ratio = Decimal(str(conf.get("TRADING_INCREMENT_RATIO")))
    step = (project.floor_price * ratio / 100).quantize(Decimal("1")) * 100 if project.floor_price else Decimal(100)
    return {
        "allow_consortium": conf.get("TRADING_ALLOW_CONSORTIUM"),
        "require_bid_floor": conf.get("TRADING_REQUIRE_BID_FLOOR"),
        "seller_opinion_required": conf.get("TRADING_SELLER_OPINION_REQUIRED"),
        "joint_review": conf.get("TRADING_JOINT_REVIEW"),
        "on_no_buyer": conf.get("TRADING_ON_NO_BUYER"),
        "increment": max(step, Decimal("100")),
        "countdown_seconds": conf.get("TRADING_COUNTDOWN_SECONDS"),
        "free_period_seconds": conf.get("TRADING_FREE_PERIOD_SECONDS"),
        "window_seconds": conf.get("TRADING_WINDOW_SECONDS"),
        "extension_seconds": conf.get("TRADING_EXTENSION_SECONDS"),
        "materials": conf.materials_for(project.category),
    }


def terms_ensure(*, project_id: int) -> TradingTerms:
    """The project's terms, created with the defaults on first use (idempotent)."""
    terms = TradingTerms.objects.filter(project_id=project_id).first()
    if terms is not None:
        return terms
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("项目不存在。"))
    try:
        with transaction.atomic(), audit.action(None, "trading_terms.create"):
            return TradingTerms.objects.create(project=project, **terms_defaults(project))
    except IntegrityError:
        return TradingTerms.objects.get(project_id=project_id)


_TERM_FIELDS = ("allow_consortium", "require_bid_floor", "seller_opinion_required", "joint_review", "on_no_buyer",
                "increment", "countdown_seconds", "free_period_seconds", "window_seconds", "extension_seconds",
                "materials")  # fmt: skip


def terms_update(
    *, project_id: int, actor: Any, holders: Sequence[tuple[int, int]] | None = None, **data: Any
) -> TradingTerms:
    """Staff change a project's terms (and, if given, its pre-emption holders as (member id, rank))."""
    _require_perm(actor, "trading.change_tradingterms")
    unknown = set(data) - set(_TERM_FIELDS)
    if unknown:
        raise InvalidInput(_("未知的字段：%(f)s。") % {"f": "、".join(sorted(unknown))})
    if "on_no_buyer" in data and data["on_no_buyer"] not in NoBuyer.values:
        raise InvalidInput(_("请选择未征集到竞买人时的处理方式。"), field="on_no_buyer")
    if "increment" in data:
        data["increment"] = quantize_money(Decimal(data["increment"]))
        if data["increment"] <= 0:
            raise InvalidInput(_("加价幅度须大于零。"), field="increment")
    if "materials" in data:
        bad = [m for m in data["materials"] if m not in conf.MATERIAL_LABELS]
        if bad:
            raise InvalidInput(_("未知的材料类型：%(m)s。") % {"m": "、".join(bad)}, field="materials")
    for name in ("countdown_seconds", "free_period_seconds", "window_seconds", "extension_seconds"):
        if name in data and int(data[name]) <= 0:
            raise InvalidInput(_("时长须大于零。"), field=name)
    terms = terms_ensure(project_id=project_id)
    with transaction.atomic(), audit.action(actor, "trading_terms.update"):
        terms = TradingTerms.objects.select_for_update().get(pk=terms.pk)
        for name, value in data.items():
            setattr(terms, name, value)
        terms.save()
        if holders is not None:
            ranks = {}
            for member_id, rank in holders:
                if int(rank) <= 0:
                    raise InvalidInput(_("优先购买权顺位须为正整数。"), field="holders")
                ranks[int(member_id)] = int(rank)
            terms.holders.exclude(member_id__in=list(ranks)).delete()
            for member_id, rank in ranks.items():
                PriorityHolder.objects.update_or_create(terms=terms, member_id=member_id, defaults={"rank": rank})
    return terms


def holder_rank(project_id: int, member_id: int) -> int:
    return (
        PriorityHolder.objects.filter(terms__project_id=project_id, member_id=member_id)
        .values_list("rank", flat=True)
        .first()
        or 0
    )


# --------------------------------------------------------------------------- applying


def check_material(kind: str, upload: UploadedFile) -> uploads.Accepted:
    """The upload policy (exchange.core.uploads) for one material: TRADING_MATERIAL_TYPES by
    content, agreeing with the file's extension, at most TRADING_MATERIAL_MAX_BYTES; the upload
    is renamed by the server. Raises MaterialRejected."""
    return uploads.accept(
        upload,
        formats=conf.get("TRADING_MATERIAL_TYPES"),
        max_bytes=conf.get("TRADING_MATERIAL_MAX_BYTES"),
        field=kind,
        label=str(conf.MATERIAL_LABELS.get(kind, kind)),
        check_name=True,
        error=MaterialRejected,
    )


def required_materials(terms: TradingTerms, applicant: User) -> list[str]:
    """The files `applicant` must upload: the terms' materials (entity-only kinds for entities
    only), without the 受让资格承诺函 — that one is given online or as its signed file."""
    entity = applicant.member_type == MemberType.ENTITY
    return [m for m in terms.materials if m != conf.COMMITMENT and (entity or m not in conf.ENTITY_ONLY_MATERIALS)]


@dataclass(frozen=True)
class Partner:
    """One consortium member as entered on the form."""

    name: str
    id_number: str
    share: Decimal


def check_consortium(partners: Sequence[Partner]) -> list[Partner]:
    """At least two members, each share in (0, 100] with ≤2 decimals, together exactly 100%."""
    if len(partners) < 2:
        raise ConsortiumInvalid(_("联合受让须至少有两名成员。"), field="consortium")
    cleaned = []
    for p in partners:
        name, number = normalize(p.name or ""), (p.id_number or "").strip()
        if not name or not number or len(name) > 100 or len(number) > 30:
            raise ConsortiumInvalid(_("请填写每名联合体成员的名称和证件号码。"), field="consortium")
        if forbidden_char(name) is not None:
            raise ConsortiumInvalid(refusal_message(_("联合体成员名称")), field="consortium")
        try:
            share = Decimal(str(p.share))
        except InvalidOperation:
            raise ConsortiumInvalid(_("受让比例须为数字。"), field="consortium") from None
        if not share.is_finite() or share <= 0 or share > 100 or share != share.quantize(Decimal("0.01")):
            raise ConsortiumInvalid(_("每名成员的受让比例须在0到100之间，最多两位小数。"), field="consortium")
        cleaned.append(Partner(name=name, id_number=number, share=share))
    total = sum((p.share for p in cleaned), Decimal(0))
    if total != Decimal(100):
        raise ConsortiumInvalid(
            _("联合体成员的受让比例合计须为100%%，当前为%(t)s%%。") % {"t": f"{total.normalize():f}"},
            field="consortium",
            total=str(total),
        )
    return cleaned


def _check_applicant(project: Project, applicant: User) -> None:
    from exchange.deals.selectors import barred_member_ids
    from exchange.members.selectors import blacklist_reason, is_blacklisted

    if applicant.is_staff:
        raise PermissionDenied(_("交易中心员工不能报名受让。"))
    if not applicant.is_verified:
        raise NotVerified(_("请先完成实名认证，再报名受让。"))
    if applicant.pk in (project.seller_id, project.broker_id):  # the broker too, mandate or not
        raise OwnProject(_("转让方不能报名受让自己挂牌的项目。"))
    if is_blacklisted(applicant):
        reason = blacklist_reason(applicant)
        raise Blacklisted(
            _("您已被列入交易黑名单，不能报名受让。") + (_("原因：%(r)s") % {"r": reason} if reason else "")
        )
    if applicant.pk in barred_member_ids(project.pk):
        raise Barred(_("您曾在本项目中违约（悔拍），不能再次报名受让本项目。"))


def applicant_refusal(project: Project, user: Any) -> str:
    """Why `user` may not apply to `project` (blacklist, bar, not verified, own project…),
    or "" — shown on the project page and the form before anyone fills anything in."""
    if not getattr(user, "is_authenticated", False):
        return ""
    try:
        _check_applicant(project, user)
    except DomainError as exc:
        return str(exc.as_dict()["message"])
    return ""


def _check_window(project: Project, now: dt.datetime) -> None:
    if project.status not in OPEN_FOR_APPLICATIONS or (project.ends_at and now >= project.ends_at):
        if project.status == P.SUSPENDED:
            raise RegistrationClosed(_("项目已中止，暂停受理受让申请。"))
        if project.status == P.PRE_DISCLOSURE:
            raise RegistrationClosed(_("项目处于预披露阶段，正式披露后方可报名。"))
        raise RegistrationClosed(_("不在报名期内：只有正式披露（含延牌）期间可以报名。"))


def application_submit(
    *,
    project_id: int,
    applicant: User,
    materials: Mapping[str, UploadedFile] | None = None,
    drafts: Mapping[str, int] | None = None,
    commitment_accepted: bool,
    commitment_sha256: str = "",
    bid_floor: Decimal | None = None,
    consortium: Sequence[Partner] = (),
    contact_name: str = "",
    contact_phone: str = "",
) -> Application:
    """File a buyer application during disclosure (正式披露 or 延牌).

    Files come as uploads (`materials`, kind → file) or as the applicant's drafts of this
    project (`drafts`, kind → draft id, uploaded before with `draft_upload`); a draft
    becomes the application's material (the same stored file) and is no longer a draft.

    The 受让资格承诺函 is given online (`commitment_accepted`: the text of
    `commitment.letter`, its version and SHA-256 recorded; `commitment_sha256`, when given,
    must be that of the text the applicant was shown) or as its signed file (kind
    "commitment").

    Raises (nothing written): NotVerified, Blacklisted, Barred, OwnProject,
    RegistrationClosed (not in disclosure: pre-disclosure, suspended, ended…),
    AlreadyApplied (one active application per member, project and round — also a DB
    constraint), MaterialRejected (a required file missing or of the wrong type),
    BidFloorTooLow, ConsortiumInvalid, CommitmentMissing (neither accepted nor filed),
    CommitmentChanged (the text shown is not the current one), NotFound (a draft that is
    not the applicant's draft of this project, of that kind).
    """
    from exchange.trading import commitment

    materials = {k: f for k, f in (materials or {}).items() if f}
    drafts = {k: int(i) for k, i in (drafts or {}).items() if i and k not in materials}
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("项目不存在。"))
    _check_applicant(project, applicant)  # again under the lock below; first, so the answer is the relevant one
    contact_name = clean_name(contact_name, field="contact_name", label=_("联系人"))
    _check_window(project, clock.now())
    terms = terms_ensure(project_id=project_id)
    letter = commitment.letter(project, applicant) if commitment_accepted else None
    if letter is not None and commitment_sha256 and commitment_sha256 != letter.sha256:
        raise CommitmentChanged(_("《受让资格承诺函》的内容已更新，请重新阅读后确认。"), field="commitment")
    if letter is None and conf.COMMITMENT not in materials and conf.COMMITMENT not in drafts:
        raise CommitmentMissing(_("请在线确认《受让资格承诺函》，或下载模板签字盖章后上传。"), field=conf.COMMITMENT)
    for kind in required_materials(terms, applicant):
        if kind not in materials and kind not in drafts:
            raise MaterialRejected(_("请上传%(kind)s。") % {"kind": conf.MATERIAL_LABELS.get(kind, kind)}, field=kind)
    checked = {kind: check_material(kind, upload) for kind, upload in materials.items()}
    if bid_floor is None and terms.require_bid_floor:
        raise BidFloorTooLow(_("请填写意向报价。"), field="bid_floor")
    if bid_floor is not None:
        bid_floor = quantize_money(bid_floor)
        if bid_floor < project.floor_price:
            raise BidFloorTooLow(
                _("意向报价不得低于转让底价 %(floor)s。") % {"floor": format_yuan(project.floor_price)},
                field="bid_floor",
                floor=str(project.floor_price),
            )
    partners: list[Partner] = []
    if consortium:
        if not terms.allow_consortium:
            raise ConsortiumInvalid(_("本项目不接受联合受让。"), field="consortium")
        partners = check_consortium(consortium)
    now = clock.now()
    with transaction.atomic(), audit.action(applicant, "application.submit", project=project_id):
        project = _lock_project(project_id)
        _check_applicant(project, applicant)
        _check_window(project, now)
        if Application.objects.filter(
            project=project, round=project.round, applicant=applicant, status__in=ACTIVE_STATUSES
        ).exists():
            raise AlreadyApplied(_("您已报名本项目，请勿重复提交。"))
        if Application.objects.filter(
            project=project,
            round=project.round,
            applicant=applicant,
            status__in=[Status.LAPSED, Status.FORFEITED, Status.LOSER],
        ).exists() or Application.objects.filter(
            project=project, round=project.round, applicant=applicant, status=Status.WITHDRAWN,
            deposit_confirmed_at__isnull=False,
        ).exists():  # fmt: skip
            raise AlreadyApplied(_("您在本轮挂牌中已放弃或失去竞买资格，不能再次报名。"))
        due = workdays.add_workdays(timezone.localdate(now), conf.get("TRADING_REVIEW_SLA_WORKDAYS"))
        try:
            with transaction.atomic():
                app = Application.objects.create(
                    project=project,
                    round=project.round,
                    applicant=applicant,
                    bid_floor=bid_floor,
                    contact_name=contact_name[:50],
                    contact_phone=contact_phone.strip()[:20],
                    is_consortium=bool(partners),
                    commitment_method=CommitmentMethod.ONLINE if letter else CommitmentMethod.UPLOAD,
                    commitment_version=letter.version if letter else conf.get("TRADING_COMMITMENT_VERSION"),
                    commitment_text=letter.text if letter else "",
                    commitment_sha256=letter.sha256 if letter else "",
                    commitment_accepted_at=now,
                    submitted_at=now,
                    review_due_at=_at(due, 17),
                    rank=holder_rank(project.pk, applicant.pk),
                )
        except IntegrityError:
            raise AlreadyApplied(_("您已报名本项目，请勿重复提交。")) from None
        for kind, accepted in checked.items():
            Material.objects.create(
                application=app,
                kind=kind,
                file=accepted.upload,
                original_name=accepted.original_name,
                size=accepted.size,
                content_type=accepted.format.content_type,
                uploaded_at=now,
            )
        _attach_drafts(app, drafts)
        for i, p in enumerate(partners):
            ConsortiumMember.objects.create(
                application=app, name=p.name, id_number=p.id_number, share=p.share, is_lead=i == 0
            )
        _notify(
            applicant,
            kind="application.submitted",
            subject=_("您已提交%(t)s的受让申请") % {"t": project.title},
            body=_("交易中心将在%(d)s前完成资格审核。") % {"d": f"{timezone.localtime(app.review_due_at):%Y-%m-%d}"},
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:submitted",
        )
    return app


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
    from django.core.files.storage import default_storage

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
    project = Project.objects.filter(pk=project_id, is_public=True).first()
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


def application_withdraw(*, application_id: int, actor: User, reason: str = "") -> Application:
    """The applicant withdraws. Free before the deposit is paid (a qualified applicant's
    unpaid deposit instruction is cancelled: settlement.deposit_instruction_cancel); after
    it (竞买人), the deposit is forfeited (DOMAIN §5). Not possible once the auction was
    organised."""
    with transaction.atomic(), audit.action(actor, "application.withdraw", reason=reason):
        app = _lock(application_id)
        if app.applicant_id != getattr(actor, "pk", None):  # someone else's: as if it did not exist
            raise NotFound(_("受让申请不存在。"))
        if app.auction_id or app.status not in (*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED):
            raise IllegalTransition(_("当前状态下不能撤回申请。"), status=app.status)
        paid = app.status == Status.DEPOSIT_CONFIRMED
        unpaid_instruction = app.deposit_instruction_id if app.status == Status.QUALIFIED else None
        app.closed_reason = (reason or "").strip()[:300] or _("申请人撤回")
        app.closed_at = clock.now()
        _transition(app, Status.WITHDRAWN, fields=("closed_reason", "closed_at"))
        if unpaid_instruction:
            from exchange.settlement.services import DepositPaid, deposit_instruction_cancel

            try:
                deposit_instruction_cancel(
                    instruction_id=unpaid_instruction,
                    reason=_("受让申请已撤回（%(code)s）") % {"code": app.project.code},
                )
            except DepositPaid:  # arrived just now; its confirmation is on its way
                raise IllegalTransition(
                    _("保证金刚刚到账，您已成为竞买人。请刷新页面后再决定是否撤回（撤回将没收保证金）。"),
                    status=app.status,
                ) from None
        if paid and app.deposit_instruction_id:
            from exchange.settlement.services import deposit_forfeit

            deposit_forfeit(
                instruction_id=app.deposit_instruction_id,
                reason=_("交纳保证金后撤回受让申请（%(code)s）") % {"code": app.project.code},
            )
        _notify(
            app.applicant,
            kind="application.withdrawn",
            subject=_("您已撤回%(t)s的受让申请") % {"t": app.project.title},
            body=_("已交纳的保证金按规则不予退还。") if paid else "",
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:withdrawn",
        )
    return app


# --------------------------------------------------------------------------- review


def seller_opinion_give(*, application_id: int, actor: User, agree: bool, note: str = "") -> Application:
    """The seller's (or their broker's, under a mandate in force) opinion on an applicant,
    only where the terms ask for it, once, while the application awaits it in review.

    Anyone else, and any application the seller may not see (terms without the seller's
    opinion, another round), gets NotFound: the seller learns nothing about the other
    applicants. Reviewed already → DeadlinePassed; opinion given → IllegalTransition.
    """
    from exchange.listings.services import is_seller_side

    note = (note or "").strip()
    if not agree and not note:
        raise InvalidInput(_("有异议时请说明理由。"), field="note")
    with transaction.atomic(), audit.action(actor, "application.seller_opinion", agree=agree):
        app = _lock(application_id)
        project = app.project
        terms = terms_ensure(project_id=project.pk)
        if not is_seller_side(project, actor) or not terms.seller_opinion_required or app.round != project.round:
            raise NotFound(_("受让申请不存在。"))
        if app.status not in IN_REVIEW:
            raise DeadlinePassed(_("资格审核已结束，不能再发表意见。"))
        if app.seller_opinion:
            raise IllegalTransition(_("您已对该申请发表意见。"), status=app.status)
        app.seller_opinion = "agree" if agree else "disagree"
        app.seller_note = note[:300]
        app.seller_opinion_at = clock.now()
        app.save(update_fields=["seller_opinion", "seller_note", "seller_opinion_at", "updated_at"])
        Review.objects.create(
            application=app, step=Review.Step.SELLER, actor=actor, decision=app.seller_opinion, note=note[:500],
            decided_at=app.seller_opinion_at,
        )  # fmt: skip
    return app


def application_review(
    *, application_id: int, actor: User, decision: str, reasons: Sequence[str] = (), note: str = ""
) -> Application:
    """Qualify or reject an applicant (资格确认).

    Rejection reasons must be items of the project's published buyer conditions (plus a
    free note). Where the terms ask for it, the seller's opinion comes first and two
    different staff decide (初审 then 复核). Qualification issues the deposit instruction
    (virtual account, due N WD later at the cut-off) and notifies the applicant.
    """
    _require_perm(actor, "trading.review_application")
    if decision not in ("qualify", "reject"):
        raise InvalidInput(_("请选择审核意见。"), field="decision")
    note = (note or "").strip()[:500]
    reasons = [r.strip() for r in reasons if r and r.strip()]
    with transaction.atomic(), audit.action(actor, "application.review", decision=decision, reasons=reasons):
        app = _lock(application_id)
        project = app.project
        terms = terms_ensure(project_id=project.pk)
        if app.status not in IN_REVIEW:
            raise IllegalTransition(_("该申请不在待审核状态。"), status=app.status)
        if project.status not in (*OPEN_FOR_APPLICATIONS, P.SUSPENDED, P.DISCLOSURE_ENDED):
            raise DeadlinePassed(_("项目已进入交易组织或已结束，不能再审核受让资格。"))
        if (
            app.round != project.round
            or Outcome.objects.filter(project=project, round=app.round, cycle=project.extension_cycles)
            .exclude(decision=Outcome.Decision.EXTENDED)
            .exists()
        ):
            raise DeadlinePassed(_("本轮挂牌的交易组织已确定，不能再审核受让资格。"))
        step = Review.Step.SECOND if app.status == Status.SECOND_REVIEW else Review.Step.FIRST
        if step == Review.Step.SECOND and app.first_reviewer_id == actor.pk:
            raise SecondReviewerRequired(_("双人审核：复核须由另一名经办人办理。"))
        now = clock.now()
        if decision == "reject":
            published = condition_items(project.buyer_conditions)
            if not reasons:
                raise ReasonNotPublished(_("请至少选择一项不符合的受让方资格条件。"), field="reasons")
            outside = [r for r in reasons if r not in published]
            if outside:
                raise ReasonNotPublished(
                    _("不予确认只能依据已公布的受让方资格条件：“%(r)s”不在其中。") % {"r": outside[0]},
                    field="reasons",
                )
            Review.objects.create(
                application=app, step=step, actor=actor, decision="reject", reasons=reasons, note=note, decided_at=now
            )
            app.reject_reasons, app.decision_note, app.decided_at = reasons, note, now
            _transition(app, Status.REJECTED, fields=("reject_reasons", "decision_note", "decided_at"))
            _notify(
                app.applicant,
                kind="application.rejected",
                subject=_("%(t)s受让资格未获确认") % {"t": project.title},
                body=_("不符合的资格条件：%(r)s。%(n)s") % {"r": "；".join(reasons), "n": note},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:rejected",
            )
            return app
        if terms.seller_opinion_required and not app.seller_opinion:
            raise SellerOpinionRequired(_("本项目的资格确认须先征求转让方意见，转让方尚未发表意见。"))
        Review.objects.create(application=app, step=step, actor=actor, decision="qualify", note=note, decided_at=now)
        if terms.joint_review and step == Review.Step.FIRST:
            app.first_reviewer = actor
            _transition(app, Status.SECOND_REVIEW, fields=("first_reviewer",))
            return app
        from exchange.settlement.services import deposit_instruction_create

        instruction = deposit_instruction_create(
            project_id=project.pk,
            project_code=project.code or "",
            project_title=project.title,
            member=app.applicant,
            amount=project.deposit_amount,
            qualified_at=now,
        )
        app.decision_note, app.decided_at, app.qualified_at = note, now, now
        app.deposit_instruction_id, app.deposit_due_at = instruction.pk, instruction.due_at
        _transition(
            app,
            Status.QUALIFIED,
            fields=("decision_note", "decided_at", "qualified_at", "deposit_instruction_id", "deposit_due_at"),
        )
        _notify(
            app.applicant,
            kind="application.qualified",
            subject=_("%(t)s受让资格已确认，请交纳保证金") % {"t": project.title},
            body=_("请于%(due)s前将保证金%(amount)s汇入虚拟子账号%(acct)s（以银行到账时间为准）。")
            % {
                "due": f"{timezone.localtime(instruction.due_at):%Y-%m-%d %H:%M}",
                "amount": format_yuan(instruction.amount),
                "acct": instruction.virtual_account,
            },
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:qualified",
        )
    return app


# --------------------------------------------------------------------------- deposits


def _round_decided(app: Application) -> bool:
    """The application's round can take no more bidders (its outcome is decided or it ended)."""
    project = app.project
    return (
        app.round != project.round
        or project.status not in (*OPEN_FOR_APPLICATIONS, P.SUSPENDED, P.DISCLOSURE_ENDED)
        or Outcome.objects.filter(project=project, round=app.round, cycle=project.extension_cycles)
        .exclude(decision=Outcome.Decision.EXTENDED)
        .exists()
    )


def _refund_stray_deposit(*, project_id: int, member_id: int, instruction_id: int) -> Application | None:
    """A deposit confirmed for an application that can no longer become a bidder (closed,
    withdrawn, or lapsed after the round's outcome was decided) is refunded at once
    (settlement.deposit_refund: to the account it came from, in the next payment batch).
    Nothing happens while the member has an active application, or when the deposit is
    no longer held (refunded or forfeited already). Returns the application refunded for."""
    from exchange.settlement import services as settlement
    from exchange.settlement.models import DepositInstruction

    if Application.objects.filter(project_id=project_id, applicant_id=member_id, status__in=ACTIVE_STATUSES).exists():
        return None
    app = (
        Application.objects.select_related("project", "applicant")
        .filter(
            project_id=project_id,
            applicant_id=member_id,
            deposit_instruction_id=instruction_id,
            status__in=[Status.CLOSED, Status.WITHDRAWN, Status.LAPSED],
        )
        .order_by("-round", "-pk")
        .first()
    )
    held = DepositInstruction.objects.filter(
        pk=instruction_id, project_id=project_id, member_id=member_id, status=DepositInstruction.Status.CONFIRMED
    ).exists()
    if app is None or not held:
        return None
    reason = _("受让申请已%(s)s，保证金到账后自动退还") % {"s": Status(app.status).label}
    settlement.deposit_refund(instruction_id=instruction_id, reason=reason)
    _notify(
        app.applicant,
        kind="application.deposit_refunded",
        subject=_("%(t)s的保证金将原路退还") % {"t": app.project.title},
        body=reason,
        url=app.get_absolute_url(),
        key=f"application:{app.pk}:stray_deposit:{instruction_id}",
    )
    return app


def _bidder_number(app: Application) -> str:
    """A random 竞买号 for a new 竞买人, unique among the bidders of the project's round (the
    auction keeps it). The caller holds the project's lock."""
    from exchange.bidding.services import bidder_numbers_new

    taken = set(
        Application.objects.filter(project_id=app.project_id, round=app.round)
        .exclude(bidder_no="")
        .values_list("bidder_no", flat=True)
    )
    return bidder_numbers_new(taken, 1)[0]


def deposit_confirmed_apply(*, project_id: int, member_id: int, instruction_id: int) -> Application | None:
    """settlement's `deposit_confirmed`: the qualified applicant becomes a 竞买人 (idempotent).
    A late payment matched by hand revives a lapsed application while its round is still
    open. A deposit confirmed for an application already closed, withdrawn, or lapsed in a
    decided round is refunded automatically (`_refund_stray_deposit`); returns None then."""
    with transaction.atomic(), audit.action(None, "application.deposit_confirmed", instruction=instruction_id):
        # the project first (the lock order of outcome_decide): numbers are unique per round
        Project.objects.select_for_update().filter(pk=project_id).first()
        app = (
            Application.objects.select_for_update()
            .select_related("project", "applicant")
            .filter(project_id=project_id, applicant_id=member_id, status__in=[Status.QUALIFIED, Status.LAPSED])
            .order_by("-round", "-pk")
            .first()
        )
        if app is None or (app.status == Status.LAPSED and _round_decided(app)):
            _refund_stray_deposit(project_id=project_id, member_id=member_id, instruction_id=instruction_id)
            return None
        app.deposit_confirmed_at = clock.now()
        app.deposit_instruction_id = app.deposit_instruction_id or instruction_id
        app.bidder_no = app.bidder_no or _bidder_number(app)
        _transition(
            app, Status.DEPOSIT_CONFIRMED, fields=("deposit_confirmed_at", "deposit_instruction_id", "bidder_no")
        )
        _notify(
            app.applicant,
            kind="application.deposit_confirmed",
            subject=_("%(t)s保证金已到账，您已成为竞买人，竞买号 %(no)s")
            % {"t": app.project.title, "no": app.bidder_no},
            body=_(
                "您的竞买号是 %(no)s，竞价时仅以竞买号显示，请勿向他人透露。披露期满后交易中心将组织交易，竞价时间将另行通知。"
            )
            % {"no": app.bidder_no},
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:deposit",
        )
    return app


def applications_lapse() -> int:
    """Qualified applicants whose deposit is past due (instruction expired or due time
    passed) gave up: LAPSED (the periodic job). Returns how many."""
    from exchange.settlement.models import DepositInstruction

    now = clock.now()
    ids = list(Application.objects.filter(status=Status.QUALIFIED, deposit_due_at__lt=now).values_list("pk", flat=True))
    count = 0
    for pk in ids:
        with transaction.atomic(), audit.action(None, "application.lapse"):
            app = _lock(pk)
            if app.status != Status.QUALIFIED:
                continue
            status = DepositInstruction.objects.filter(pk=app.deposit_instruction_id or 0).values_list(
                "status", flat=True
            )
            if status.first() == DepositInstruction.Status.CONFIRMED:
                continue  # the confirmation signal is on its way
            app.closed_reason, app.closed_at = _("未在规定时间内交纳保证金，视为放弃。"), now
            _transition(app, Status.LAPSED, fields=("closed_reason", "closed_at"))
            _notify(
                app.applicant,
                kind="application.lapsed",
                subject=_("%(t)s保证金逾期未交，视为放弃") % {"t": app.project.title},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:lapsed",
            )
            count += 1
    return count


# --------------------------------------------------------------------------- outcome


def auction_start(now: dt.datetime) -> dt.datetime:
    """When an auction organised now starts: N working days later at the set hour (or N minutes)."""
    minutes = conf.get("TRADING_AUCTION_DELAY_MINUTES")
    if minutes is not None:
        return now + dt.timedelta(minutes=float(minutes))
    day = workdays.add_workdays(timezone.localdate(now), conf.get("TRADING_AUCTION_DELAY_WORKDAYS"))
    return _at(day, conf.get("TRADING_AUCTION_HOUR"))


def _close_open(project: Project, reason: str, *, statuses: Iterable[str] = (*IN_REVIEW, Status.QUALIFIED)) -> int:
    now = clock.now()
    count = 0
    for app in Application.objects.select_for_update().select_related("applicant").filter(
        project=project, round=project.round, status__in=list(statuses)
    ):  # fmt: skip
        app.closed_reason, app.closed_at = reason[:300], now
        _transition(app, Status.CLOSED, fields=("closed_reason", "closed_at"))
        _notify(
            app.applicant,
            kind="application.closed",
            subject=_("%(t)s的受让申请已关闭") % {"t": project.title},
            body=reason,
            url=app.get_absolute_url(),
            key=f"application:{app.pk}:closed",
        )
        count += 1
    return count


def _mode(project: Project) -> str:
    return project.trading_method if project.trading_method != "agreement" else "dynamic"


def _organise_auction(
    project: Project, terms: TradingTerms, bidders: list[Application], now: dt.datetime, starts: dt.datetime | None
) -> Any:
    from exchange.bidding import services as bidding

    starts = starts or auction_start(now)
    mode = _mode(project)
    spec = bidding.AuctionSpec(
        title=project.title,
        mode=mode,
        start_price=project.floor_price,
        increment=terms.increment,
        starts_at=starts,
        duration=dt.timedelta(seconds=terms.free_period_seconds),
        countdown_seconds=terms.countdown_seconds,
        window_seconds=terms.window_seconds,
        extension_seconds=terms.extension_seconds,
        dutch_tick=terms.increment if mode == "dutch" else Decimal("0"),
        dutch_floor=project.floor_price if mode == "dutch" else Decimal("0"),
        project_id=project.pk,
        project_code=project.code or "",
    )
    if mode == "dutch":  # a descending auction starts above the floor and stops at it
        spec = bidding.AuctionSpec(**{**spec.__dict__, "start_price": project.floor_price + 10 * terms.increment})
    auction = bidding.auction_create(spec=spec, actor=None)
    by_rank: dict[int, list[Application]] = {}
    ranks = dict(PriorityHolder.objects.filter(terms=terms).values_list("member_id", "rank"))
    for app in bidders:
        app.rank = ranks.get(app.applicant_id, 0)  # the holders as they stand when the auction is organised
        by_rank.setdefault(app.rank, []).append(app)
    for rank, apps in sorted(by_rank.items()):
        admitted = bidding.bidders_admit(
            auction_id=auction.pk,
            users=[a.applicant for a in apps],
            kind="deposit",
            actor=None,
            rank=rank,
            numbers={a.applicant_id: a.bidder_no for a in bidders if a.bidder_no},  # kept from the deposit
        )
        for app, bidder in zip(apps, admitted, strict=True):
            app.auction_id, app.bidder_no = auction.pk, bidder.bidder_no
            app.save(update_fields=["auction_id", "bidder_no", "rank", "updated_at"])
    return auction


def outcome_decide(*, project_id: int, auction_starts_at: dt.datetime | None = None) -> Outcome | None:
    """Decide what happens to a project whose disclosure ended (the periodic job; idempotent).

    Counts the confirmed bidders (竞买人) of the current round; waits while a qualified
    applicant's deposit may still arrive. 0 → per terms: extend / relist by staff /
    terminate; 1 → agreement deal (协议转让) or a sole-bidder auction (网络竞价);
    ≥2 → an auction in the project's mode, 竞价公告, bidders notified with their number.
    Applications still under review are closed. Returns None when nothing was decided.
    `auction_starts_at` overrides the computed start (staff scheduling by hand, demos).
    """
    from exchange.listings import services as listings

    now = clock.now()
    project = Project.objects.filter(pk=project_id).first()
    if project is None or project.status != P.DISCLOSURE_ENDED:
        return None
    if Outcome.objects.filter(project=project, round=project.round, cycle=project.extension_cycles).exists():
        return None
    if Application.objects.filter(
        project=project, round=project.round, status=Status.QUALIFIED, deposit_due_at__gt=now
    ).exists():
        return None  # a deposit may still arrive in time
    terms = terms_ensure(project_id=project_id)
    with transaction.atomic(), audit.action(None, "trading.outcome", project=project_id):
        project = _lock_project(project_id)
        if project.status != P.DISCLOSURE_ENDED:
            return None
        bidders = list(
            Application.objects.select_for_update()
            .select_related("applicant")
            .filter(project=project, round=project.round, status=Status.DEPOSIT_CONFIRMED)
            .order_by("deposit_confirmed_at", "pk")
        )
        outcome = Outcome(
            project=project, round=project.round, cycle=project.extension_cycles, bidders=len(bidders), decided_at=now
        )
        if not bidders:
            outcome.decision = _no_buyer(project, terms, listings)
            outcome.save()
            if outcome.decision != Outcome.Decision.EXTENDED:  # an extension keeps them going
                _close_open(project, _("披露期满未征集到竞买人，本轮受让申请关闭。"))
            return outcome
        _close_open(project, _("披露期满时尚未完成资格确认或保证金交纳，申请关闭。"))
        if len(bidders) == 1 and project.trading_method == "agreement":
            app = bidders[0]
            price = max(app.bid_floor or Decimal(0), project.floor_price)
            outcome.decision, outcome.price = Outcome.Decision.AGREEMENT, price
            outcome.result, outcome.result_at = Outcome.Result.SOLD, now
            outcome.save()
            app.closed_at = now
            _transition(app, Status.WINNER, fields=("closed_at",))
            from exchange.deals.services import deal_open

            deal_open(project_id=project.pk, buyer_id=app.applicant_id, price=price, kind="agreement", actor=None)
            _notify(
                app.applicant,
                kind="application.winner",
                subject=_("%(t)s将以协议方式成交") % {"t": project.title},
                body=_("成交价%(p)s，请按通知签订产权交易合同。") % {"p": format_yuan(price)},
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:winner",
            )
            return outcome
        auction = _organise_auction(project, terms, bidders, now, auction_starts_at)
        outcome.decision = Outcome.Decision.SOLE_AUCTION if len(bidders) == 1 else Outcome.Decision.AUCTION
        outcome.auction_id, outcome.auction_starts_at = auction.pk, auction.starts_at
        outcome.save()
        listings.project_trade_move(
            project_id=project.pk,
            to=P.BIDDING,
            actor=None,
            reason=_("竞买人%(n)s名，组织网络竞价") % {"n": len(bidders)},
        )
        from exchange.bidding.services import auction_url

        url = auction_url(auction.pk)
        listings.notice_publish(
            project_id=project.pk,
            kind="auction",
            actor=None,
            extra={"auction": auction, "bidders": len(bidders), "terms": terms, "url": url, "sole": len(bidders) == 1},
        )
        for app in bidders:
            _notify(
                app.applicant,
                kind="application.auction",
                subject=_("%(t)s网络竞价通知：您的竞买号 %(no)s") % {"t": project.title, "no": app.bidder_no},
                body=_("竞价将于%(at)s开始，起始价%(p)s。%(sole)s")
                % {
                    "at": f"{timezone.localtime(auction.starts_at):%Y-%m-%d %H:%M}",
                    "p": format_yuan(auction.start_price),
                    "sole": _("您是唯一竞买人，须在竞价期间以起始价应价，否则保证金不予退还。")
                    if len(bidders) == 1
                    else "",
                },
                url=url,
                key=f"application:{app.pk}:auction:{auction.pk}",
            )
    return outcome


def plan_outcome(*, bidders: int, method: str, on_no_buyer: str, can_extend: bool) -> str:
    """The rule of DOMAIN §2 as a pure function: what a round with `bidders` confirmed
    bidders becomes (an `Outcome.Decision`)."""
    if bidders <= 0:
        if on_no_buyer == NoBuyer.EXTEND:
            return Outcome.Decision.EXTENDED if can_extend else Outcome.Decision.RELIST_PENDING
        if on_no_buyer == NoBuyer.TERMINATE:
            return Outcome.Decision.TERMINATED
        return Outcome.Decision.RELIST_PENDING
    if bidders == 1:
        return Outcome.Decision.AGREEMENT if method == "agreement" else Outcome.Decision.SOLE_AUCTION
    return Outcome.Decision.AUCTION


def _no_buyer(project: Project, terms: TradingTerms, listings: Any) -> str:
    """No bidder: extend if the terms and the notice allow it, else relist by staff or terminate."""
    can_extend = project.allow_extension and project.extension_cycles < project.max_extension_cycles
    decision = plan_outcome(bidders=0, method=project.trading_method, on_no_buyer=terms.on_no_buyer,
                            can_extend=can_extend)  # fmt: skip
    if decision == Outcome.Decision.EXTENDED:
        listings.project_extend(project_id=project.pk, actor=None)
    elif decision == Outcome.Decision.TERMINATED:
        listings.project_terminate(
            project_id=project.pk, actor=SYSTEM, reason=_("披露期满未征集到符合条件的意向受让方。")
        )
    return decision


def outcomes_run() -> dict[str, int]:
    """The periodic job: lapse late deposits, decide ended disclosures, apply missed
    auction results, close applications of terminated projects."""
    lapsed = applications_lapse()
    decided = 0
    for pk in Project.objects.filter(status=P.DISCLOSURE_ENDED).values_list("pk", flat=True):
        try:
            decided += outcome_decide(project_id=pk) is not None
        except Exception:  # one project's failure must not stop the others
            log.exception("trading: outcome of project %s failed", pk)
    applied = results_catch_up()
    closed = terminated_close()
    return {"lapsed": lapsed, "decided": decided, "results": applied, "closed": closed}


# --------------------------------------------------------------------------- auction result


def auction_result_apply(*, auction_id: int, result: str, winner_user_id: int | None, price: Decimal | None) -> bool:
    """bidding's `auction_closed` (after its commit; idempotent). Winner → WINNER, the
    others LOSER, deals.deal_open. No winner → 流拍: project FAILED, 流拍公告, deposits
    refunded — except a sole bidder who did not bid at the start price: forfeited.
    Returns True when this call applied the result."""
    from exchange.listings import services as listings
    from exchange.settlement import services as settlement

    outcome = Outcome.objects.filter(auction_id=auction_id).first()
    if outcome is None or outcome.result:
        return False
    now = clock.now()
    with transaction.atomic(), audit.action(None, "trading.auction_result", auction=auction_id, result=result):
        project = _lock_project(outcome.project_id)
        outcome = Outcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.result:
            return False
        bidders = list(
            Application.objects.select_for_update()
            .select_related("applicant")
            .filter(auction_id=auction_id, status=Status.DEPOSIT_CONFIRMED)
        )
        outcome.result_at = now
        if result == "sold" and winner_user_id is not None and price is not None:
            outcome.result, outcome.price = Outcome.Result.SOLD, price
            outcome.save(update_fields=["result", "price", "result_at"])
            winner = next((a for a in bidders if a.applicant_id == winner_user_id), None)
            for app in bidders:
                app.closed_at = now
                _transition(app, Status.WINNER if app is winner else Status.LOSER, fields=("closed_at",))
                _notify(
                    app.applicant,
                    kind="application.winner" if app is winner else "application.loser",
                    subject=(_("恭喜您竞得%(t)s") if app is winner else _("%(t)s竞价结束，您未竞得"))
                    % {"t": project.title},
                    body=_("成交价%(p)s。") % {"p": format_yuan(price)}
                    + (_("请按通知签订产权交易合同。") if app is winner else _("您的保证金将在结果公布后退还。")),
                    url=app.get_absolute_url(),
                    key=f"application:{app.pk}:result",
                )
            from exchange.deals.services import deal_open

            bidder_no = winner.bidder_no if winner else ""
            deal_open(
                project_id=project.pk, buyer_id=winner_user_id, price=price, kind="auction", auction_id=auction_id,
                bidder_no=bidder_no, actor=None,
            )  # fmt: skip
            return True
        outcome.result = Outcome.Result.FAILED
        outcome.save(update_fields=["result", "result_at"])
        sole_no_bid = outcome.decision == Outcome.Decision.SOLE_AUCTION and result == "no_bids"
        reason = _("竞价未产生买受人（流拍）。")
        for app in bidders:
            app.closed_at = now
            if sole_no_bid:
                app.closed_reason = _("唯一竞买人未在竞价期间以起始价应价，保证金不予退还。")
                _transition(app, Status.FORFEITED, fields=("closed_at", "closed_reason"))
                if app.deposit_instruction_id:
                    settlement.deposit_forfeit(
                        instruction_id=app.deposit_instruction_id,
                        reason=_("唯一竞买人未应价（%(code)s）") % {"code": project.code},
                    )
            else:
                app.closed_reason = reason
                _transition(app, Status.CLOSED, fields=("closed_at", "closed_reason"))
            _notify(
                app.applicant,
                kind="application.failed",
                subject=_("%(t)s竞价流拍") % {"t": project.title},
                body=app.closed_reason + ("" if sole_no_bid else _("您的保证金将按规定退还。")),
                url=app.get_absolute_url(),
                key=f"application:{app.pk}:failed",
            )
        listings.project_trade_move(project_id=project.pk, to=P.FAILED, actor=None, reason=reason)
        listings.notice_publish(
            project_id=project.pk,
            kind="failure",
            actor=None,
            extra={"reason": {"no_bids": _("无人出价"), "reserve_not_met": _("最高报价未达到保留价")}.get(result, ""),
                   "sole": sole_no_bid, "outcome": outcome},
        )  # fmt: skip
        settlement.deposit_refund_schedule(project_id=project.pk, result_on=clock.today())
    return True


def results_catch_up() -> int:
    """Apply the results of closed auctions that the signal missed (a crash after commit)."""
    from exchange.bidding.models import Auction

    pending = Outcome.objects.filter(result="", auction_id__isnull=False).values_list("auction_id", flat=True)
    applied = 0
    for auction in Auction.objects.filter(pk__in=list(pending), status="closed").select_related("winner"):
        applied += auction_result_apply(
            auction_id=auction.pk,
            result=auction.result,
            winner_user_id=auction.winner.user_id if auction.winner else None,
            price=auction.final_price,
        )
    return applied


# --------------------------------------------------------------------------- terminated projects


def terminated_close() -> int:
    """Projects terminated (终结) while applications were open: close them, refund paid
    deposits, notify (the periodic job; idempotent). Returns how many were closed."""
    from exchange.settlement import services as settlement

    project_ids = set(
        Application.objects.filter(
            project__status=P.TERMINATED,
            status__in=[*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED],
        ).values_list("project_id", flat=True)
    )
    count = 0
    for pid in sorted(project_ids):
        with transaction.atomic(), audit.action(None, "trading.terminated_close", project=pid):
            project = _lock_project(pid)
            paid = list(
                Application.objects.select_for_update().filter(
                    project=project, round=project.round, status=Status.DEPOSIT_CONFIRMED
                )
            )
            reason = _("项目已终结：%(r)s") % {"r": project.terminated_reason or _("交易中心终结挂牌")}
            count += _close_open(project, reason, statuses=(*IN_REVIEW, Status.QUALIFIED, Status.DEPOSIT_CONFIRMED))
            for app in paid:
                if app.deposit_instruction_id:
                    settlement.deposit_refund(instruction_id=app.deposit_instruction_id, reason=reason)
    return count
