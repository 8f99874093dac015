"""Reads of the listings app: the public hall, a project page, notices, queues, calendar."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.utils.functional import cached_property

from exchange.accounts.models import User
from exchange.brokers.selectors import acting_project_ids, may_act
from exchange.core.models import Region
from exchange.listings import conf
from exchange.listings.categories import Category
from exchange.listings.models import (
    IN_REVIEW_STATUSES,
    PUBLIC_STATUSES,
    Attachment,
    Notice,
    Project,
    ProjectChange,
    Question,
    Status,
    TradingMethod,
)

SORTS: dict[str, tuple[str, ...]] = {
    "new": ("-disclosure_start", "-pk"),
    "ending": ("ends_at", "pk"),
    "price_asc": ("floor_price", "pk"),
    "price_desc": ("-floor_price", "-pk"),
    "unit_price": ("unit_price", "pk"),
}
CATEGORY_ALIASES = {"physical_asset": Category.ASSET}  # the home page's tiles
WAN = Decimal(10000)

HALL_FIELDS = (
    "pk", "code", "title", "category", "status", "floor_price", "deposit_amount", "valuation", "trading_method",
    "disclosure_start", "disclosure_end", "ends_at", "unit_price", "unit_price_unit", "region_code", "view_count",
    "follower_count", "is_public", "is_open", "dates_provisional", "attributes", "region__name", "region__full_name",
)  # fmt: skip


def _wan(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number * WAN if number.is_finite() and 0 <= number < Decimal("1e11") else None


@dataclass
class HallFilters:
    """The hall's query string, parsed leniently (a bad value is ignored, never a 500)."""

    category: str = ""
    region: str = ""
    status: str = "open"
    method: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    deposit_max: Decimal | None = None
    q: str = ""
    sort: str = "new"
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: Any) -> HallFilters:
        get = lambda k: (params.get(k) or "").strip()[:50]  # noqa: E731
        category = CATEGORY_ALIASES.get(get("category"), get("category"))
        status = get("status") or "open"
        f = cls(
            category=category if category in Category.values else "",
            region=get("region") if get("region").isdigit() and len(get("region")) == 6 else "",
            status=status if status in ("open", "all", *[s.value for s in PUBLIC_STATUSES]) else "open",
            method=get("method") if get("method") in TradingMethod.values else "",
            price_min=_wan(get("price_min")) if get("price_min") else None,
            price_max=_wan(get("price_max")) if get("price_max") else None,
            deposit_max=_wan(get("deposit_max")) if get("deposit_max") else None,
            q=get("q").replace("\x00", ""),
            sort=get("sort") if get("sort") in SORTS else "new",
        )
        f.raw = {k: get(k) for k in ("category", "region", "status", "method", "price_min", "price_max",
                                     "deposit_max", "q", "sort") if get(k)}  # fmt: skip
        return f

    def query(self, **overrides: str) -> str:
        """The query string with some parameters replaced (for links), without `page`."""

        merged = {**self.raw, **overrides}
        return urlencode({k: v for k, v in merged.items() if v})


class HallPaginator(Paginator):
    """Counts on the bare filtered table (no join, no column list), so an index answers it.

    Counting tens of thousands of rows costs 20–30 ms on PostgreSQL, so a large count (at
    least LISTINGS_HALL_COUNT_CACHE_MIN) is cached for LISTINGS_HALL_COUNT_CACHE_SECONDS:
    "共 N 个项目" may lag by that much, the list itself is always live. Small counts are
    cheap and always exact.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list.select_related(None).order_by().values("pk")  # type: ignore[attr-defined]
        sql, params = qs.query.sql_with_params()
        key = "listings:hall_count:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return int(cached)
        count = qs.count()
        if count >= conf.get("LISTINGS_HALL_COUNT_CACHE_MIN"):
            cache.set(key, count, conf.get("LISTINGS_HALL_COUNT_CACHE_SECONDS"))
        return count


ProjectStatus = Status  # the project statuses, for the apps that read a project's status
NoticeKind = Notice.Kind  # the notice kinds (挂牌公告, 成交公告 …), for the apps that list notices


def project_get(project_id: int, *, public_only: bool = False) -> Project | None:
    """The project (unlocked; one query), or None; with `public_only`, only a published one."""
    qs = Project.objects.filter(pk=project_id, is_public=True) if public_only else Project.objects.filter(pk=project_id)
    return qs.first()


def project_by_title(title: str, *, status: str = "") -> Project | None:
    """The project with this title (and status, if given): demo data finds its projects so."""
    projects = Project.objects.filter(title=title)
    return (projects.filter(status=status) if status else projects).first()


def project_ids_in(status: str) -> QuerySet[Project, int]:
    """The ids of the projects in `status` (a flat values_list, evaluated by the caller)."""
    return Project.objects.filter(status=status).values_list("pk", flat=True)


def project_round(project_id: int) -> int | None:
    """The project's current listing round (1, then +1 per relisting); None for an unknown id."""
    return Project.objects.filter(pk=project_id).values_list("round", flat=True).first()


