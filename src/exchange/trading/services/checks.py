"""Who may apply and with what: materials, consortiums, the applicant and the window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from exchange.accounts.models import MemberType, User
from exchange.core import uploads
from exchange.core.errors import DomainError, PermissionDenied
from exchange.core.text import forbidden_char, normalize, refusal_message
from exchange.deals import selectors as deals_selectors
from exchange.listings.selectors import ProjectStatus as P
from exchange.members import selectors as members_selectors
from exchange.trading import conf
from exchange.trading.models import (
    TradingTerms,
)
from exchange.trading.services.common import (
    OPEN_FOR_APPLICATIONS,
    Barred,
    Blacklisted,
    ConsortiumInvalid,
    MaterialRejected,
    NotVerified,
    OwnProject,
    RegistrationClosed,
)

if TYPE_CHECKING:
    from exchange.listings.models import Project

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
    if applicant.is_staff:
        raise PermissionDenied(_("交易中心员工不能报名受让。"))
    if not applicant.is_verified:
        raise NotVerified(_("请先完成实名认证，再报名受让。"))
    if applicant.pk in (project.seller_id, project.broker_id):  # the broker too, mandate or not
        raise OwnProject(_("转让方不能报名受让自己挂牌的项目。"))
    if members_selectors.is_blacklisted(applicant):
        reason = members_selectors.blacklist_reason(applicant)
        raise Blacklisted(
            _("您已被列入交易黑名单，不能报名受让。") + (_("原因：%(r)s") % {"r": reason} if reason else "")
        )
    if applicant.pk in deals_selectors.barred_member_ids(project.pk):
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
