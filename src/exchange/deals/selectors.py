"""Reads of the deals app (other apps call these; they never query deals models directly)."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from exchange.brokers.selectors import acting_project_ids
from exchange.core import clock
from exchange.core.money_sql import fen_sum, yuan_from_fen
from exchange.deals import conf
from exchange.deals.models import Certificate, Deal, method_label
from exchange.listings import selectors as listings_selectors

if TYPE_CHECKING:
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
    """Published 成交公告 not withdrawn, newest first (the public 成交公告 page)."""
    return listings_selectors.published_result_notices()


@dataclass(frozen=True)
class PublishedResult:
    """One row of the public 成交公告 list: what the notice published, nothing more.

    Read from the deal's snapshot (`Deal.result_notice_facts`), the same data the notice's
    text was rendered from; a field the publication rule left out is None."""

    fields: tuple[str, ...]
    values: dict[str, str]
    state_owned: bool

    def get(self, key: str) -> str | None:
        return self.values.get(key) if key in self.fields else None

    @property
    def price(self) -> Decimal | None:
        value = self.get("price")
        return Decimal(value) if value is not None else None

    @property
    def floor_price(self) -> Decimal | None:
        value = self.get("floor_price")
        return Decimal(value) if value is not None else None

    @property
    def buyer(self) -> str | None:
        return self.get("buyer")

    @property
    def kind_label(self) -> str | None:
        value = self.get("kind")
        return None if value is None else method_label(value)


def published_results(notice_ids: list[int]) -> dict[int, PublishedResult]:
    """What each of these 成交公告 published, by notice id, in one query."""
    found: dict[int, PublishedResult] = {}
    for notice_id, facts in Deal.objects.filter(result_notice_id__in=notice_ids).values_list(
        "result_notice_id", "result_notice_facts"
    ):
        if facts and notice_id is not None:
            found[notice_id] = PublishedResult(
                fields=tuple(facts.get("fields", ())),
                values=dict(facts.get("values", {})),
                state_owned=bool(facts.get("state_owned")),
            )
    return found


@dataclass(frozen=True)
class PeriodFigures:
    """Deals of one period: how many, their total price, and the premium over the floor."""

    count: int
    amount: Decimal
    floor_total: Decimal

    @property
    def premium_rate(self) -> Decimal | None:
        """增值率 in percent: (Σ成交价 − Σ转让底价) ÷ Σ转让底价 × 100, to 0.01 (half up)."""
        if self.floor_total <= 0:
            return None
        rate = (self.amount - self.floor_total) * 100 / self.floor_total
        return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DealStatistics:
    """The home page's 交易统计: this calendar year (本年度) and since the start (累计)."""

    year: int
    this_year: PeriodFigures
    all_time: PeriodFigures
    as_of: dt.datetime


STATS_CACHE_KEY = "deals:statistics:v1"


def deal_statistics() -> DealStatistics:
    """成交宗数, 成交额 and 增值率 of every deal struck and not defaulted (悔拍), for the
    calendar year of today (Asia/Shanghai) and in total; 增值率 compares each deal's price
    with its project's 转让底价 (the listing price of the round it was struck in).

    One aggregate query (a join of deals and projects), cached for DEALS_STATISTICS_CACHE_SECONDS
    (default 300): the figures may lag that much behind a new deal."""

    now = clock.now()
    year = timezone.localdate(now).year
    key = f"{STATS_CACHE_KEY}:{year}"
    cached = cache.get(key)
    if isinstance(cached, DealStatistics):
        return cached
    year_start = timezone.make_aware(dt.datetime(year, 1, 1))
    in_year = Q(opened_at__gte=year_start)
    row = Deal.objects.exclude(status=Deal.Status.DEFAULTED).aggregate(
        count=Count("pk"),
        amount=fen_sum("price"),
        floor_total=fen_sum("project__floor_price"),
        year_count=Count("pk", filter=in_year),
        year_amount=fen_sum("price", filter=in_year),
        year_floor_total=fen_sum("project__floor_price", filter=in_year),
    )
    money = yuan_from_fen

    stats = DealStatistics(
        year=year,
        this_year=PeriodFigures(row["year_count"], money(row["year_amount"]), money(row["year_floor_total"])),
        all_time=PeriodFigures(row["count"], money(row["amount"]), money(row["floor_total"])),
        as_of=now,
    )
    cache.set(key, stats, conf.statistics_cache_seconds())
    return stats


def member_deals(user: Any) -> QuerySet[Deal]:
    """Deals where the member is the buyer, the seller or the seller's broker (while the
    mandate the project was filed under is in force)."""
    if not getattr(user, "is_authenticated", False):
        return Deal.objects.none()

    return (
        Deal.objects.filter(Q(buyer=user) | Q(seller=user) | Q(project_id__in=acting_project_ids(user)))
        .select_related("project", "buyer", "seller")
        .order_by("-opened_at")
    )


def certificate_for_verification(number: str, check_code: str) -> Certificate | None:
    """The certificate with this number *and* check code (constant-time compare), else None."""

    cert = Certificate.objects.select_related("deal").filter(number=number).first()
    if cert is None or not hmac.compare_digest(cert.check_code.encode(), check_code.encode()):
        return None
    return cert


def defaults_queue() -> QuerySet[Deal]:
    """Deals past a deadline not yet defaulted, and defaulted deals not yet relisted."""

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
