"""A seller lists a 林权 project; two staff approve in turn; the worker publishes the
挂牌公告; an anonymous visitor finds it in the hall by filter and reads it."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image

from exchange.core import clock
from exchange.listings import tasks
from exchange.listings.models import Notice, Project, Status
from tests.browser.listing_form import fill_contact
from tests.factories import PASSWORD, UserFactory
from tests.listings.factories import verified_seller

# serialized_rollback: the data migrations (regions, role groups) survive the flush of a live-server test
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "吕梁市文水县850亩林地经营权转让"


def _files(tmp_path: Path) -> tuple[str, str]:
    report = tmp_path / "森林资源资产评估报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    photo = tmp_path / "林地现场.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (86, 130, 89)).save(buf, format="JPEG")
    photo.write_bytes(buf.getvalue())
    return str(report), str(photo)


def _login(browser, base: str, phone: str, landing: str = "/accounts/center/"):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}{landing}")  # members: the member center; staff: the back office
    return context, page


def _approve(browser, base: str, phone: str, project: Project, shot, name: str) -> None:  # type: ignore[no-untyped-def]
    context, page = _login(browser, base, phone, landing="/admin/")
    assert page.get_by_text("待我审核").first.is_visible()  # the dashboard's work queue
    page.goto(f"{base}/staff/listings/reviews/")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"{base}/staff/listings/{project.pk}/")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "材料齐全，同意。")
    shot(page, name)
    page.get_by_role("button", name="提交审核意见").click()
    page.wait_for_url(f"{base}/staff/listings/{project.pk}/")
    assert page.get_by_text("操作成功").first.is_visible()
    context.close()


def test_forest_project_from_application_to_public_page(live_server, browser, page, shot, tmp_path):
    base = live_server.url
    seller = verified_seller(phone="13911110001", name="吕梁市林业发展有限公司")
    UserFactory(phone="13811110001", name="王审核", role="reviewer")
    UserFactory(phone="13811110003", name="张经理", role="manager")
    report, photo = _files(tmp_path)

    # the seller drafts the application from the member center
    context, seller_page = _login(browser, base, seller.phone)
    seller_page.get_by_role("link", name="我要挂牌").first.click()
    seller_page.get_by_role("link", name="林权").click()
    seller_page.fill("input[name=title]", TITLE)
    seller_page.select_option("select[name=region]", label="山西省吕梁市")
    seller_page.fill("textarea[name=description]", "林地位于文水县苍儿会，林龄18年，交通便利。")
    seller_page.fill("input[name=attr_area_mu]", "850")
    seller_page.fill("input[name=attr_species]", "油松、侧柏")
    seller_page.fill("input[name=attr_certificate_no]", "晋(2018)文水县林权证字第000213号")
    seller_page.fill("input[name=attr_term_years]", "30")
    fill_contact(seller_page)
    seller_page.fill("input[name=valuation]", "1275000")
    seller_page.fill("input[name=floor_price]", "1275000")
    seller_page.fill("input[name=deposit_amount]", "120000")
    seller_page.fill("textarea[name=buyer_conditions]", "具有林业经营能力的企业法人或农民专业合作社。")
    shot(seller_page, "listings-01-seller-form")
    seller_page.get_by_role("button", name="保存草稿").click()
    seller_page.wait_for_url(f"{base}/my/projects/*/")
    project = Project.objects.get(title=TITLE)
    # with attachments: the valuation report and a photo
    for kind, path in (("valuation_report", report), ("photo", photo)):
        seller_page.select_option("select[name=kind]", kind)
        seller_page.set_input_files("input[name=file]", path)
        seller_page.get_by_role("button", name="上传附件").click()
        seller_page.wait_for_url(f"{base}/my/projects/{project.pk}/")
    seller_page.get_by_role("button", name="提交审核").click()
    seller_page.wait_for_url(f"{base}/my/projects/{project.pk}/")
    shot(seller_page, "listings-02-seller-submitted")
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED and project.code.startswith("LQ")
    assert project.attachments.count() == 2
    context.close()

    # two staff approve in turn: 项目经理初审, then 部门经理复核
    _approve(browser, base, "13811110001", project, shot, "listings-03-initial-review")
    _approve(browser, base, "13811110003", project, shot, "listings-04-final-review")
    project.refresh_from_db()
    assert project.status == Status.SCHEDULED

    # the worker publishes the 挂牌公告 on the first day of disclosure
    assert project.disclosure_start is not None
    with clock.frozen(dt.datetime.combine(project.disclosure_start, dt.time(9, 5))):
        tasks.listings_tick.enqueue()
    project.refresh_from_db()
    assert project.status == Status.DISCLOSURE
    notice = Notice.objects.get(project=project, kind="listing")
    assert notice.published_at is not None

    # an anonymous visitor finds it in the hall by filter and reads the detail page
    page.goto(f"{base}/projects/")
    page.get_by_role("link", name="林权", exact=True).first.click()
    page.select_option("select[name=region]", label="吕梁市")
    page.fill("input[name=price_max]", "200")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/projects/?*region=141100*")
    shot(page, "listings-05-hall-filtered")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"{base}/projects/{project.pk}/")
    assert page.get_by_text("晋(2018)文水县林权证字第000213号").is_visible()
    assert page.get_by_text("¥1,500.00/亩").is_visible()
    assert page.locator(".lst-countdown").is_visible()
    shot(page, "listings-06-detail")
    page.get_by_role("link", name="挂牌公告").first.click()
    page.wait_for_url(f"{base}/notices/{notice.number}/")
    assert page.get_by_text("经交易中心审核，现将上述项目公开挂牌转让").is_visible()
    shot(page, "listings-07-notice")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/projects/{project.pk}/")
    shot(page, "listings-08-detail-phone")

    # the manager sees the disclosure end in the calendar
    context, manager_page = _login(browser, base, "13811110003", landing="/admin/")
    manager_page.goto(f"{base}/staff/listings/calendar/?month={project.disclosure_end:%Y-%m}")
    assert manager_page.get_by_role("link", name=project.code).is_visible()
    shot(manager_page, "listings-09-calendar")
    context.close()
