"""Server time and queries of the project hall and detail pages with 100,000 projects.

    .venv/bin/python bench/listings_pages.py                      # SQLite file var/bench_listings.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_listings .venv/bin/python bench/listings_pages.py
    .venv/bin/python bench/listings_pages.py --projects 100000 --requests 200

Creates the database (migrate) and tops it up to --projects public projects with
`bulk_create` (every category, region, status and price spread), then renders pages
in-process with the Django test client (no network, one thread) and prints p50/p95 server
time and the number of queries per page. Never touches var/db.sqlite3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_listings.sqlite3'}")
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# no collectstatic for a benchmark: serve asset URLs without the manifest
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from exchange.accounts.models import User  # noqa: E402
from exchange.core.models import Region  # noqa: E402
from exchange.listings import categories  # noqa: E402
from exchange.listings.models import OPEN_STATUSES, Notice, Project, Status, TradingMethod  # noqa: E402

SAMPLE_ATTRS = {
    "forest": {"area_mu": "1200", "species": "油松", "certificate_no": "晋林证0001", "term_years": 30},
    "real_estate": {"area_m2": "356.8", "use": "commercial", "location": "太原市迎泽区"},
    "rural": {"area_mu": "300", "right_type": "land_management", "term_years": 15},
    "mining": {"mineral": "煤", "reserves": "120", "reserves_unit": "万吨", "licence_no": "C14", "right_type": "mining"},
    "vehicle": {"brand": "丰田", "model": "凯美瑞", "plate": "晋A·12345", "mileage_km": 86000,
                "registration_date": "2019-05-20"},
}  # fmt: skip


def populate(target: int) -> None:
    have = Project.objects.count()
    if have >= target:
        print(f"{have} projects present")
        return
    seller, _ = User.objects.get_or_create(
        phone="13911112222", defaults={"email": "bench-seller@example.com", "name": "基准测试转让方"}
    )
    province = Region.objects.get(code="140000")
    regions = list(Region.objects.filter(code__startswith="14").exclude(pk=province.pk).values_list("pk", "code"))
    rnd = random.Random(42)
    today = timezone.localdate()
    cats = list(categories.Category.values)
    statuses = [*OPEN_STATUSES, Status.DISCLOSURE, Status.DISCLOSURE, Status.DISCLOSURE_ENDED, Status.TERMINATED]
    methods = list(TradingMethod.values)
    t0 = time.perf_counter()
    batch: list[Project] = []
    for i in range(have, target):
        cat = cats[i % len(cats)]
        region_pk, region_code = regions[rnd.randrange(len(regions))]
        floor = Decimal(rnd.randrange(10_000, 200_000_000)).quantize(Decimal("1"))
        start = today - dt.timedelta(days=rnd.randrange(0, 400))
        end = start + dt.timedelta(days=rnd.randrange(14, 40))
        attrs = SAMPLE_ATTRS.get(cat, {})
        unit, unit_label = categories.unit_price(cat, attrs, floor)
        ends_at = timezone.make_aware(dt.datetime.combine(end, dt.time(17)))
        batch.append(
            Project(
                code=f"{categories.CODE_PREFIX[cat]}B{i:07d}",
                title=f"基准项目{i}号{categories.Category(cat).label}转让",
                category=cat,
                status=statuses[i % len(statuses)],
                seller=seller,
                region_id=region_pk,
                region_code=region_code,
                city_code=region_code[:4] + "00",
                is_open=statuses[i % len(statuses)] in OPEN_STATUSES,
                valuation=floor,
                floor_price=floor,
                deposit_amount=(floor / 10).quantize(Decimal("1")),
                trading_method=methods[i % len(methods)],
                buyer_conditions="无",
                disclosure_wd=20,
                disclosure_start=start,
                disclosure_end=end,
                ends_at=ends_at,
                first_disclosed_at=ends_at,
                is_public=True,
                attributes=attrs,
                unit_price=unit,
                unit_price_unit=unit_label,
                view_count=rnd.randrange(0, 5000),
            )
        )
        if len(batch) == 5000:
            Project.objects.bulk_create(batch)
            batch = []
    if batch:
        Project.objects.bulk_create(batch)
    # one published notice per project would double the table; the detail page needs a few
    first = Project.objects.order_by("pk").values_list("pk", flat=True)[:200]
    now = timezone.now()
    Notice.objects.bulk_create(
        [
            Notice(
                project_id=pk,
                kind="listing",
                number=f"GGB{pk:09d}",
                title="挂牌公告",
                body="…",
                publish_at=now,
                published_at=now,
            )
            for pk in first
        ]
    )
    print(f"created {target - have} projects in {time.perf_counter() - t0:.1f} s")


def measure(client: Client, urls: list[str], rounds: int) -> tuple[float, float, int, int, float]:
    times: list[float] = []
    queries: list[int] = []
    db: list[float] = []
    for _ in range(2):  # warm-up (template loading, first query plans)
        client.get(urls[0])
    for i in range(rounds):
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - t0
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed * 1000)
        queries.append(len(ctx.captured_queries))
        db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    times.sort()
    return (
        statistics.median(times),
        times[int(len(times) * 0.95) - 1],
        min(queries),
        max(queries),
        statistics.median(db),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-count-cache", action="store_true", help="count every hall page (no 30 s count cache)")
    args = parser.parse_args()
    if args.no_count_cache:
        settings.LISTINGS_HALL_COUNT_CACHE_MIN = 10**12
    call_command("migrate", verbosity=0)
    populate(args.projects)
    with connection.cursor() as cursor:  # fresh statistics (and PostgreSQL's visibility map) after the bulk load
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE listings_project")
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host outside a test run ("testserver" is not)
    ids = list(Project.objects.filter(is_public=True).order_by("?").values_list("pk", flat=True)[:50])
    pages = {
        "hall (default)": ["/projects/"],
        "hall category": [f"/projects/?category={c}" for c in categories.Category.values],
        "hall region+price": ["/projects/?region=140100&price_min=100&price_max=5000",
                              "/projects/?region=141100&category=forest&sort=price_asc"],
        "hall sort ending": ["/projects/?sort=ending&status=all", "/projects/?sort=unit_price&category=forest"],
        "hall page 200": ["/projects/?page=200"],
        "detail": [f"/projects/{pk}/" for pk in ids],
        "api list": ["/api/v1/projects?category=forest&page=3"],
        "api detail": [f"/api/v1/projects/{pk}" for pk in ids],
    }  # fmt: skip
    cache_note = "no count cache" if args.no_count_cache else "count cache on"
    print(f"{connection.vendor}, {Project.objects.count()} projects, {args.requests} requests per page, {cache_note}")
    print(f"{'page':<22}{'p50 ms':>8}{'p95 ms':>8}{'queries':>10}{'db p50 ms':>11}")
    for name, urls in pages.items():
        p50, p95, qmin, qmax, db = measure(client, urls, args.requests)
        q = str(qmin) if qmin == qmax else f"{qmin}-{qmax}"
        print(f"{name:<22}{p50:>8.1f}{p95:>8.1f}{q:>10}{db:>11.1f}")


if __name__ == "__main__":
    main()
