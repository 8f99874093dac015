"""The home page: 交易公告 in the navigation, the search box, the 交易公告 block and the
交易统计 (figures recomputed here from the deals themselves), and its query budget."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.core import clock
from exchange.core.money import format_wan
from exchange.deals.models import Deal
from exchange.listings import services as listing_services
from exchange.listings.models import Notice
from tests.deals import factories as f
from tests.listings import factories as lf

pytestmark = pytest.mark.django_db


def _block(html: str, marker: str) -> str:
    """The element that starts with `marker` up to its section's end (good enough for our markup)."""
    start = html.index(marker)
    return html[start : html.index("</section>", start) if "<section" in marker else html.index("</dl>", start)]


def _figures(deals: list[Deal]) -> tuple[int, Decimal, Decimal | None]:
    """成交宗数, 成交额, 增值率 worked out by hand: defaulted deals do not count."""
    live = [d for d in deals if d.status != Deal.Status.DEFAULTED]
    amount = sum((d.price for d in live), Decimal(0))
    floor = sum((d.project.floor_price for d in live), Decimal(0))
    rate = ((amount - floor) / floor * 100).quantize(Decimal("0.01"), ROUND_HALF_UP) if floor else None
    return len(live), amount, rate


def test_statistics_show_this_year_and_all_time_figures(client):
    # given three deals: this year, last year, and one defaulted (悔拍)
    f.deal(price=Decimal("1234567.89"))
    last_year = f.deal(price=Decimal("1100000.00"))
    defaulted = f.deal(price=Decimal("1500000.00"))
    year = timezone.localdate(clock.now()).year
    Deal.objects.filter(pk=last_year.pk).update(opened_at=timezone.make_aware(dt.datetime(year - 1, 12, 31, 23)))
    Deal.objects.filter(pk=defaulted.pk).update(status=Deal.Status.DEFAULTED, default_reason="逾期未签约")
    deals = list(Deal.objects.select_related("project"))
    expected_year = _figures([d for d in deals if timezone.localdate(d.opened_at).year == year])
    expected_all = _figures(deals)
    assert expected_year[0] == 1 and expected_all[0] == 2  # the test's own arithmetic, checked
    # when the home page is shown
    html = client.get("/").content.decode()
    # then each period shows its own figures
    for key, (count, amount, rate) in (("year", expected_year), ("total", expected_all)):
        block = _block(html, f'data-period="{key}"')
        assert re.search(rf'data-stat="count"><strong>{count}</strong>', block)
        assert f'data-stat="amount"><strong>{format_wan(amount)}</strong>' in block
        assert f'data-stat="premium"><strong>{rate}%</strong>' in block
    assert f"本年度（{year}年）" in html and "累计" in html and "数据截至" in html


def test_statistics_without_deals_say_so_plainly(client):
    html = client.get("/").content.decode()
    block = _block(html, 'data-period="total"')
    assert (
        "<strong>0</strong>" in block and f"<strong>{format_wan(0)}</strong>" in block and "<strong>—</strong>" in block
    )


def test_the_home_page_query_count_stays_bounded_and_the_statistics_are_cached(client):
    f.deal()
    lf.disclosed()
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get("/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/")
    # 5 queries before the blocks were added; + the two notice lists, + the statistics when cold
    assert len(cold) <= 8, [q["sql"][:120] for q in cold.captured_queries]
    assert len(warm) == len(cold) - 1
    assert not any("SUM(" in q["sql"].upper() for q in warm.captured_queries)
    # a new deal shows once the cache entry expires (here: is cleared)
    f.deal()
    assert "<strong>1</strong>" in _block(client.get("/").content.decode(), 'data-period="total"')
    cache.clear()
    assert "<strong>2</strong>" in _block(client.get("/").content.decode(), 'data-period="total"')


def test_navigation_search_box_and_notices_block(client):
    # given a project in disclosure (挂牌公告) and a published 成交公告
    project = lf.disclosed()
    listing = project.notices.get(kind=Notice.Kind.LISTING)
    result = listing_services.notice_publish(project_id=project.pk, kind="result", actor=None, body="成交……")
    html = client.get("/").content.decode()
    # the main navigation has 交易公告
    nav = html[html.index('id="main-nav"') : html.index("</nav>", html.index('id="main-nav"'))]
    assert '<a href="/notices/">交易公告</a>' in nav
    # the search box submits a bounded keyword to the project hall's filter
    form = re.search(r'<form class="home-search"[^>]*>.*?</form>', html, flags=re.S)
    assert form and 'action="/projects/"' in form.group(0) and 'method="get"' in form.group(0)
    assert 'name="q"' in form.group(0) and 'maxlength="50"' in form.group(0)
    # the notices block lists both kinds with their dates
    block = _block(html, '<section class="card section home-notices"')
    for notice in (listing, result):
        assert notice.title in block and notice.get_absolute_url() in block
        assert timezone.localtime(notice.published_at).strftime("%Y-%m-%d") in block
    assert "/notices/?kind=listing" in block and "/deals/" in block


def test_the_nav_marks_the_notices_pages_as_current(client):
    project = lf.disclosed()
    notice = project.notices.get()
    for url in ("/notices/", notice.get_absolute_url()):
        html = client.get(url).content.decode()
        assert '<a href="/notices/" aria-current="page">交易公告</a>' in html


def test_statistics_sum_money_exactly_on_every_database():
    # given deals whose prices a float sum cannot hold to the fen (SQLite keeps decimals as
    # REAL, and these five as floats add up to …010.375, which rounds to .38 instead of .37)
    from exchange.deals.selectors import deal_statistics

    cache.clear()
    prices = ["7356975944416.96", "2198210367641.43", "2043528015615.25", "7705565930273.49", "3343529951063.24"]
    for price in prices:
        Deal.objects.filter(pk=f.deal().pk).update(price=Decimal(price))
    # when the statistics are computed
    stats = deal_statistics()
    # then the amount is the exact sum
    assert stats.all_time.amount == sum(map(Decimal, prices)) == Decimal("22647810209010.37")
