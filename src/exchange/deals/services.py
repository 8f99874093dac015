"""Deal services: everything after a deal is struck (DOMAIN §2 and §5).

deal → contract (both parties sign within N WD) → exchange review → effective (deposit
converts, price plan opens) → paid (settlement's `price_paid`) → 成交公告 → 交易凭证 →
release to the seller (settlement's `seller_released`) → closed; or → DEFAULTED (悔拍:
deposit forfeited, buyer barred from the re-sale, staff relist).

Each public service is keyword-only, one transaction (`transaction.atomic`), audited
through `audit.action`, guarded by `TRANSITIONS`; bad input raises a `DomainError`
subclass with a stable code and nothing is written. Other apps pass `actor=None` (the
system); staff actors are checked against their permissions here.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.core import audit, clock, workdays
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.money import format_yuan, quantize_money
from exchange.deals import conf
from exchange.deals.models import Certificate, Contract, Deal, method_label

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


def _require(actor: Any, perm: str) -> None:
    """Staff actors need `perm`; actor None is the system (another app, a task)."""
    if actor is None:
        return
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm(perm)):
        raise PermissionDenied()


def _require_system(actor: Any) -> None:
    """Steps only the system takes (trading's outcome, the jobs): a user actor is refused."""
    if actor is not None:
        raise PermissionDenied()


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
    try:
        from exchange.members.services import notify
    except ImportError:  # members not built yet: notifications are best effort
        return
    notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=dedupe_key)


def _notify_parties(deal: Deal, *, kind: str, subject: str, body: str = "") -> None:
    url = deal_url(deal)
    recipients = {deal.buyer_id: deal.buyer, deal.seller_id: deal.seller}
    broker = deal.project.broker
    if broker is not None:
        from exchange.brokers.selectors import may_act

        if may_act(broker, deal.project):  # only while the seller's mandate is in force
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
    try:
        from exchange.members.services import notify_staff
    except ImportError:
        return
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
    from exchange.core.errors import NotFound as NoSchedule
    from exchange.settlement import fees

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
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template(f"deals/contracts/{category}.html")
    except TemplateDoesNotExist:
        return "default"
    return category


def sign_deadline_for(day: dt.date) -> workdays.WorkdayResult:
    """The signing deadline of a deal struck (or a contract returned) on `day`: the N-th
    working day after it (DOMAIN: "within N WD"), provisional beyond the known calendar."""
    return workdays.add_workdays_detailed(day, conf.sign_workdays())


def _number(prefix: str, year: int, pk: int) -> str:
    return f"{prefix}{year}{pk:06d}"


# --------------------------------------------------------------------------- deal_open


