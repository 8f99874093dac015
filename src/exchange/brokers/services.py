"""Commands of the brokers app: broker status (经纪会员资格) and mandates (委托).

Each service is one transaction, checks its actor first, locks the row it changes,
writes, notifies the other party through `members.notify` (in the same transaction: a
refusal notifies nobody) and is audited with `core.audit.action`. On any refusal (a
DomainError) nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from exchange.accounts import roles
from exchange.accounts.models import MemberType, User
from exchange.accounts.validators import clean_uscc
from exchange.brokers import conf
from exchange.brokers.models import BrokerApplication, Mandate, MandateProject
from exchange.brokers.selectors import is_broker
from exchange.core import audit, clock, uploads
from exchange.core.categories import Category
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.permissions import require_staff
from exchange.members.services import notify, notify_staff

REVIEW_PERM = "brokers.review_brokerapplication"


class NotABroker(PermissionDenied):
    code = "not_a_broker"


class NoMandate(PermissionDenied):
    code = "no_mandate"


# --------------------------------------------------------------------------- helpers


def _notify(user: Any, *, kind: str, subject: str, body: str = "", url: str = "", key: str = "") -> None:
    notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=key)


def _require_reviewer(actor: Any) -> None:
    """Staff only (an active user with REVIEW_PERM who is also a staff account)."""
    message = _("只有业务审核人员可以审核经纪会员资格。")
    require_staff(actor, REVIEW_PERM, message=message)
    if not actor.is_staff:
        raise PermissionDenied(message)


def _require_member(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.is_staff:
        raise PermissionDenied(_("请以会员身份登录后办理。"))


def _reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if "\x00" in reason or len(reason) > 200:
        raise InvalidInput(_("原因不能超过200字。"), field="reason")
    if required and not reason:
        raise InvalidInput(_("请填写原因。"), field="reason")
    return reason


def check_document(upload: UploadedFile | None, *, field: str) -> UploadedFile:
    """The upload policy (exchange.core.uploads): a PDF, JPG or PNG by content, agreeing with
    its extension, at most BROKERS_DOCUMENT_MAX_BYTES; renamed by the server."""
    if upload is None:
        raise InvalidInput(_("请上传文件。"), field=field)
    label = {"licence": _("营业执照"), "business_document": _("经纪业务资质文件")}.get(field, "")
    return uploads.accept(
        upload,
        formats=("pdf", "jpg", "png"),
        max_bytes=conf.document_max_bytes(),
        field=field,
        label=label,
        check_name=True,
    ).upload


def _partner_group() -> Group:
    return Group.objects.get(name=roles.ROLE_BY_KEY["partner"].name)


# --------------------------------------------------------------------------- broker status


def broker_apply(
    *,
    user: User,
    firm_name: str,
    uscc: str,
    licence: UploadedFile | None,
    business_document: UploadedFile | None,
    scope_note: str = "",
) -> BrokerApplication:
    """A member firm asks for broker status (经纪会员资格) with its licence and business documents.

    Only a verified entity member whose verified name and 统一社会信用代码 match; refused
    (Conflict) when it already is a broker or has a request pending. Notifies the staff who
    review (`brokers.review_brokerapplication`). Audited `broker.apply`.
    """
    _require_member(user)
    if user.member_type != MemberType.ENTITY:
        raise PermissionDenied(_("经纪会员须为法人或其他组织。"))
    if not user.is_verified:
        raise PermissionDenied(_("请先完成实名认证，再申请经纪会员资格。"))
    firm_name = (firm_name or "").strip()
    if not firm_name or len(firm_name) > 100:
        raise InvalidInput(_("请填写机构名称。"), field="firm_name")
    code = clean_uscc(uscc or "")
    if code != user.id_number or firm_name != user.real_name:
        raise InvalidInput(_("机构名称和统一社会信用代码须与实名认证信息一致。"), field="uscc")
    scope_note = (scope_note or "").strip()
    if len(scope_note) > 500 or "\x00" in scope_note:
        raise InvalidInput(_("业务范围说明不能超过500字。"), field="scope_note")
    check_document(licence, field="licence")
    check_document(business_document, field="business_document")
    with transaction.atomic(), audit.action(user, "broker.apply"):
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per member
        mine = BrokerApplication.objects.filter(user=user)
        if mine.filter(status=BrokerApplication.Status.APPROVED).exists():
            raise Conflict(_("您已是经纪会员。"))
        if mine.filter(status=BrokerApplication.Status.PENDING).exists():
            raise Conflict(_("您已有待审核的经纪会员资格申请，请耐心等待。"))
        try:
            with transaction.atomic():
                application = BrokerApplication.objects.create(
                    user=user, firm_name=firm_name, uscc=code, licence=licence, business_document=business_document,
                    scope_note=scope_note, submitted_at=clock.now(),
                )  # fmt: skip
        except IntegrityError as exc:
            raise Conflict(_("您已有待审核的经纪会员资格申请，请耐心等待。")) from exc

        notify_staff(
            REVIEW_PERM,
            kind="staff.broker_application",
            subject=_("经纪会员资格待审核：%(n)s") % {"n": firm_name},
            url=reverse("admin:brokers_brokerapplication_review", args=[application.pk]),
            dedupe_key=f"broker_application:{application.pk}:submitted",
        )
    return application


def _pending_application(application_id: int) -> BrokerApplication:
    application = BrokerApplication.objects.select_for_update().filter(pk=application_id).first()
    if application is None:
        raise NotFound(_("申请不存在。"))
    if application.status != BrokerApplication.Status.PENDING:
        raise IllegalTransition(
            _("该申请已处理（%(s)s），不能重复审核。") % {"s": application.get_status_display()},
            status=application.status,
        )
    return application


def broker_approve(*, application_id: int, actor: User) -> BrokerApplication:
    """Staff approve a pending request: the member gets the 合作商户 role and is notified.

    Needs `brokers.review_brokerapplication`; a member cannot review their own request.
    Raises NotFound, IllegalTransition (already decided). Audited `broker.approve`.
    """
    _require_reviewer(actor)
    with transaction.atomic(), audit.action(actor, "broker.approve", application_id=application_id):
        application = _pending_application(application_id)
        if application.user_id == actor.pk:
            raise PermissionDenied(_("不能审核自己的申请。"))
        application.status = BrokerApplication.Status.APPROVED
        application.reviewed_by, application.reviewed_at = actor, clock.now()
        application.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        application.user.groups.add(_partner_group())
        _notify(
            application.user,
            kind="account.broker_approved",
            subject=_("经纪会员资格审核通过"),
            body=_("您可以请转让方在线确认委托后，代其挂牌转让。"),
            url=reverse("brokers:mandates_given"),
            key=f"broker_application:{application.pk}:approved",
        )
    return application


def broker_reject(*, application_id: int, actor: User, reason: str) -> BrokerApplication:
    """Staff reject a pending request with a reason the member sees (notified).
    Audited `broker.reject`."""
    _require_reviewer(actor)
    reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, "broker.reject", application_id=application_id, reason=reason):
        application = _pending_application(application_id)
        application.status, application.reason = BrokerApplication.Status.REJECTED, reason
        application.reviewed_by, application.reviewed_at = actor, clock.now()
        application.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        _notify(
            application.user,
            kind="account.broker_rejected",
            subject=_("经纪会员资格申请未通过"),
            body=_("原因：%(r)s") % {"r": reason},
            url=reverse("brokers:apply"),
            key=f"broker_application:{application.pk}:rejected",
        )
    return application


def broker_revoke(*, application_id: int, actor: User, reason: str) -> BrokerApplication:
    """Staff withdraw an approved broker status (the 合作商户 role goes; the broker can no
    longer act under any mandate). Reason required; notified; audited `broker.revoke`."""
    _require_reviewer(actor)
    reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, "broker.revoke", application_id=application_id, reason=reason):
        application = BrokerApplication.objects.select_for_update().filter(pk=application_id).first()
        if application is None:
            raise NotFound(_("申请不存在。"))
        if application.status != BrokerApplication.Status.APPROVED:
            raise IllegalTransition(_("只有已通过的经纪会员资格可以撤销。"), status=application.status)
        application.status, application.reason = BrokerApplication.Status.REVOKED, reason
        application.reviewed_by, application.reviewed_at = actor, clock.now()
        application.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        application.user.groups.remove(_partner_group())
        _notify(
            application.user,
            kind="account.broker_revoked",
            subject=_("您的经纪会员资格已被撤销"),
            body=_("原因：%(r)s") % {"r": reason},
            url=reverse("brokers:apply"),
            key=f"broker_application:{application.pk}:revoked",
        )
    return application


# --------------------------------------------------------------------------- mandates


def _find_seller(identifier: str) -> User:
    identifier = (identifier or "").strip()[:20]
    seller = (
        User.objects.filter(Q(phone=identifier) | Q(member_no=identifier), is_staff=False, is_active=True).first()
        if identifier
        else None
    )
    if seller is None:
        raise InvalidInput(_("找不到该会员，请核对委托人的手机号或会员编号。"), field="seller")
    return seller


def mandate_request(
    *,
    broker: User,
    seller: str,
    subject: str,
    category: str = "",
    max_projects: int = 1,
    may_sign: bool = False,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Mandate:
    """A broker asks a seller (by phone or member number) for a mandate of the given scope
    and term. The seller accepts or declines online; nothing is in force before that.

    Refused when the actor is not a broker (NotABroker), the seller is the broker itself,
    the term is not from today on or longer than BROKERS_MANDATE_MAX_DAYS, or the scope
    is invalid. Notifies the seller (`listing.mandate_requested`). Audited `mandate.request`.
    """

    _require_member(broker)
    if not is_broker(broker):
        raise NotABroker(_("只有经审核的经纪会员可以申请委托。"))
    target = _find_seller(seller)
    if target.pk == broker.pk:
        raise InvalidInput(_("不能委托给自己。"), field="seller")
    subject = (subject or "").strip()
    if not subject or len(subject) > 200 or "\x00" in subject:
        raise InvalidInput(_("请填写委托事项（200字以内）。"), field="subject")
    if category and category not in Category.values:
        raise InvalidInput(_("请选择交易品种。"), field="category")
    try:
        count = int(max_projects)
    except (TypeError, ValueError):
        raise InvalidInput(_("请填写可代为挂牌的项目数。"), field="max_projects") from None
    if not 1 <= count <= conf.mandate_max_projects():
        raise InvalidInput(
            _("可代为挂牌的项目数须在1到%(n)s之间。") % {"n": conf.mandate_max_projects()}, field="max_projects"
        )
    today = clock.today()
    if starts_on < today:
        raise InvalidInput(_("委托起始日不能早于今天。"), field="starts_on")
    if ends_on < starts_on:
        raise InvalidInput(_("委托截止日不能早于起始日。"), field="ends_on")
    if (ends_on - starts_on).days + 1 > conf.mandate_max_days():
        raise InvalidInput(_("委托期限不能超过%(n)s天。") % {"n": conf.mandate_max_days()}, field="ends_on")
    with transaction.atomic(), audit.action(broker, "mandate.request", seller_id=target.pk):
        mandate = Mandate.objects.create(
            broker=broker, seller=target, subject=subject, category=category, max_projects=count,
            may_sign=bool(may_sign), starts_on=starts_on, ends_on=ends_on, requested_at=clock.now(),
        )  # fmt: skip
        _notify(
            target,
            kind="listing.mandate_requested",
            subject=_("%(b)s请求您的挂牌委托，请确认") % {"b": broker.real_name or broker.name},
            body=_("委托事项：%(s)s；期限：%(a)s 至 %(e)s。请在“收到的委托”中确认或拒绝。")
            % {"s": subject, "a": starts_on.isoformat(), "e": ends_on.isoformat()},
            url=reverse("brokers:mandates_received"),
            key=f"mandate:{mandate.pk}:requested",
        )
    return mandate


def _seller_mandate(mandate_id: int, seller: Any) -> Mandate:
    """The seller's own mandate, locked; someone else's is NotFound (no existence oracle)."""
    mandate = Mandate.objects.select_for_update().select_related("broker").filter(pk=mandate_id).first()
    if mandate is None or mandate.seller_id != getattr(seller, "pk", None):
        raise NotFound(_("委托不存在。"))
    return mandate


def mandate_accept(*, mandate_id: int, seller: User) -> Mandate:
    """The seller accepts a pending mandate: from its start date the broker may file (and,
    if the scope says so, sign) for the seller. The seller must be verified. Notifies the
    broker; audited `mandate.accept`."""
    _require_member(seller)
    with transaction.atomic(), audit.action(seller, "mandate.accept", mandate_id=mandate_id):
        mandate = _seller_mandate(mandate_id, seller)
        if mandate.status != Mandate.Status.PENDING:
            raise IllegalTransition(_("该委托已处理。"), status=mandate.status)
        if not seller.is_verified:
            raise PermissionDenied(_("请先完成实名认证，再确认委托。"))
        if mandate.ends_on < clock.today():
            raise IllegalTransition(_("委托期限已过，不能再确认。"))
        mandate.status, mandate.decided_at = Mandate.Status.ACCEPTED, clock.now()
        mandate.save(update_fields=["status", "decided_at"])
        _notify(
            mandate.broker,
            kind="listing.mandate_accepted",
            subject=_("%(s)s已确认您的挂牌委托") % {"s": seller.real_name or seller.name},
            body=_("委托事项：%(s)s") % {"s": mandate.subject},
            url=reverse("brokers:mandates_given"),
            key=f"mandate:{mandate.pk}:accepted",
        )
    return mandate


def mandate_decline(*, mandate_id: int, seller: User, reason: str = "") -> Mandate:
    """The seller declines a pending mandate (reason optional). Notifies the broker; audited."""
    _require_member(seller)
    reason = _reason(reason, required=False)
    with transaction.atomic(), audit.action(seller, "mandate.decline", mandate_id=mandate_id, reason=reason):
        mandate = _seller_mandate(mandate_id, seller)
        if mandate.status != Mandate.Status.PENDING:
            raise IllegalTransition(_("该委托已处理。"), status=mandate.status)
        mandate.status, mandate.decided_at, mandate.decline_reason = Mandate.Status.DECLINED, clock.now(), reason
        mandate.save(update_fields=["status", "decided_at", "decline_reason"])
        _notify(
            mandate.broker,
            kind="listing.mandate_declined",
            subject=_("%(s)s拒绝了您的挂牌委托申请") % {"s": seller.real_name or seller.name},
            body=reason,
            url=reverse("brokers:mandates_given"),
            key=f"mandate:{mandate.pk}:declined",
        )
    return mandate


def mandate_revoke(*, mandate_id: int, seller: User, reason: str) -> Mandate:
    """The seller revokes an accepted mandate (reason required): from now on the broker can
    no longer act on its projects (file, edit, submit, opinions, signing). Notifies the
    broker; audited `mandate.revoke`."""
    _require_member(seller)
    reason = _reason(reason)
    with transaction.atomic(), audit.action(seller, "mandate.revoke", mandate_id=mandate_id, reason=reason):
        mandate = _seller_mandate(mandate_id, seller)
        if mandate.status != Mandate.Status.ACCEPTED:
            raise IllegalTransition(_("只有已生效的委托可以撤销。"), status=mandate.status)
        mandate.status, mandate.revoked_at, mandate.revoke_reason = Mandate.Status.REVOKED, clock.now(), reason
        mandate.save(update_fields=["status", "revoked_at", "revoke_reason"])
        _notify(
            mandate.broker,
            kind="listing.mandate_revoked",
            subject=_("%(s)s已撤销对您的挂牌委托") % {"s": seller.real_name or seller.name},
            body=_("原因：%(r)s") % {"r": reason},
            url=reverse("brokers:mandates_given"),
            key=f"mandate:{mandate.pk}:revoked",
        )
    return mandate


def mandate_file_project(
    *, broker: User, seller: User, category: str, project_id: int, mandate_id: int | None = None
) -> MandateProject:
    """Record that the broker filed `project_id` for `seller` under a mandate in force whose
    scope covers `category` and still has room (the given one, else the one ending first).

    Called by `listings.services.project_create` inside its transaction (the mandate row is
    locked, so two filings cannot both take the last place). Raises NoMandate otherwise.
    """

    if not is_broker(broker):
        raise NotABroker(_("只有经审核的经纪会员可以代他人挂牌。"))
    today = clock.today()
    with transaction.atomic(), audit.action(broker, "mandate.file_project", project_id=project_id):
        qs = Mandate.objects.select_for_update().filter(
            broker=broker, seller=seller, status=Mandate.Status.ACCEPTED, starts_on__lte=today, ends_on__gte=today
        )
        if mandate_id is not None:
            qs = qs.filter(pk=mandate_id)
        for mandate in qs.order_by("ends_on", "pk"):
            if mandate.category and mandate.category != category:
                continue
            if mandate.projects.count() >= mandate.max_projects:
                continue
            return MandateProject.objects.create(mandate=mandate, project_id=project_id, filed_at=clock.now())
    raise NoMandate(
        _("您没有该转让方有效的挂牌委托（须经转让方在线确认、在委托期限内、品种和项目数在委托范围内）。"),
        field="seller",
    )