def hall_projects(filters: HallFilters) -> QuerySet[Project]:
    """Public projects matching the filters, in the chosen order (indexed: see Project.Meta)."""
    qs = Project.objects.filter(is_public=True)
    if filters.status == "open":
        qs = Project.objects.filter(is_open=True)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.region.endswith("0000"):
        qs = qs.filter(city_code__startswith=filters.region[:2])
    elif filters.region.endswith("00"):
        qs = qs.filter(city_code=filters.region)
    elif filters.region:
        qs = qs.filter(region_code=filters.region)
    if filters.method:
        qs = qs.filter(trading_method=filters.method)
    if filters.price_min is not None:
        qs = qs.filter(floor_price__gte=filters.price_min)
    if filters.price_max is not None:
        qs = qs.filter(floor_price__lte=filters.price_max)
    if filters.deposit_max is not None:
        qs = qs.filter(deposit_amount__lte=filters.deposit_max)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(code__iexact=filters.q))
    if filters.sort == "unit_price":
        qs = qs.filter(unit_price__isnull=False)
    return qs.select_related("region").only(*HALL_FIELDS).order_by(*SORTS[filters.sort])


def hall_regions() -> list[tuple[str, str]]:
    """(code, name) of the exchange province's cities, for the hall's region filter (cached)."""
    key = "listings:hall_regions"
    regions = cache.get(key)
    if regions is None:
        province = Region.objects.filter(level=1, name=settings.EXCHANGE_PROVINCE).first()
        qs = Region.objects.filter(parent=province, level=2) if province else Region.objects.none()
        regions = [(r.code, r.name) for r in qs.order_by("code")]
        cache.set(key, regions, 3600)
    return regions


def can_see_internal(project: Project, user: Any) -> bool:
    """The seller, the project's broker while its mandate is in force, and staff."""

    return bool(
        user.is_authenticated
        and (user.pk == project.seller_id or user.has_perm("listings.view_project") or may_act(user, project))
    )


def project_for_page(pk: int, user: Any) -> Project | None:
    """A project its viewer may see: public ones for everybody; others for the seller and staff."""
    project = Project.objects.select_related("region", "seller", "broker").filter(pk=pk).first()
    if project is None or not (project.is_public or can_see_internal(project, user)):
        return None
    return project


def project_attachments(project: Project, user: Any) -> list[Attachment]:
    qs = project.attachments.all()
    if not can_see_internal(project, user):
        qs = qs.exclude(kind=Attachment.Kind.APPROVAL_DOCUMENT)
    return list(qs)


def project_notices(project: Project) -> list[Notice]:
    return list(
        Notice.objects.filter(project=project, published_at__isnull=False, withdrawn_at__isnull=True)
        .only("pk", "number", "title", "kind", "published_at", "project_id")
        .order_by("-published_at", "-pk")
    )