def deal_open(
    *,
    project_id: int,
    buyer_id: int,
    price: Decimal,
    kind: str,
    auction_id: int | None = None,
    bidder_no: str = "",
    actor: Any = None,
) -> Deal:
    """Open the deal of the project's current round (auction won or agreement).

    Idempotent per (project, round): the same buyer and price return the existing deal; a
    different one raises DealExists. In one transaction: the project → DEAL (from BIDDING
    or DISCLOSURE_ENDED; already DEAL is accepted), the deal with both sides' fees (with
    their working), the contract draft and the signing deadline (N WD), the refund of
    every other deposit scheduled (settlement.deposit_refund_schedule, the buyer kept),
    buyer and seller (and broker) notified. Raises InvalidInput for a bad kind or price,
    IllegalTransition when the project cannot become a deal.
    """
    _require_system(actor)
    from exchange.accounts.models import User
    from exchange.listings import services as listings
    from exchange.listings.models import Project
    from exchange.listings.models import Status as ProjectStatus
    from exchange.settlement import services as settlement

    if kind not in Deal.Kind.values:
        raise InvalidInput(_("成交方式只能是网络竞价或协议成交。"), field="kind")
    if not isinstance(price, Decimal):
        raise InvalidInput(_("成交价须为金额。"), field="price")
    price = quantize_money(price)
    if price <= 0:
        raise InvalidInput(_("成交价必须大于零。"), field="price")
    with transaction.atomic(), audit.action(actor, "deal.open", project_id=project_id, buyer_id=buyer_id, price=price):
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except Project.DoesNotExist:
            raise NotFound(_("项目不存在。")) from None
        existing = Deal.objects.filter(project=project, round=project.round).first()
        if existing is not None:
            if existing.buyer_id == buyer_id and existing.price == price:
                return existing
            raise DealExists(deal_id=existing.pk)
        buyer = User.objects.filter(pk=buyer_id).first()
        if buyer is None:
            raise NotFound(_("受让方不存在。"), field="buyer_id")
        if buyer.pk == project.seller_id:
            raise InvalidInput(_("受让方不能是转让方本人。"), field="buyer_id")
        if price < project.floor_price:
            raise InvalidInput(_("成交价不得低于转让底价。"), field="price")
        if buyer.pk in _barred(project.pk):
            raise BuyerBarred(field="buyer_id")
        if project.status != ProjectStatus.DEAL:
            listings.project_trade_move(project_id=project.pk, to=ProjectStatus.DEAL, actor=actor, reason="deal")
        now = clock.now()
        today = timezone.localdate(now)
        method = FEE_METHOD[kind]
        fees = deal_fees(price=price, method=method, category=project.category, on=today)
        deadline = sign_deadline_for(today)
        deal = Deal.objects.create(
            project=project,
            round=project.round,
            project_code=project.code or "",
            project_title=project.title,
            buyer=buyer,
            seller_id=project.seller_id,
            kind=kind,
            auction_id=auction_id,
            bidder_no=bidder_no[:20],
            price=price,
            fee_method=method,
            buyer_fee=fees["buyer"][0],
            buyer_fee_working=fees["buyer"][1],
            seller_fee=fees["seller"][0],
            seller_fee_working=fees["seller"][1],
            publish_buyer_name=result_rule(project).publishes("buyer"),
            opened_at=now,
            sign_deadline=deadline.date,
            sign_deadline_provisional=deadline.provisional,
            updated_at=now,
        )
        contract = Contract.objects.create(deal=deal, template=contract_template_for(project.category), created_at=now)
        contract.number = _number(conf.contract_prefix(), today.year, contract.pk)
        contract.save(update_fields=["number"])
        settlement.deposit_refund_schedule(project_id=project.pk, result_on=today, keep_member_ids=[buyer.pk])
        _notify_parties(
            deal,
            kind="deal.opened",
            subject=_("项目“%(t)s”已成交，请于 %(d)s 前签署产权交易合同")
            % {"t": project.title, "d": deal.sign_deadline.isoformat()},
            body=_("成交价 %(p)s。") % {"p": format_yuan(price)},
        )
    return deal


def _barred(project_id: int) -> set[int]:
    from exchange.deals.selectors import barred_member_ids

    return barred_member_ids(project_id)


# --------------------------------------------------------------------------- contract


