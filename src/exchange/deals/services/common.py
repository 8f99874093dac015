"""The deal state machine, errors and helpers (locks, notifications, fees, numbers)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.brokers.selectors import may_act
from exchange.core import clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.errors import NotFound as NoSchedule
from exchange.core.money import quantize_money
from exchange.deals import conf
from exchange.deals.models import Deal
from exchange.members.services import notify, notify_staff
from exchange.settlement import fees

logger = logging.getLogger(__name__)
S = Deal.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.CONTRACT_SIGNED, S.DEFAULTED}),
    S.CONTRACT_SIGNED: frozenset({S.EFFECTIVE, S.OPEN, S.DEFAULTED}),  # → OPEN: returned by the exchange
    S.EFFECTIVE: frozenset({S.PAID, S.DEFAULTED}),
    S.PAID: frozenset({S.CERTIFICATE_ISSUED}),
    S.CERTIFICATE_ISSUED: frozenset({S.FUNDS_RELEASED, S.PAID}),  # → PAID: certificate revoked
    S.FUNDS_RELEASED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.DEFAULTED: frozenset(),
}
DEFAULTABLE = (S.OPEN, S.CONTRACT_SIGNED, S.EFFECTIVE)
FEE_METHOD: dict[str, str] = {Deal.Kind.AUCTION: "bidding", Deal.Kind.AGREEMENT: "agreement"}


class DealExists(Conflict):
    code = "deal_exists"
    default_message = gettext_lazy("该项目本轮已成交，不能再次成交。")


class NotYourSide(PermissionDenied):
    code = "not_your_side"
    default_message = gettext_lazy("您不是该合同的当事方，不能代他人签署。")


class AlreadySigned(Conflict):
    code = "already_signed"
    default_message = gettext_lazy("您已签署过该合同，无需重复签署。")


class DeadlinePassed(IllegalTransition):
    code = "deadline_passed"
    default_message = gettext_lazy("已超过截止日期，不能再办理。")


class NotFullyPaid(IllegalTransition):
    code = "not_fully_paid"
    default_message = gettext_lazy("价款和服务费尚未付清，不能出具交易凭证。")


class BuyerBarred(PermissionDenied):
    code = "buyer_barred"
    default_message = gettext_lazy("该会员曾在本项目违约，不得参与本项目的重新交易。")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    default_message = gettext_lazy("请填写原因。")


# --------------------------------------------------------------------------- helpers


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise ReasonRequired(field=field)
    if len(reason) > 300:
        raise InvalidInput(_("原因不能超过300个字。"), field=field)
    return reason


def _lock(deal_id: int) -> Deal:
    try:
        return Deal.objects.select_for_update().select_related("project", "buyer", "seller").get(pk=deal_id)
    except Deal.DoesNotExist:
        raise NotFound(_("成交记录不存在。")) from None


def _transition(deal: Deal, to: str, *, fields: tuple[str, ...] = ()) -> None:
    """Move a locked deal to `to` if TRANSITIONS allows it; save `fields` with it (audited
    by the caller's `audit.action`)."""
    frm = deal.status
    if to not in TRANSITIONS[frm]:
        raise IllegalTransition(
            _("成交当前状态为“%(frm)s”，不能变为“%(to)s”。") % {"frm": S(frm).label, "to": S(to).label},
            status=frm,
        )
    deal.status = to
    deal.updated_at = clock.now()
    deal.save(update_fields=sorted({"status", "updated_at", *fields}))


def deal_url(deal: Deal) -> str:
    return reverse("deals:member_deal", args=[deal.pk])


def _notify(user: Any, *, kind: str, subject: str, body: str = "", url: str = "", dedupe_key: str = "") -> None:
    """Notify a member through members.notify (in-site now, e-mail/SMS after commit)."""
    notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=dedupe_key)


def _notify_parties(deal: Deal, *, kind: str, subject: str, body: str = "") -> None:
    url = deal_url(deal)
    recipients = {deal.buyer_id: deal.buyer, deal.seller_id: deal.seller}
    broker = deal.project.broker
    if broker is not None and may_act(broker, deal.project):  # only while the seller's mandate is in force
        recipients.setdefault(broker.pk, broker)
    for pk, user in recipients.items():
        _notify(
            user,
            kind=kind,
            subject=subject,
            body=body,
            url=url,
            dedupe_key=f"{kind}:{deal.pk}:{deal.updated_at:%Y%m%d%H%M%S%f}:{pk}",
        )


def _notify_staff(perm: str, *, kind: str, subject: str, url: str, dedupe_key: str) -> None:
    notify_staff(perm, kind=kind, subject=subject, url=url, dedupe_key=dedupe_key)


def _fee_working(result: Any, *, side: str, method: str) -> dict[str, Any]:
    """A JSON snapshot of settlement's fee result (every Decimal as a string)."""
    return {
        "side": side,
        "method": method,
        "schedule": result.schedule_name,
        "schedule_id": result.schedule_id,
        "amount": str(result.amount),
        "bands": [
            {
                "lower": str(b.lower),
                "upper": None if b.upper is None else str(b.upper),
                "rate": str(b.rate),
                "base": str(b.base),
                "fee": str(quantize_money(b.fee)),
            }
            for b in result.bands
        ],
        "tiered": str(result.tiered),
        "rate": str(result.rate),
        "quick_deduction": str(quantize_money(result.quick_deduction)),
        "minimum": str(result.minimum),
        "minimum_applied": result.minimum_applied,
        "maximum": None if result.maximum is None else str(result.maximum),
        "maximum_applied": result.maximum_applied,
        "service_fee": str(result.service_fee),
        "fixed": [[name, str(amount)] for name, amount in result.fixed],
        "discount": str(result.discount),
        "total": str(result.total),
    }


def deal_fees(*, price: Decimal, method: str, category: str, on: dt.date) -> dict[str, tuple[Decimal, dict[str, Any]]]:
    """Each side's service fee on `price` with its working, from settlement's fee engine.
    A side without an applicable schedule pays nothing (its working says so)."""

    out: dict[str, tuple[Decimal, dict[str, Any]]] = {}
    for side in ("buyer", "seller"):
        try:
            result = fees.fee_compute(amount=price, method=method, side=side, category=category, on=on)
        except NoSchedule:
            out[side] = (Decimal("0.00"), {"side": side, "method": method, "schedule": "", "total": "0.00"})
            continue
        out[side] = (result.total, _fee_working(result, side=side, method=method))
    return out


def contract_template_for(category: str) -> str:
    """The contract template of a category: its own where one exists, else the default."""

    try:
        get_template(f"deals/contracts/{category}.html")
    except TemplateDoesNotExist:
        return "default"
    return category


def sign_deadline_for(day: dt.date) -> workdays.WorkdayResult:
    """The signing deadline of a deal struck (or a contract returned) on `day`: the N-th
    working day after it (the parties sign within N working days), provisional beyond the known calendar."""
    return workdays.add_workdays_detailed(day, conf.sign_workdays())


def _number(prefix: str, year: int, pk: int) -> str:
    return f"{prefix}{year}{pk:06d}"