def project_questions(project: Project, user: Any) -> list[Question]:
    """Published questions for everybody; moderators also see pending ones; askers their own."""
    qs = Question.objects.filter(project=project).select_related("answer")
    if user.is_authenticated and (user.has_perm("listings.moderate_question") or user.pk == project.seller_id):
        qs = qs.exclude(status=Question.Status.HIDDEN) if not user.has_perm("listings.moderate_question") else qs
    elif user.is_authenticated:
        qs = qs.filter(Q(status=Question.Status.PUBLISHED) | Q(asker=user))
    else:
        qs = qs.filter(status=Question.Status.PUBLISHED)
    return list(qs.order_by("-asked_at")[:100])


def published_notices(*, kind: str = "", q: str = "") -> QuerySet[Notice]:
    """Published notices not withdrawn, newest first; `kind` a Notice.Kind, `q` a keyword
    (see `notice_keyword`) matched in the title, or exactly as notice number or project code."""
    qs = (
        Notice.objects.filter(published_at__isnull=False, withdrawn_at__isnull=True)
        .select_related("project")
        .only("pk", "number", "title", "kind", "published_at", "period_end", "project__code", "project__category")
        .order_by("-published_at", "-pk")
    )
    if kind in Notice.Kind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__iexact=q) | Q(project__code__iexact=q))
    return qs


def published_result_notices() -> QuerySet[Notice]:
    """Published 成交公告 not withdrawn, newest first, whole rows (the public 成交公告 page)."""
    return (
        Notice.objects.filter(kind=Notice.Kind.RESULT, published_at__isnull=False, withdrawn_at__isnull=True)
        .select_related("project")
        .order_by("-published_at", "-pk")
    )


def notice_keyword(raw: Any) -> str:
    """The notices list's keyword as typed, bounded: trimmed, at most
    LISTINGS_NOTICE_SEARCH_MAX characters, no NUL or other control characters."""
    text = "".join(ch for ch in str(raw or "") if ch >= " " and ch != "\x7f")
    return text.strip()[: conf.get("LISTINGS_NOTICE_SEARCH_MAX")].strip()


def latest_notices(kind: str, limit: int = 6) -> list[Notice]:
    """The newest published notices of one kind (the home page's 交易公告 block)."""
    return list(
        Notice.objects.filter(published_at__isnull=False, withdrawn_at__isnull=True, kind=kind)
        .only("pk", "number", "title", "kind", "published_at")
        .order_by("-published_at", "-pk")[:limit]
    )


def seller_projects(user: User) -> QuerySet[Project]:
    """The member's own projects and those its broker may act on today (mandate in force)."""

    acting = acting_project_ids(user)
    return Project.objects.filter(Q(seller=user) | Q(pk__in=acting)).select_related("region").order_by("-created_at")


def review_queue(user: User, step: str = "") -> dict[str, Any]:
    """Applications and changes waiting at steps this user may decide."""
    steps = [s for s in conf.all_steps() if user.has_perm(s.permission)]
    if step:
        steps = [s for s in steps if s.key == step]
    keys = [s.key for s in steps]
    projects = (
        Project.objects.filter(status__in=IN_REVIEW_STATUSES, current_step__in=keys)
        .select_related("seller", "region")
        .order_by("step_started_at")
    )
    changes = (
        ProjectChange.objects.filter(status=ProjectChange.Status.PENDING, current_step__in=keys)
        .select_related("project", "proposed_by")
        .order_by("step_started_at")
    )
    return {"steps": steps, "projects": projects, "changes": changes}


def disclosure_calendar(month: dt.date) -> dict[dt.date, list[Project]]:
    """Projects whose disclosure ends in a month, by end date."""
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    by_day: dict[dt.date, list[Project]] = {}
    qs = (
        Project.objects.filter(disclosure_end__gte=first, disclosure_end__lte=last)
        .exclude(status__in=[Status.TERMINATED, Status.DRAFT])
        .only("pk", "code", "title", "status", "disclosure_end", "category")
        .order_by("disclosure_end", "code")
    )
    for project in qs:
        assert project.disclosure_end is not None
        by_day.setdefault(project.disclosure_end, []).append(project)
    return by_day


def notice_prefetch() -> Prefetch:
    return Prefetch("notices", queryset=Notice.objects.filter(published_at__isnull=False))