def contract_sign(*, deal_id: int, actor: Any, side: str) -> Deal:
    """A party confirms (signs) the contract online, within the signing deadline.

    Only the buyer signs as buyer; only the seller — or the project's broker under the
    seller's mandate in force whose scope includes signing (`brokers.selectors.may_act`) —
    signs as seller (NotYourSide otherwise). Signing twice raises AlreadySigned, after the deadline
    DeadlinePassed, outside OPEN IllegalTransition; nothing changes on any of them. When
    both have signed the deal becomes CONTRACT_SIGNED and the exchange is asked to review.
    """
    if side not in ("buyer", "seller"):
        raise InvalidInput(_("签署方只能是受让方或转让方。"), field="side")
    with transaction.atomic(), audit.action(actor, "contract.sign", deal_id=deal_id, side=side):
        deal = _lock(deal_id)
        user_id = getattr(actor, "pk", None)
        if side == "buyer" and user_id != deal.buyer_id:
            raise NotYourSide()
        if side == "seller" and user_id != deal.seller_id:
            from exchange.brokers.selectors import may_act

            if not may_act(actor, deal.project, sign=True):
                raise NotYourSide()
        signed_at = deal.buyer_signed_at if side == "buyer" else deal.seller_signed_at
        if signed_at is not None:
            raise AlreadySigned()
        if deal.status != S.OPEN:
            raise IllegalTransition(_("合同当前不在签署阶段。"), status=deal.status)
        now = clock.now()
        if timezone.localdate(now) > deal.sign_deadline:
            raise DeadlinePassed(_("签约截止日 %(d)s 已过，不能再签署。") % {"d": deal.sign_deadline.isoformat()})
        if side == "buyer":
            deal.buyer_signed_at = now
            fields: tuple[str, ...] = ("buyer_signed_at",)
        else:
            deal.seller_signed_at, deal.seller_signed_by = now, actor
            fields = ("seller_signed_at", "seller_signed_by")
        if deal.buyer_signed_at and deal.seller_signed_at:
            _transition(deal, S.CONTRACT_SIGNED, fields=fields)
            _notify_parties(
                deal,
                kind="deal.contract_signed",
                subject=_("“%(t)s”合同双方已签署，等待交易中心审核") % {"t": deal.project_title},
            )
            _notify_staff(
                "deals.review_contract",
                kind="deal.contract_review",
                subject=_("合同待审核：%(t)s") % {"t": deal.project_title},
                url=reverse("deals:staff_deal", args=[deal.pk]),
                dedupe_key=f"deal.review:{deal.pk}:{now:%Y%m%d%H%M%S}",
            )
        else:
            deal.updated_at = now
            deal.save(update_fields=[*fields, "updated_at"])
    return deal


def _winner_deposit(deal: Deal) -> Any:
    from exchange.settlement.models import DepositInstruction

    return (
        DepositInstruction.objects.filter(project_id=deal.project_id, member_id=deal.buyer_id)
        .order_by("-created_at")
        .first()
    )


