"""Reads of the deals app (other apps call these; they never query deals models directly)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from exchange.deals.models import Certificate, Deal
from exchange.listings.models import Notice


def barred_member_ids(project_id: int) -> set[int]:
    """Members who defaulted (悔拍) on this project: barred from its re-sale."""
    return set(
        Deal.objects.filter(project_id=project_id, status=Deal.Status.DEFAULTED).values_list("buyer_id", flat=True)
    )


def deal_for_project(project_id: int) -> Deal | None:
    """The newest deal of a project (any round)."""
    return Deal.objects.filter(project_id=project_id).order_by("-round").first()


def result_notices() -> QuerySet[Notice]:
    """Published 成交公告, newest first (the public 成交公告 page)."""
    return (
        Notice.objects.filter(kind=Notice.Kind.RESULT, published_at__isnull=False)
        .select_related("project")
        .order_by("-published_at", "-pk")
    )


def deals_by_project(project_ids: list[int]) -> dict[int, Deal]:
    """The newest deal of each project in one query (for a page of result notices)."""
    found: dict[int, Deal] = {}
    for deal in Deal.objects.filter(project_id__in=project_ids).order_by("project_id", "-round"):
        found.setdefault(deal.project_id, deal)
    return found


def member_deals(user: Any) -> QuerySet[Deal]:
    """Deals where the member is the buyer, the seller or the seller's broker (while the
    mandate the project was filed under is in force)."""
    if not getattr(user, "is_authenticated", False):
        return Deal.objects.none()
    from exchange.brokers.selectors import acting_project_ids

    return (
        Deal.objects.filter(Q(buyer=user) | Q(seller=user) | Q(project_id__in=acting_project_ids(user)))
        .select_related("project", "buyer", "seller")
        .order_by("-opened_at")
    )


def certificate_for_verification(number: str, check_code: str) -> Certificate | None:
    """The certificate with this number *and* check code (constant-time compare), else None."""
    import hmac

    cert = Certificate.objects.select_related("deal").filter(number=number).first()
    if cert is None or not hmac.compare_digest(cert.check_code.encode(), check_code.encode()):
        return None
    return cert


def defaults_queue() -> QuerySet[Deal]:
    """Deals past a deadline not yet defaulted, and defaulted deals not yet relisted."""
    from exchange.core import clock

    today = clock.today()
    S = Deal.Status
    return Deal.objects.filter(
        Q(status=S.OPEN, sign_deadline__lt=today)
        | Q(status=S.EFFECTIVE, payment_due_on__lt=today)
        | Q(status=S.DEFAULTED, relisted_at__isnull=True)
    )


QUEUES = {
    "review": Q(status=Deal.Status.CONTRACT_SIGNED),
    "certificates": Q(status=Deal.Status.PAID),
}


def staff_deals(*, status: str = "", queue: str = "", q: str = "") -> QuerySet[Deal]:
    """The staff deals list with its filters and work queues."""
    qs = Deal.objects.select_related("project", "buyer", "seller").order_by("-opened_at")
    if queue == "defaults":
        qs = qs.filter(pk__in=defaults_queue().values("pk"))
    elif queue in QUEUES:
        qs = qs.filter(QUEUES[queue])
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(project_code__icontains=q) | Q(project_title__icontains=q) | Q(buyer__name__icontains=q)
            | Q(seller__name__icontains=q)
        )  # fmt: skip
    return qs


def queue_counts() -> dict[str, int]:
    return {
        "review": Deal.objects.filter(QUEUES["review"]).count(),
        "certificates": Deal.objects.filter(QUEUES["certificates"]).count(),
        "defaults": defaults_queue().count(),
    }
