"""Applying to buy (受让申请): checks, submit, withdraw."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts.models import User
from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, NotFound
from exchange.core.money import format_yuan, quantize_money
from exchange.core.text import clean_name
from exchange.listings import selectors as listings_selectors
from exchange.listings.services import project_for_update
from exchange.settlement.services import DepositPaid, deposit_forfeit, deposit_instruction_cancel
from exchange.trading import commitment, conf
from exchange.trading.models import (
    ACTIVE_STATUSES,
    IN_REVIEW,
    Application,
    CommitmentMethod,
    ConsortiumMember,
    Material,
    Status,
)
from exchange.trading.services.checks import (
    Partner,
    _check_applicant,
    _check_window,
    check_consortium,
    check_material,
    required_materials,
)
from exchange.trading.services.common import (
    AlreadyApplied,
    BidFloorTooLow,
    CommitmentChanged,
    CommitmentMissing,
    ConsortiumInvalid,
    MaterialRejected,
    _at,
    _lock,
    _notify,
    _transition,
)
from exchange.trading.services.drafts import _attach_drafts
from exchange.trading.services.terms import holder_rank, terms_ensure


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

    materials = {k: f for k, f in (materials or {}).items() if f}
    drafts = {k: int(i) for k, i in (drafts or {}).items() if i and k not in materials}
    project = listings_selectors.project_get(project_id)
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
        project = project_for_update(project_id)
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


def application_withdraw(*, application_id: int, actor: User, reason: str = "") -> Application:
    """The applicant withdraws. Free before the deposit is paid (a qualified applicant's
    unpaid deposit instruction is cancelled: settlement.deposit_instruction_cancel); after
    it (竞买人), the deposit is forfeited (a bidder who withdraws loses the deposit). Not possible once the auction was
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