def contract_review(
    *,
    deal_id: int,
    actor: Any,
    decision: str,
    reason: str = "",
    instalments: list[tuple[dt.date, Decimal]] | None = None,
    guarantee: str = "",
    annual_interest_rate: Decimal = Decimal("0"),
) -> Deal:
    """The exchange reviews the signed contract (staff with deals.review_contract).

    approve: the contract takes effect today, the winner's confirmed deposit converts into
    part of the price (settlement.deposit_convert) and the price plan opens
    (settlement.price_plan_create: lump sum within N WD, or instalments validated there:
    first ≥30% within N WD, a guarantee, ≤1 year). return: a reason is required; both
    signatures are cleared and the parties sign again within a new N-WD deadline.
    """
    from exchange.settlement import services as settlement
    from exchange.settlement.models import DepositInstruction, PricePlan

    _require_staff(actor, "deals.review_contract")
    if decision not in ("approve", "return"):
        raise InvalidInput(_("审核意见只能是通过或退回。"), field="decision")
    if decision == "return":
        reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, f"contract.{decision}", deal_id=deal_id, reason=reason):
        deal = _lock(deal_id)
        if deal.status != S.CONTRACT_SIGNED:
            raise IllegalTransition(_("只有双方均已签署的合同可以审核。"), status=deal.status)
        now = clock.now()
        today = timezone.localdate(now)
        deal.reviewed_by, deal.reviewed_at = actor, now
        if decision == "return":
            deadline = sign_deadline_for(today)
            deal.return_reason = reason
            deal.buyer_signed_at = deal.seller_signed_at = None
            deal.seller_signed_by = None
            deal.sign_deadline, deal.sign_deadline_provisional = deadline.date, deadline.provisional
            _transition(
                deal,
                S.OPEN,
                fields=("reviewed_by", "reviewed_at", "return_reason", "buyer_signed_at", "seller_signed_at",
                        "seller_signed_by", "sign_deadline", "sign_deadline_provisional"),
            )  # fmt: skip
            _notify_parties(
                deal,
                kind="deal.contract_returned",
                subject=_("“%(t)s”合同被退回，请于 %(d)s 前重新签署")
                % {"t": deal.project_title, "d": deal.sign_deadline},
                body=reason,
            )
            return deal
        deposit = _winner_deposit(deal)
        if deposit is not None and deposit.status == DepositInstruction.Status.CONFIRMED:
            settlement.deposit_convert(instruction_id=deposit.pk)
        plan = settlement.price_plan_create(
            project_id=deal.project_id,
            project_code=deal.project_code,
            project_title=deal.project_title,
            buyer=deal.buyer,
            seller=deal.seller,
            price=deal.price,
            contract_effective_on=today,
            mode=PricePlan.Mode.INSTALMENTS if instalments else PricePlan.Mode.LUMP_SUM,
            instalments=instalments,
            guarantee=guarantee,
            annual_interest_rate=annual_interest_rate,
            buyer_fee=deal.buyer_fee,
            seller_fee=deal.seller_fee,
        )
        first = plan.instalments.order_by("seq").first()
        deal.effective_on = today
        deal.price_plan_id = plan.pk
        deal.payment_due_on = first.due_on if first else workdays.add_workdays(today, 5)
        deal.return_reason = ""
        _transition(
            deal,
            S.EFFECTIVE,
            fields=("reviewed_by", "reviewed_at", "effective_on", "price_plan_id", "payment_due_on", "return_reason"),
        )
        _notify_parties(
            deal,
            kind="deal.contract_effective",
            subject=_("“%(t)s”合同已生效，请于 %(d)s 前付清价款及服务费")
            % {"t": deal.project_title, "d": deal.payment_due_on},
        )
    return deal


def _require_staff(actor: Any, perm: str) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm(perm)):
        raise PermissionDenied()


# --------------------------------------------------------------------------- payment, notice, certificate


def deal_paid(*, project_id: int, plan_id: int | None = None) -> Deal | None:
    """Settlement's `price_paid`: the deal becomes PAID, the 成交公告 is published (≥N WD
    publicity) and the certificate falls due within N WD. Idempotent; None if the project
    has no deal waiting for payment."""
    from exchange.listings import services as listings

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


def result_rule(project: Any) -> conf.ResultNoticeRule:
    """The publication rule of a project's 成交公告 (by category, state-owned flag, judicial sale)."""
    return conf.result_notice_rule(
        project.category,
        state_owned=bool(project.state_owned),
        judicial_sale=bool((project.attributes or {}).get("judicial_sale")),
    )


def result_notice_facts(deal: Deal, rule: conf.ResultNoticeRule) -> dict[str, Any]:
    """The snapshot of what the 成交公告 publishes, taken when it is published: the fields the
    rule names and their values (money as Decimal strings, dates ISO). The notice's text and the
    public 成交公告 list are both rendered from it, so they always say the same. Never the
    bidder number (竞买号): it belongs to the bidding hall."""
    project = deal.project
    values: dict[str, str] = {
        "target": deal.project_title,
        "valuation": str(project.valuation),
        "floor_price": str(project.floor_price),
        "price": str(deal.price),
        "kind": deal.kind,
        "deal_date": timezone.localdate(deal.opened_at).isoformat(),
        "buyer": deal.buyer.real_name or deal.buyer.name,
    }
    return {
        "fields": list(rule.fields),
        "values": {key: values[key] for key in rule.fields},
        "state_owned": rule.state_owned,
        "publicity_workdays": rule.publicity_workdays,
    }


