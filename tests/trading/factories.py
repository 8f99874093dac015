"""Helpers for the trading tests: projects in disclosure, verified buyers, materials, applications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.accounts.models import User
from exchange.core import clock
from exchange.listings import services as listings
from exchange.listings.models import Project
from exchange.trading import services
from exchange.trading.models import Application
from tests.factories import EntityFactory, UserFactory
from tests.listings import factories as lf

CONDITIONS = "1. 依法设立并有效存续的企业法人或具有完全民事行为能力的自然人；\n2. 具有良好的财务状况和支付能力；\n3. 具有良好商业信用。"


def project(category: str = "equity", **overrides: Any) -> Project:
    """A project in formal disclosure (floor ¥1,000,000, deposit ¥100,000)."""
    overrides.setdefault("buyer_conditions", CONDITIONS)
    return lf.disclosed(category, **overrides)


def ended(p: Project) -> Project:
    """Move the project past the end of its disclosure (the listings worker)."""
    p.refresh_from_db()
    assert p.ends_at is not None
    with clock.frozen(p.ends_at + dt.timedelta(minutes=1)):
        listings.listings_tick()
    p.refresh_from_db()
    return p


def buyer(*, entity: bool = False, verified: bool = True, **kwargs: Any) -> User:
    user = (EntityFactory if entity else UserFactory)(role="bidder", **kwargs)
    if verified:
        user.real_name = user.name
        user.verified_at = clock.now()
        user.save(update_fields=["real_name", "verified_at"])
    return user


def pdf(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * 200, content_type="application/pdf")


def materials(p: Project, user: User) -> dict[str, SimpleUploadedFile]:
    terms = services.terms_ensure(project_id=p.pk)
    return {kind: pdf(f"{kind}.pdf") for kind in services.required_materials(terms, user)}


def apply(p: Project, user: User | None = None, **kwargs: Any) -> Application:
    user = user or buyer()
    kwargs.setdefault("materials", materials(p, user))
    kwargs.setdefault("commitment_accepted", True)
    kwargs.setdefault("bid_floor", p.floor_price + Decimal("10000"))
    return services.application_submit(project_id=p.pk, applicant=user, **kwargs)


def reviewer() -> User:
    return UserFactory(role="reviewer")


def qualified(p: Project, user: User | None = None, staff: User | None = None) -> Application:
    app = apply(p, user)
    return services.application_review(application_id=app.pk, actor=staff or reviewer(), decision="qualify")


def bidder(p: Project, user: User | None = None) -> Application:
    """A qualified applicant whose deposit arrived (the signal's effect, applied directly)."""
    from exchange.settlement import services as settlement
    from exchange.settlement.models import DepositInstruction
    from tests.settlement import factories as sf

    app = qualified(p, user)
    instruction = DepositInstruction.objects.get(pk=app.deposit_instruction_id)
    sf.import_rows(
        [sf.row(amount=instruction.amount, virtual_account=instruction.virtual_account, when=clock.now())],
        actor=sf.finance(),
    )
    assert settlement  # imported for its side effects in callers
    result = services.deposit_confirmed_apply(
        project_id=p.pk, member_id=app.applicant_id, instruction_id=instruction.pk
    )
    assert result is not None
    return result
