"""Public pages of the portal shell. Thin: query through selectors, render."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from exchange.bidding import selectors as bidding_selectors
from exchange.core.models import Heartbeat
from exchange.deals import selectors as deal_selectors
from exchange.listings import selectors as listing_selectors
from exchange.portal import selectors
from exchange.portal.models import Article


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "news": selectors.articles_published(kind=Article.Kind.NEWS)[:8],
        "policies": selectors.articles_published(kind=Article.Kind.POLICY)[:5],
        "help_articles": selectors.articles_published(kind=Article.Kind.HELP).order_by("sort_order")[:6],
        "latest_projects": listing_selectors.hall_projects(listing_selectors.HallFilters())[:6],
        "live_auctions": bidding_selectors.running_auctions()[:6],  # real auctions only: drills are private
        "listing_notices": listing_selectors.latest_notices(listing_selectors.NoticeKind.LISTING, 6),
        "result_notices": listing_selectors.latest_notices(listing_selectors.NoticeKind.RESULT, 6),
        "stats": deal_selectors.deal_statistics(),
        "search_max": 50,  # the hall's keyword bound (listings.selectors.HallFilters)
    }
    return render(request, "portal/home.html", context)


@require_GET
def deal_notices(request: HttpRequest) -> HttpResponse:
    """成交公告: the published result notices with what each published (the same snapshot the
    notice's text was rendered from: deal price, floor, buyer, method — as its rule says)."""
    page = Paginator(deal_selectors.result_notices(), 20).get_page(request.GET.get("page"))
    published = deal_selectors.published_results([n.pk for n in page.object_list])
    rows = [(notice, published.get(notice.pk)) for notice in page.object_list]
    context = {
        "page": page,
        "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": rows,
    }
    return render(request, "portal/deal_notices.html", context)


@require_GET
def article_list(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Article.Kind.values:
        kind = Article.Kind.NEWS
    qs = selectors.articles_published(kind=kind)
    if kind == Article.Kind.HELP:
        qs = qs.order_by("sort_order", "-published_at")
    page = Paginator(qs, 15).get_page(request.GET.get("page"))
    return render(
        request, "portal/article_list.html", {"page": page, "kind": kind, "kind_label": Article.Kind(kind).label}
    )


@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(selectors.articles_published(), pk=pk)
    return render(request, "portal/article_detail.html", {"article": article})


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """A page with a fixed address (会员服务协议, 隐私政策 …), edited as an Article."""
    article = get_object_or_404(selectors.articles_published(), slug=slug)
    return render(request, "portal/article_detail.html", {"article": article})


@require_GET
def help_center(request: HttpRequest) -> HttpResponse:
    articles = selectors.articles_published(kind=Article.Kind.HELP).order_by("sort_order", "-published_at")
    return render(request, "portal/help_center.html", {"articles": articles})


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /api/",
        "Allow: /",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico; the site's icon is the logo from static files."""
    return redirect(static("img/logo.svg"), permanent=True)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and the newcomer check: the database (and Redis, when
    configured) reachable, and when the worker and clock last showed a sign of life."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db_ok = True
    except Exception:  # any database failure makes the node unhealthy
        db_ok = False
    body: dict[str, object] = {"database": db_ok}
    ok = db_ok
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "1", timeout=5)
            body["cache"] = cache.get("healthz") == "1"
        except Exception:  # Redis down: report it, the node is unhealthy
            body["cache"] = False
        ok = ok and bool(body["cache"])
    body["heartbeats"] = {b.process: b.beat_at.isoformat() for b in Heartbeat.objects.all()} if db_ok else {}
    body["status"] = "ok" if ok else "error"
    return JsonResponse(body, status=200 if ok else 503)