def result_fact_text(key: str, value: str) -> str:
    """One published fact as the notice prints it (¥ amounts with 大写 for the price)."""
    from exchange.core.money import to_chinese_upper

    if key in ("valuation", "floor_price"):
        return format_yuan(Decimal(value))
    if key == "price":
        return f"{format_yuan(Decimal(value))}（{to_chinese_upper(Decimal(value))}）"
    if key == "kind":
        return method_label(value)
    return value


def result_notice_extra(deal: Deal, *, period_start: dt.date, period_end: dt.date) -> dict[str, Any]:
    """What the 成交公告 template shows: the snapshot's facts in order, and the publicity window."""
    snapshot = deal.result_notice_facts
    return {
        "facts": [
            (str(conf.RESULT_FIELD_LABELS[key]), result_fact_text(key, snapshot["values"][key]))
            for key in snapshot["fields"]
        ],
        "state_owned": snapshot["state_owned"],
        "publicity_workdays": snapshot["publicity_workdays"],
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
    }


def _price_plan(deal: Deal) -> Any:
    from exchange.settlement.models import PricePlan

    return PricePlan.objects.filter(project_id=deal.project_id).first()


def certificate_facts(deal: Deal) -> dict[str, Any]:
    from exchange.core.money import to_chinese_upper

    project = deal.project
    return {
        "project_code": deal.project_code,
        "project_title": deal.project_title,
        "category": str(project.get_category_display()),
        "seller": deal.seller.name,
        "buyer": deal.buyer.name,
        "kind": str(Deal.Kind(deal.kind).label),
        "price": str(deal.price),
        "price_text": format_yuan(deal.price),
        "price_upper": to_chinese_upper(deal.price),
        "deal_date": timezone.localdate(deal.opened_at).isoformat(),
        "contract_number": getattr(getattr(deal, "contract", None), "number", "") or "",
        "effective_on": deal.effective_on.isoformat() if deal.effective_on else "",
        "paid_on": timezone.localdate(deal.paid_at).isoformat() if deal.paid_at else "",
        "exchange": conf.exchange_name(),
    }


