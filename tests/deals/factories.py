"""Helpers for deals tests: a project ready for a deal, the winner's confirmed deposit, a deal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exchange.accounts.models import User
from exchange.core import clock
from exchange.deals import services
from exchange.deals.models import Deal
from exchange.listings.models import Project
from exchange.settlement import services as settlement
from exchange.settlement.models import DepositInstruction
from tests.factories import UserFactory
from tests.listings import factories as listing_factories
from tests.settlement import factories as settlement_factories

# a Monday in a known calendar year: deadlines are plain weekday counts
MONDAY = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))


def buyer(**kwargs: Any) -> User:
    user = UserFactory(role="bidder", **kwargs)
    user.real_name = user.name
    user.verified_at = clock.now()
    user.save(update_fields=["real_name", "verified_at"])
    return user


def project_ready(category: str = "forest", status: str = "bidding", **overrides: Any) -> Project:
    """A disclosed project moved to `status` (bidding / disclosure_ended) as trading would."""
    project = listing_factories.disclosed(category, **overrides)
    Project.objects.filter(pk=project.pk).update(status=status, is_open=False)
    project.refresh_from_db()
    return project


def confirmed_deposit(project: Project, member: User, amount: Decimal | None = None) -> DepositInstruction:
    """A confirmed (frozen) deposit of `member` on `project`, credited by a bank statement line."""
    instruction = settlement.deposit_instruction_create(
        project_id=project.pk,
        project_code=project.code or "",
        project_title=project.title,
        member=member,
        amount=amount or project.deposit_amount,
        qualified_at=clock.now(),
    )
    line = settlement_factories.row(
        amount=instruction.amount, virtual_account=instruction.virtual_account, when=clock.now(), payer=member.name
    )
    settlement_factories.import_rows([line], actor=finance())
    instruction.refresh_from_db()
    assert instruction.status == DepositInstruction.Status.CONFIRMED, instruction.status
    return instruction


def finance() -> User:
    return UserFactory(role="finance")


def staff(role: str = "reviewer") -> User:
    return UserFactory(role=role)


def deal(
    *,
    project: Project | None = None,
    winner: User | None = None,
    price: Decimal = Decimal("1200000.00"),
    kind: str = "auction",
    deposit: bool = True,
    category: str = "forest",
) -> Deal:
    project = project or project_ready(category)
    winner = winner or buyer()
    if deposit:
        confirmed_deposit(project, winner)
    return services.deal_open(
        project_id=project.pk, buyer_id=winner.pk, price=price, kind=kind, auction_id=None, bidder_no="A001"
    )


def run_on_commit() -> Any:
    """Run the after-commit callbacks (settlement's signals) inside a test transaction."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def signed(deal_: Deal) -> Deal:
    services.contract_sign(deal_id=deal_.pk, actor=deal_.buyer, side="buyer")
    return services.contract_sign(deal_id=deal_.pk, actor=deal_.seller, side="seller")


def effective(deal_: Deal, reviewer: User | None = None) -> Deal:
    signed(deal_)
    return services.contract_review(deal_id=deal_.pk, actor=reviewer or staff(), decision="approve")


def pay_rest(deal_: Deal, actor: User | None = None, reference: str = "TXN-PRICE-1") -> Deal:
    """Finance records what is still owed (price + buyer fee − converted deposit)."""
    from exchange.settlement.models import Account, AccountKind, PricePlan

    plan = PricePlan.objects.get(pk=deal_.price_plan_id)
    account = Account.objects.filter(kind=AccountKind.PRICE, owner=deal_.buyer, project_id=deal_.project_id).first()
    owed = plan.amount_due - (account.balance if account else Decimal("0"))
    with run_on_commit():
        services.deal_payment_record(deal_id=deal_.pk, amount=owed, reference=reference, actor=actor or finance())
    deal_.refresh_from_db()
    return deal_


def certified(deal_: Deal | None = None) -> Deal:
    deal_ = deal_ or deal()
    effective(deal_)
    deal_.refresh_from_db()
    return pay_rest(deal_)
