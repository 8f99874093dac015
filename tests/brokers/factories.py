"""Factories for the brokers tests: approved brokers, mandates in every state, linked projects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.accounts.models import User
from exchange.brokers import services
from exchange.brokers.models import Mandate, MandateProject
from exchange.core import clock
from tests.factories import EntityFactory, UserFactory, valid_uscc

PDF = b"%PDF-1.4\n" + b"0" * 200


def pdf(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


_seq = iter(range(500, 100000))


def verified_firm(**kwargs: Any) -> User:
    """A verified entity member (no broker status yet)."""
    user = EntityFactory(**kwargs)
    user.real_name, user.id_number, user.verified_at = user.name, valid_uscc(next(_seq)), clock.now()
    user.save(update_fields=["real_name", "id_number", "verified_at"])
    return user


def reviewer() -> User:
    return UserFactory(role="reviewer")


def apply(firm: User | None = None, **overrides: Any) -> Any:
    firm = firm or verified_firm()
    kwargs: dict[str, Any] = {
        "user": firm, "firm_name": firm.real_name, "uscc": firm.id_number, "licence": pdf(),
        "business_document": pdf("business.pdf"), "scope_note": "产权经纪",
    }  # fmt: skip
    kwargs.update(overrides)
    return services.broker_apply(**kwargs)


def broker() -> User:
    """An approved broker (合作商户)."""
    application = apply()
    services.broker_approve(application_id=application.pk, actor=reviewer())
    return application.user


def mandate(
    broker_user: User,
    seller: User,
    *,
    accept: bool = True,
    starts_on: dt.date | None = None,
    days: int = 90,
    **scope: Any,
) -> Mandate:
    today = clock.today()
    starts_on = starts_on or today
    m = services.mandate_request(
        broker=broker_user, seller=seller.phone, subject=scope.pop("subject", "代理挂牌"),
        starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days), **scope,
    )  # fmt: skip
    if accept:
        m = services.mandate_accept(mandate_id=m.pk, seller=seller)
    return m


def link(m: Mandate, project: Any) -> MandateProject:
    """Put an existing project under a mandate (as if the broker had filed it)."""
    from exchange.listings.models import Project

    Project.objects.filter(pk=project.pk).update(broker=m.broker)
    project.broker_id = m.broker_id
    return MandateProject.objects.create(mandate=m, project_id=project.pk)
