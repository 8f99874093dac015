"""The price (价款): the payment plan of a deal (lump sum or instalments), payments into the
buyer's price account, overdue instalments, and the release to the seller after the
certificate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from exchange.core import audit, clock, workdays
from exchange.core.errors import IllegalTransition, InvalidInput, NotFound
from exchange.core.money import exact_money, quantize_money
from exchange.settlement import conf, ledger, signals
from exchange.settlement.models import (
    ZERO,
    AccountKind,
    CreditEvent,
    Instalment,
    PaymentItem,
    Posting,
    PricePlan,
    StatementLine,
)
from exchange.settlement.services.common import PlanClosed, queue_payment, require


def _instalment_plan(
    *,
    price: Decimal,
    contract_on: dt.date,
    mode: str,
    schedule: list[tuple[dt.date, Decimal]] | None,
    rate: Decimal,
) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(due, principal, interest) per instalment, validated against the rules: at least two
    instalments summing to the price, the first at least the minimum share of it and due within
    the payment period after the contract, the last within the longest term."""
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
    price = exact_money(price, field="price", positive=True)
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


def price_in(*, plan: PricePlan, amount: Decimal, reference: str, source: str, actor: Any) -> bool:
    """The one code path of a price payment (the caller holds the plan's row lock):
    `source` (bank, or suspense for a line matched by hand) → the buyer's price account,
    allocated to fees then instalments; the plan PAID and `price_paid` once all is in.
    Returns False when this reference was recorded before (nothing written). Raises
    PlanClosed for a terminated plan and InvalidInput above what is still owed."""
    account = ledger.member_account(
        kind=AccountKind.PRICE, member=plan.buyer, project_id=plan.project_id, project_code=plan.project_code
    )
    key = price_key(plan, reference)
    if Posting.objects.filter(key=key).exists():
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
    require(actor, "settlement.resolve_statementline")
    amount = exact_money(amount, positive=True)
    plan = PricePlan.objects.select_for_update().get(pk=plan_id)
    source = AccountKind.SUSPENSE if from_suspense_line else AccountKind.BANK
    price_in(plan=plan, amount=amount, reference=reference, source=source, actor=actor)
    return plan


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
    queue_payment(
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


def price_key(plan: PricePlan, reference: str) -> str:
    """The idempotency key of a price payment: one posting per plan and bank reference."""
    return f"price:{plan.pk}:{reference}"


def price_reference(line: StatementLine) -> str:
    """The reference of a price payment from a bank line: the bank's transaction number
    (what finance types on the deals page, so a payment recorded by hand and then
    imported is credited once), else the line's fingerprint."""
    return line.bank_txn_id or f"L{line.fingerprint[:40]}"
