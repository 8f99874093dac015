"""Reads of the brokers app, for pages and for the apps that ask "may this broker act?".

`may_act(user, project, sign=...)` is the one rule the listings, trading and deals apps
apply to a project's broker: the broker acts only while the mandate under which the
project was filed is in force (accepted, not revoked, today within its term), the broker
still holds broker status, and — for signing the contract — the mandate allows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from exchange.brokers.models import BrokerApplication, Mandate, MandateProject
from exchange.core import clock


def is_broker(user: Any) -> bool:
    """The member holds broker status: staff approved its request and did not revoke it."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_staff", False):
        return False
    return BrokerApplication.objects.filter(user_id=user.pk, status=BrokerApplication.Status.APPROVED).exists()


def latest_application(user: Any) -> BrokerApplication | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return BrokerApplication.objects.filter(user_id=user.pk).order_by("-submitted_at", "-pk").first()


def _in_force(qs: QuerySet[Mandate], today: dt.date) -> QuerySet[Mandate]:
    return qs.filter(status=Mandate.Status.ACCEPTED, starts_on__lte=today, ends_on__gte=today)


def may_act(user: Any, project: Any, *, sign: bool = False, today: dt.date | None = None) -> bool:
    """May `user`, as the project's broker, act for its seller (file, edit, submit, answer,
    give the seller's opinion; with `sign=True`: sign the contract on the seller's side)?"""
    if not getattr(user, "is_authenticated", False) or user.pk != getattr(project, "broker_id", None):
        return False
    link = MandateProject.objects.select_related("mandate").filter(project_id=project.pk).first()
    if link is None:
        return False
    mandate = link.mandate
    if mandate.broker_id != user.pk or mandate.seller_id != project.seller_id:
        return False
    if not mandate.in_force_on(today or clock.today()) or (sign and not mandate.may_sign):
        return False
    return is_broker(user)


def acting_project_ids(user: Any, *, today: dt.date | None = None) -> set[int]:
    """Projects the broker may act on today (for lists such as 我的挂牌项目 and 我的成交)."""
    if not is_broker(user):
        return set()
    mandates = _in_force(Mandate.objects.filter(broker_id=user.pk), today or clock.today())
    return set(MandateProject.objects.filter(mandate__in=mandates).values_list("project_id", flat=True))


def mandates_for_filing(broker: Any, seller: Any, category: str, *, today: dt.date | None = None) -> list[Mandate]:
    """The seller's mandates in force under which the broker may still file a `category` project."""
    qs = _in_force(Mandate.objects.filter(broker_id=broker.pk, seller_id=seller.pk), today or clock.today())
    return [
        m
        for m in qs.order_by("ends_on", "pk")
        if (not m.category or m.category == category) and m.projects.count() < m.max_projects
    ]


def mandates_received(seller: Any) -> QuerySet[Mandate]:
    return Mandate.objects.filter(seller_id=seller.pk).select_related("broker").prefetch_related("projects__project")


def mandates_given(broker: Any) -> QuerySet[Mandate]:
    return Mandate.objects.filter(broker_id=broker.pk).select_related("seller").prefetch_related("projects__project")


def pending_for_seller(seller: Any) -> int:
    if not getattr(seller, "is_authenticated", False):
        return 0
    return Mandate.objects.filter(seller_id=seller.pk, status=Mandate.Status.PENDING).count()
