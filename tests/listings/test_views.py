"""The public pages, the seller center and the staff pages render and call the services."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.core import clock
from exchange.listings import services
from exchange.listings.models import Project, Status
from tests.factories import UserFactory
from tests.listings import factories as f

pytestmark = pytest.mark.django_db


def test_hall_filters_and_detail(client):
    forest = f.disclosed("forest")
    f.disclosed("vehicle")
    page = client.get("/projects/?category=forest")
    assert page.status_code == 200
    body = page.content.decode()
    assert forest.title in body and "凯美瑞" not in body
    assert client.get("/projects/?category=physical_asset&price_min=abc&sort=bad&page=99").status_code == 200
    assert client.get("/projects/?price_max=1").content.decode().count("lst-card-link") == 0
    detail = client.get(reverse("listings:project_detail", args=[forest.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "林权证号" in text and "¥833.33/亩" in text and "挂牌公告" in text
    assert Project.objects.get(pk=forest.pk).view_count == 1


def test_unpublished_project_is_hidden_from_the_public(client):
    project = f.submitted()
    assert client.get(reverse("listings:project_detail", args=[project.pk])).status_code == 404
    client.force_login(project.seller)
    assert client.get(reverse("listings:project_detail", args=[project.pk])).status_code == 200


def test_notice_has_a_permanent_url(client):
    project = f.disclosed()
    notice = project.notices.get()
    page = client.get(f"/notices/{notice.number}/")
    assert page.status_code == 200 and "挂牌公告" in page.content.decode()
    assert client.get("/notices/").status_code == 200


def test_the_seller_sees_a_scheduled_notice_without_a_dead_link(client):
    # given an approved project whose 挂牌公告 is scheduled, not yet published
    project = f.approved()
    notice = project.notices.get()
    assert notice.published_at is None
    client.force_login(project.seller)
    # then the seller's page shows when it will be published, and links nothing that 404s
    page = client.get(f"/my/projects/{project.pk}/").content.decode()
    assert "待发布" in page and f"{timezone.localtime(notice.publish_at):%Y-%m-%d %H:%M}" in page
    assert f"/notices/{notice.number}/" not in page
    assert client.get(f"/notices/{notice.number}/").status_code == 404
    # once published, the link is there and opens
    with clock.frozen(f.at(project.disclosure_start)):
        services.listings_tick()
    page = client.get(f"/my/projects/{project.pk}/").content.decode()
    assert f"/notices/{notice.number}/" in page and "已发布" in page
    assert client.get(f"/notices/{notice.number}/").status_code == 200


def test_seller_center_create_upload_submit(client):
    seller = f.verified_seller()
    client.force_login(seller)
    assert client.get("/my/projects/new/").status_code == 200
    form = client.get("/my/projects/new/?category=forest")
    assert "林地面积" in form.content.decode()
    data = {
        "title": "测试林地", "region": f.region().pk, "valuation": "500000", "floor_price": "500000",
        "deposit_amount": "50000", "trading_method": "dynamic", "buyer_conditions": "无特殊要求",
        "disclosure_wd": "10", "pre_disclosure_wd": "0", "extension_wd": "5", "max_extension_cycles": "3",
        "allow_extension": "on", "attr_area_mu": "500", "attr_species": "华北落叶松",
        "attr_certificate_no": "晋林证0002", "attr_term_years": "20", "attr_contact_name": "刘志强",
        "attr_contact_phone": "0358-8221066",
    }  # fmt: skip
    response = client.post("/my/projects/new/?category=forest", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(title="测试林地")
    url = f"/my/projects/{project.pk}/"
    client.post(url, {"action": "upload", "kind": "valuation_report", "file": f.pdf_upload()})
    client.post(url, {"action": "submit"})
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert client.get(url).status_code == 200
    assert client.get("/my/projects/").status_code == 200


def test_staff_review_pages(client):
    project = f.submitted()
    reviewer = UserFactory(role="reviewer")
    client.force_login(reviewer)
    queue = client.get("/staff/listings/reviews/")
    assert queue.status_code == 200 and project.title in queue.content.decode()
    page = client.get(f"/staff/listings/{project.pk}/")
    assert page.status_code == 200
    client.post(f"/staff/listings/{project.pk}/", {"action": "review", "decision": "approve", "comment": ""})
    project.refresh_from_db()
    assert project.status == Status.UNDER_REVIEW
    assert client.get("/staff/listings/calendar/").status_code == 200
    assert client.get("/staff/listings/calendar/?month=2026-10").status_code == 200
    member = UserFactory()
    client.force_login(member)
    assert client.get("/staff/listings/reviews/").status_code == 403


def test_staff_enters_a_project_on_a_sellers_behalf(client):
    seller = f.verified_seller(phone="13922220000")
    staff = UserFactory(role="reviewer")
    client.force_login(staff)
    data = {
        "seller_phone": "13922220000", "title": "代录林地", "region": f.region().pk, "valuation": "500000",
        "floor_price": "500000", "deposit_amount": "50000", "trading_method": "dynamic", "buyer_conditions": "无",
        "disclosure_wd": "10", "pre_disclosure_wd": "0", "extension_wd": "5", "max_extension_cycles": "3",
        "attr_area_mu": "100", "attr_species": "油松", "attr_certificate_no": "晋林证1", "attr_term_years": "10",
    }  # fmt: skip
    response = client.post("/my/projects/new/?category=forest", data)
    project = Project.objects.get(title="代录林地")
    assert response.status_code == 302 and project.seller == seller and project.created_by == staff
    assert client.get(f"/my/projects/{project.pk}/").status_code == 200
    client.force_login(UserFactory())  # a plain member cannot file for others
    client.post("/my/projects/new/?category=forest", {**data, "title": "冒名"})
    assert Project.objects.get(title="冒名").seller != seller


def test_a_capital_increase_names_its_floor_as_the_capital_sought(client):
    # given a capital increase and a transfer in disclosure
    increase, transfer = f.disclosed("capital_increase"), f.disclosed("forest")
    # when their pages and the hall are shown
    increase_page = client.get(reverse("listings:project_detail", args=[increase.pk])).content.decode()
    transfer_page = client.get(reverse("listings:project_detail", args=[transfer.pk])).content.decode()
    hall = client.get(reverse("portal:project_hall")).content.decode()
    # then the increase's floor is the least capital it seeks, a transfer's its 转让底价
    assert "拟募集资金下限" in increase_page and "<dt>转让底价</dt>" not in increase_page
    assert "<dt>转让底价</dt>" in transfer_page and "拟募集资金下限" not in transfer_page
    assert "<dt>拟募集资金下限</dt>" in hall and "<dt>转让底价</dt>" in hall
