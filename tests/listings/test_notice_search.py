"""The 交易公告 list's keyword search: title, notice number or project code; bounded input,
escaped output; works together with the kind tabs and the pagination."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from exchange.core import clock
from exchange.listings.models import Notice
from tests.listings import factories as f

pytestmark = pytest.mark.django_db
URL = reverse("listings:notice_list")


def _numbers(html: str) -> set[str]:
    return set(re.findall(r'href="/notices/([^/"]+)/"', html))


def test_a_keyword_finds_titles_notice_numbers_and_project_codes(client):
    forest = f.disclosed("forest", title="交城县油松林地经营权转让")
    car = f.disclosed("vehicle", title="丰田凯美瑞公务车辆转让")
    forest_notice, car_notice = forest.notices.get(), car.notices.get()
    assert _numbers(client.get(URL, {"q": "油松林地"}).content.decode()) == {forest_notice.number}
    assert _numbers(client.get(URL, {"q": car_notice.number.lower()}).content.decode()) == {car_notice.number}
    assert _numbers(client.get(URL, {"q": f"  {car.code}  "}).content.decode()) == {car_notice.number}
    both = client.get(URL, {"q": "转让"}).content.decode()
    assert _numbers(both) == {forest_notice.number, car_notice.number}
    assert "“转让”：共 2 条公告" in both
    # with a kind tab: only that kind; the tabs keep the keyword
    html = client.get(URL, {"q": "转让", "kind": "result"}).content.decode()
    assert _numbers(html) == set() and "没有找到相关公告" in html
    assert 'href="?kind=listing&amp;q=%E8%BD%AC%E8%AE%A9"' in html
    assert 'name="kind" value="result"' in html  # searching again keeps the tab


def test_the_keyword_is_bounded_and_escaped(client):
    f.disclosed()
    long = "林" * 80
    html = client.get(URL, {"q": long}).content.decode()
    assert f'value="{"林" * 50}"' in html and "林" * 51 not in html
    assert 'maxlength="50"' in html
    hostile = '<script>alert("x")</script>\x00\x07'
    response = client.get(URL, {"q": hostile})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "\x00" not in body and "\x07" not in body


def test_pagination_keeps_the_keyword_and_the_kind(client):
    project = f.disclosed(title="示范林场林地经营权转让")
    now = clock.now()
    Notice.objects.bulk_create(
        Notice(project=project, kind="clarification", title=f"示范林场澄清公告{i:02d}", body="……", publish_at=now,
               published_at=now, number=f"QT{i:010d}")
        for i in range(25)
    )  # fmt: skip
    first = client.get(URL, {"q": "示范林场澄清", "kind": "clarification"}).content.decode()
    assert len(_numbers(first)) == 20
    assert 'href="?kind=clarification&amp;q=%E7%A4%BA%E8%8C%83%E6%9E%97%E5%9C%BA%E6%BE%84%E6%B8%85&amp;page=2"' in first
    second = client.get(URL, {"q": "示范林场澄清", "kind": "clarification", "page": 2}).content.decode()
    assert len(_numbers(second)) == 5 and not _numbers(first) & _numbers(second)


def test_the_api_searches_the_same_way(client):
    forest = f.disclosed("forest", title="交城县油松林地经营权转让")
    f.disclosed("vehicle")
    body = client.get("/api/v1/projects/notices", {"q": "油松"}).json()
    assert [n["number"] for n in body["results"]] == [forest.notices.get().number]
    assert client.get("/api/v1/projects/notices", {"q": "长" * 51}).status_code == 422