def certificate_issue(*, deal_id: int, actor: Any = None) -> Certificate:
    """Issue the 交易凭证 once price and fees are fully paid (staff with
    deals.issue_certificate, or the system). One valid certificate per project: a deal
    whose certificate was revoked may get a replacement. Schedules the release to the
    seller (settlement.seller_release). Raises NotFullyPaid before full payment."""
    from exchange.settlement import services as settlement
    from exchange.settlement.models import PricePlan

    _require(actor, "deals.issue_certificate")
    with transaction.atomic(), audit.action(actor, "certificate.issue", deal_id=deal_id):
        deal = _lock(deal_id)
        valid = Certificate.objects.filter(project_id=deal.project_id, revoked_at__isnull=True).first()
        if valid is not None:
            if valid.deal_id == deal.pk:
                return valid
            raise Conflict(_("该项目已有有效的交易凭证。"))
        replacing = deal.status in (S.CERTIFICATE_ISSUED, S.FUNDS_RELEASED, S.CLOSED)
        plan = _price_plan(deal)
        paid = plan is not None and plan.status != PricePlan.Status.OPEN
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
    _require_staff(actor, "deals.revoke_certificate")
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
    from exchange.settlement.models import PricePlan

    for project_id in Deal.objects.filter(
        status=S.EFFECTIVE,
        project_id__in=PricePlan.objects.exclude(status=PricePlan.Status.OPEN).values("project_id"),
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


# --------------------------------------------------------------------------- release and close


def deal_funds_released(*, project_id: int, plan_id: int | None = None) -> Deal | None:
    """Settlement's `seller_released`: the price went to the seller → FUNDS_RELEASED, then
    CLOSED (project → CLOSED) once the 成交公告's publicity period is over."""
    with transaction.atomic(), audit.action(None, "deal.funds_released", project_id=project_id, plan_id=plan_id):
        deal = Deal.objects.select_for_update().filter(project_id=project_id, status=S.CERTIFICATE_ISSUED).first()
        if deal is None:
            return None
        deal.released_at = clock.now()
        _transition(deal, S.FUNDS_RELEASED, fields=("released_at",))
    deal_close(deal_id=deal.pk)
    deal.refresh_from_db()
    return deal


def deal_close(*, deal_id: int, actor: Any = None) -> Deal:
    """FUNDS_RELEASED → CLOSED once the result notice's publicity period has ended; the
    project → CLOSED. Idempotent; returns the deal unchanged while publicity runs."""
    from exchange.listings import services as listings

    _require_system(actor)
    with transaction.atomic(), audit.action(actor, "deal.close", deal_id=deal_id):
        deal = _lock(deal_id)
        if deal.status != S.FUNDS_RELEASED:
            return deal
        notice = deal.result_notice
        if notice is not None and notice.period_end and notice.period_end > clock.today():
            return deal
        deal.closed_at = clock.now()
        _transition(deal, S.CLOSED, fields=("closed_at",))
        listings.project_trade_move(project_id=deal.project_id, to="closed", actor=actor, reason="deal closed")
        _notify_parties(deal, kind="deal.closed", subject=_("“%(t)s”交易已完成") % {"t": deal.project_title})
    return deal


def deals_close_run() -> int:
    """Close every deal whose funds were released and whose publicity period has ended."""
    count = 0
    for pk in Deal.objects.filter(status=S.FUNDS_RELEASED).values_list("pk", flat=True):
        if deal_close(deal_id=pk).status == S.CLOSED:
            count += 1
    return count


# --------------------------------------------------------------------------- default and relist


def deal_default(*, deal_id: int, reason: str, actor: Any = None) -> Deal:
    """悔拍: the buyer did not sign or pay in time, or breached (staff with
    deals.record_default, or the periodic job). A reason is required. The deal →
    DEFAULTED, the buyer's deposit is forfeited (settlement.deposit_forfeit records the
    credit event; once the contract took effect the deposit is already price, so
    settlement.deposit_forfeit_converted forfeits it, refunds any price paid and
    terminates the price plan), the buyer is barred from the re-sale
    (`barred_member_ids`), the project stays in DEAL for staff to relist; parties and
    staff are notified."""
    from exchange.settlement import services as settlement
    from exchange.settlement.models import DepositInstruction

    _require(actor, "deals.record_default")
    reason = _reason(reason)
    with transaction.atomic(), audit.action(actor, "deal.default", deal_id=deal_id, reason=reason):
        deal = _lock(deal_id)
        if deal.status not in DEFAULTABLE:
            raise IllegalTransition(_("当前状态下不能认定违约。"), status=deal.status)
        deposit = _winner_deposit(deal)
        if deposit is not None and deposit.status == DepositInstruction.Status.CONFIRMED:
            settlement.deposit_forfeit(instruction_id=deposit.pk, reason=_("受让方违约（悔拍）：%(r)s") % {"r": reason})
        elif deposit is not None and deposit.status == DepositInstruction.Status.CONVERTED:
            # the contract took effect, the deposit is already price: settlement forfeits it
            # from the price account, refunds any price paid and terminates the plan
            settlement.deposit_forfeit_converted(
                instruction_id=deposit.pk, reason=_("受让方违约（悔拍）：%(r)s") % {"r": reason}
            )
        deal.defaulted_at, deal.default_reason = clock.now(), reason
        _transition(deal, S.DEFAULTED, fields=("defaulted_at", "default_reason"))
        _notify_parties(
            deal,
            kind="deal.defaulted",
            subject=_("“%(t)s”受让方违约，保证金不予退还") % {"t": deal.project_title},
            body=reason,
        )
        _notify_staff(
            "listings.manage_disclosure",
            kind="deal.relist_needed",
            subject=_("受让方违约，待重新挂牌：%(t)s") % {"t": deal.project_title},
            url=reverse("deals:staff_deal", args=[deal.pk]),
            dedupe_key=f"deal.relist:{deal.pk}",
        )
    return deal


def defaults_due(today: dt.date | None = None) -> list[int]:
    """Deals whose contract or payment deadline has passed (the default job's worklist)."""
    from exchange.settlement.models import PricePlan

    today = today or clock.today()
    late_sign = Deal.objects.filter(status=S.OPEN, sign_deadline__lt=today)
    late_pay = Deal.objects.filter(status=S.EFFECTIVE, payment_due_on__lt=today).exclude(
        project_id__in=PricePlan.objects.exclude(status=PricePlan.Status.OPEN).values("project_id")
    )
    return sorted({*late_sign.values_list("pk", flat=True), *late_pay.values_list("pk", flat=True)})


def defaults_run() -> int:
    """The periodic job: every deal past its signing or payment deadline is defaulted."""
    count = 0
    today = clock.today()
    for pk in defaults_due(today):
        deal = Deal.objects.get(pk=pk)
        if deal.status == S.OPEN:
            reason = _("未在签约截止日 %(d)s 前签署产权交易合同") % {"d": deal.sign_deadline.isoformat()}
        else:
            reason = _("未在 %(d)s 前付清价款") % {"d": deal.payment_due_on.isoformat() if deal.payment_due_on else ""}
        try:
            deal_default(deal_id=pk, reason=reason)
        except IllegalTransition:
            continue
        count += 1
    return count


def deal_relist(
    *,
    deal_id: int,
    actor: Any,
    floor_price: Decimal,
    consent_attachment_id: int | None = None,
    disclosure_wd: int | None = None,
) -> Deal:
    """Relist the project of a defaulted deal (listings.project_relist checks the staff
    permission, the 90%-of-valuation consent and the 12-month stop). Once only."""
    from exchange.listings import services as listings

    _require_staff(actor, "listings.manage_disclosure")
    with transaction.atomic(), audit.action(actor, "deal.relist", deal_id=deal_id, floor_price=floor_price):
        deal = _lock(deal_id)
        if deal.status != S.DEFAULTED:
            raise IllegalTransition(_("只有受让方违约的成交可以重新挂牌。"), status=deal.status)
        if deal.relisted_at is not None:
            raise Conflict(_("该项目已重新挂牌。"))
        listings.project_relist(
            project_id=deal.project_id,
            actor=actor,
            floor_price=floor_price,
            consent_attachment_id=consent_attachment_id,
            disclosure_wd=disclosure_wd,
        )
        deal.relisted_at = clock.now()
        deal.updated_at = deal.relisted_at
        deal.save(update_fields=["relisted_at", "updated_at"])
    return deal


# --------------------------------------------------------------------------- signal handlers


def on_price_paid(sender: Any, *, project_id: int, plan_id: int, **kwargs: Any) -> None:
    """settlement.price_paid → PAID, 成交公告; then the certificate (if auto-issue).
    Runs after settlement's commit: a failure is logged and retried by the hourly job
    (`certificates_due_run`), never undoes the payment."""
    try:
        deal = deal_paid(project_id=project_id, plan_id=plan_id)
        if deal is not None and conf.certificate_auto_issue():
            certificate_issue(deal_id=deal.pk)
    except Exception:
        logger.exception("deals: price_paid handling failed for project %s", project_id)


def on_seller_released(sender: Any, *, project_id: int, plan_id: int, **kwargs: Any) -> None:
    try:
        deal_funds_released(project_id=project_id, plan_id=plan_id)
    except Exception:
        logger.exception("deals: seller_released handling failed for project %s", project_id)


def deal_payment_record(*, deal_id: int, amount: Decimal, reference: str, actor: Any) -> Deal:
    """Finance records a price payment that arrived for this deal (settlement's
    price_payment_record: refuses more than is owed, idempotent on the bank reference).
    Settlement's error (wrong amount…) reaches the caller unchanged."""
    from exchange.settlement import services as settlement

    _require_staff(actor, "settlement.resolve_statementline")
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
