"""Price payment: the deal becomes PAID; finance records a payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.core.permissions import require_staff
from exchange.deals import conf
from exchange.deals.facts import result_notice_extra, result_notice_facts, result_rule
from exchange.deals.models import Deal
from exchange.deals.services.common import S, _notify_parties, _transition
from exchange.listings import services as listings
from exchange.settlement import services as settlement

# --------------------------------------------------------------------------- payment, notice, certificate


def deal_paid(*, project_id: int, plan_id: int | None = None) -> Deal | None:
    """Settlement's `price_paid`: the deal becomes PAID, the 成交公告 is published (≥N WD
    publicity) and the certificate falls due within N WD. Idempotent; None if the project
    has no deal waiting for payment."""

    with transaction.atomic(), audit.action(None, "deal.paid", project_id=project_id, plan_id=plan_id):
        deal = (
            Deal.objects.select_for_update()
            .filter(project_id=project_id, status=S.EFFECTIVE)
            .select_related("project", "buyer", "seller")
            .first()
        )
        if deal is None:
            return None
        now = clock.now()
        today = timezone.localdate(now)
        deal.paid_at = now
        deal.certificate_due_on = workdays.add_workdays(today, conf.certificate_workdays())
        rule = result_rule(deal.project)
        period_end = workdays.add_workdays(today, rule.publicity_workdays)
        deal.result_notice_facts = result_notice_facts(deal, rule)
        deal.publish_buyer_name = rule.publishes("buyer")
        notice = listings.notice_publish(
            project_id=deal.project_id,
            kind="result",
            actor=None,
            extra=result_notice_extra(deal, period_start=today, period_end=period_end),
            period_end=period_end,
        )
        deal.result_notice = notice
        _transition(
            deal,
            S.PAID,
            fields=("paid_at", "certificate_due_on", "result_notice", "result_notice_facts", "publish_buyer_name"),
        )
        _notify_parties(
            deal, kind="deal.paid", subject=_("“%(t)s”价款及服务费已付清，成交公告已发布") % {"t": deal.project_title}
        )
    return deal


def deal_payment_record(*, deal_id: int, amount: Decimal, reference: str, actor: Any) -> Deal:
    """Finance records a price payment that arrived for this deal (settlement's
    price_payment_record: refuses more than is owed, idempotent on the bank reference).
    Settlement's error (wrong amount…) reaches the caller unchanged."""

    require_staff(actor, "settlement.resolve_statementline")
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_("请填写银行流水号。"), field="reference")
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None:
        raise NotFound(_("成交记录不存在。"))
    if deal.status != S.EFFECTIVE or deal.price_plan_id is None:
        raise IllegalTransition(_("合同生效后才能登记价款。"), status=deal.status)
    settlement.price_payment_record(plan_id=deal.price_plan_id, amount=amount, reference=reference, actor=actor)
    deal.refresh_from_db()
    return deal
