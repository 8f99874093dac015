"""The certificate (交易凭证): issue, revoke, catch up."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import Conflict, IllegalTransition, NotFound
from exchange.core.permissions import require, require_staff
from exchange.deals import conf
from exchange.deals.facts import certificate_facts
from exchange.deals.models import Certificate, Deal
from exchange.deals.services.common import (
    NotFullyPaid,
    S,
    _lock,
    _notify_parties,
    _number,
    _reason,
    _transition,
)
from exchange.deals.services.payment import deal_paid
from exchange.settlement import services as settlement
from exchange.settlement.selectors import PlanStatus, price_plan_status, settled_plan_project_ids


def certificate_issue(*, deal_id: int, actor: Any = None) -> Certificate:
    """Issue the 交易凭证 once price and fees are fully paid (staff with
    deals.issue_certificate, or the system). One valid certificate per project: a deal
    whose certificate was revoked may get a replacement. Schedules the release to the
    seller (settlement.seller_release). Raises NotFullyPaid before full payment."""

    require(actor, "deals.issue_certificate")
    with transaction.atomic(), audit.action(actor, "certificate.issue", deal_id=deal_id):
        deal = _lock(deal_id)
        valid = Certificate.objects.filter(project_id=deal.project_id, revoked_at__isnull=True).first()
        if valid is not None:
            if valid.deal_id == deal.pk:
                return valid
            raise Conflict(_("该项目已有有效的交易凭证。"))
        replacing = deal.status in (S.CERTIFICATE_ISSUED, S.FUNDS_RELEASED, S.CLOSED)
        plan_status = price_plan_status(deal.project_id)
        paid = plan_status is not None and plan_status != PlanStatus.OPEN
        if not replacing and (deal.status != S.PAID or not paid):
            raise NotFullyPaid(status=deal.status)
        now = clock.now()
        today = timezone.localdate(now)
        cert = Certificate.objects.create(
            deal=deal,
            project_id=deal.project_id,
            check_code=secrets.token_hex(8),  # no '-' or '_': the printed URL survives a line break
            facts=certificate_facts(deal),
            issued_at=now,
            issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        cert.number = _number(conf.certificate_prefix(), today.year, cert.pk)
        cert.save(update_fields=["number"])
        if not replacing:
            _transition(deal, S.CERTIFICATE_ISSUED)
            settlement.seller_release(project_id=deal.project_id, certificate_issued_on=today)
        _notify_parties(
            deal,
            kind="deal.certificate_issued",
            subject=_("“%(t)s”交易凭证已出具（%(n)s）") % {"t": deal.project_title, "n": cert.number},
        )
    return cert


def certificate_revoke(*, certificate_id: int, actor: Any, reason: str) -> Certificate:
    """Revoke a certificate with a reason (staff with deals.revoke_certificate; audited).
    The public verification page then says it was revoked. Revoking twice is refused."""
    require_staff(actor, "deals.revoke_certificate")
    reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, "certificate.revoke", certificate_id=certificate_id, reason=reason):
        cert = Certificate.objects.select_for_update().select_related("deal").filter(pk=certificate_id).first()
        if cert is None:
            raise NotFound(_("交易凭证不存在。"))
        if cert.revoked_at is not None:
            raise Conflict(_("该交易凭证已撤销。"))
        cert.revoked_at, cert.revoked_by, cert.revoke_reason = clock.now(), actor, reason
        cert.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        deal = Deal.objects.select_related("project", "buyer", "seller").get(pk=cert.deal_id)
        _notify_parties(
            deal, kind="deal.certificate_revoked", subject=_("交易凭证 %(n)s 已撤销") % {"n": cert.number}, body=reason
        )
    return cert


def certificates_due_run() -> int:
    """Catch up what the price_paid handler normally does at once: EFFECTIVE deals whose
    price plan is paid become PAID; every PAID deal gets its certificate (auto-issue on)."""

    for project_id in Deal.objects.filter(
        status=S.EFFECTIVE,
        project_id__in=settled_plan_project_ids(),
    ).values_list("project_id", flat=True):
        deal_paid(project_id=project_id)
    if not conf.certificate_auto_issue():
        return 0
    count = 0
    for pk in Deal.objects.filter(status=S.PAID).values_list("pk", flat=True):
        try:
            certificate_issue(deal_id=pk)
        except (IllegalTransition, Conflict):
            continue
        count += 1
    return count
