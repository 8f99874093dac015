"""Member pages (broker status, mandates given / received), the back-office review page and
the seller center's filing on a seller's behalf."""

from __future__ import annotations

import datetime as dt

import pytest

from exchange.brokers.models import BrokerApplication, Mandate, MandateProject
from exchange.core import clock
from exchange.listings.models import Project
from tests.brokers import factories as bf
from tests.factories import UserFactory
from tests.listings import factories as lf

pytestmark = pytest.mark.django_db


def test_a_firm_applies_on_the_page_and_sees_the_status(client):
    firm = bf.verified_firm()
    client.force_login(firm)
    page = client.get("/brokers/apply/").content.decode()
    assert "营业执照" in page and firm.id_number in page  # pre-filled from the verification
    data = {"firm_name": firm.real_name, "uscc": firm.id_number, "licence": bf.pdf(),
            "business_document": bf.pdf("b.pdf"), "scope_note": "产权经纪"}  # fmt: skip
    response = client.post("/brokers/apply/", data)
    assert response.status_code == 302
    application = BrokerApplication.objects.get(user=firm)
    assert application.status == "pending"
    page = client.get("/brokers/apply/").content.decode()
    assert 'data-broker-status="pending"' in page and "提交审核" not in page


def test_a_wrong_document_is_shown_next_to_its_field(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    firm = bf.verified_firm()
    client.force_login(firm)
    data = {"firm_name": firm.real_name, "uscc": firm.id_number,
            "licence": SimpleUploadedFile("l.pdf", b"<html>", content_type="application/pdf"),
            "business_document": bf.pdf("b.pdf")}  # fmt: skip
    page = client.post("/brokers/apply/", data).content.decode()
    assert "营业执照的文件内容不是允许的格式" in page  # the upload policy's words (exchange.core.uploads)
    assert not BrokerApplication.objects.exists()


def test_a_person_is_told_that_brokers_are_firms(client):
    client.force_login(UserFactory())
    page = client.get("/brokers/apply/").content.decode()
    assert "个人会员不能申请" in page


def test_documents_are_private_to_the_firm_and_reviewing_staff(client):
    application = bf.apply()
    url = f"/brokers/applications/{application.pk}/licence/"
    client.force_login(application.user)
    assert client.get(url).status_code == 200
    client.force_login(bf.verified_firm())
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role="reviewer"))
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"


def test_staff_approve_and_reject_on_the_review_page(client):
    reviewer = UserFactory(role="reviewer", is_staff=True)
    first, second = bf.apply(), bf.apply()
    client.force_login(reviewer)
    url = f"/admin/brokers/brokerapplication/{first.pk}/review/"
    page = client.get(url).content.decode()
    assert first.firm_name in page and "营业执照" in page
    assert client.post(url, {"decision": "approve"}).status_code == 302
    first.refresh_from_db()
    assert first.status == "approved"
    url = f"/admin/brokers/brokerapplication/{second.pk}/review/"
    client.post(url, {"decision": "reject", "reason": ""})
    second.refresh_from_db()
    assert second.status == "pending"  # a reason is required
    client.post(url, {"decision": "reject", "reason": "执照已过期"})
    second.refresh_from_db()
    assert second.status == "rejected" and second.reason == "执照已过期"


def test_the_broker_requests_a_mandate_on_its_page(client):
    broker, seller = bf.broker(), lf.verified_seller()
    client.force_login(broker)
    assert "发送委托申请" in client.get("/brokers/mandates/").content.decode()
    today = clock.today()
    data = {"seller": seller.phone, "subject": "代理挂牌：林地", "category": "forest", "max_projects": "2",
            "may_sign": "on", "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=30)).isoformat()}  # fmt: skip
    assert client.post("/brokers/mandates/", data).status_code == 302
    m = Mandate.objects.get(broker=broker)
    assert (m.seller, m.category, m.max_projects, m.may_sign, m.status) == (seller, "forest", 2, True, "pending")
    page = client.get("/brokers/mandates/").content.decode()
    assert "代理挂牌：林地" in page and 'data-mandate-state="pending"' in page


def test_a_member_who_is_no_broker_cannot_request(client):
    member, seller = bf.verified_firm(), lf.verified_seller()
    client.force_login(member)
    page = client.get("/brokers/mandates/").content.decode()
    assert "申请经纪会员资格" in page and "发送委托申请" not in page
    today = clock.today().isoformat()
    data = {"seller": seller.phone, "subject": "x", "max_projects": "1", "starts_on": today, "ends_on": today}
    assert client.post("/brokers/mandates/", data).status_code == 302
    assert not Mandate.objects.exists()


def test_the_seller_accepts_declines_and_revokes_on_its_page(client):
    broker, seller = bf.broker(), lf.verified_seller()
    first = bf.mandate(broker, seller, accept=False, subject="委托甲")
    second = bf.mandate(broker, seller, accept=False, subject="委托乙")
    client.force_login(seller)
    page = client.get("/brokers/mandates/received/").content.decode()
    assert "委托甲" in page and "委托乙" in page and "确认委托" in page
    client.post(f"/brokers/mandates/{first.pk}/accept/")
    client.post(f"/brokers/mandates/{second.pk}/decline/", {"reason": "暂不需要"})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status, second.decline_reason) == ("accepted", "declined", "暂不需要")
    client.post(f"/brokers/mandates/{first.pk}/revoke/", {"reason": ""})
    first.refresh_from_db()
    assert first.status == "accepted"  # a reason is required
    client.post(f"/brokers/mandates/{first.pk}/revoke/", {"reason": "终止合作"})
    first.refresh_from_db()
    assert first.status == "revoked"
    assert 'data-mandate-state="revoked"' in client.get("/brokers/mandates/received/").content.decode()


def test_someone_elses_mandate_is_404(client):
    broker, seller = bf.broker(), lf.verified_seller()
    m = bf.mandate(broker, seller, accept=False)
    for user in (lf.verified_seller(), broker):
        client.force_login(user)
        assert client.post(f"/brokers/mandates/{m.pk}/accept/").status_code == 404
        assert client.post(f"/brokers/mandates/{m.pk + 99}/accept/").status_code == 404
    assert client.post(f"/brokers/mandates/{m.pk}/nonsense/").status_code == 404
    m.refresh_from_db()
    assert m.status == "pending"


def test_the_member_center_shows_pending_mandates(client):
    broker, seller = bf.broker(), lf.verified_seller()
    bf.mandate(broker, seller, accept=False)
    client.force_login(seller)
    page = client.get("/accounts/center/").content.decode()
    assert "挂牌委托" in page and "1 项待确认" in page
    client.force_login(broker)
    assert "我的挂牌委托" in client.get("/accounts/center/").content.decode()


def test_the_broker_files_on_the_seller_center_form_only_inside_its_mandate(client):
    broker, seller, stranger = bf.broker(), lf.verified_seller(), lf.verified_seller()
    bf.mandate(broker, seller, category="forest")
    client.force_login(broker)
    data = {
        "title": "代理林地", "region": lf.region().pk, "valuation": "500000", "floor_price": "500000",
        "deposit_amount": "50000", "trading_method": "dynamic", "buyer_conditions": "无特殊要求",
        "disclosure_wd": "10", "pre_disclosure_wd": "0", "extension_wd": "5", "max_extension_cycles": "3",
        "allow_extension": "on", "attr_area_mu": "500", "attr_species": "华北落叶松",
        "attr_certificate_no": "晋林证0002", "attr_term_years": "20",
    }  # fmt: skip
    # outside the mandate (another seller): refused, shown on the form, nothing filed
    page = client.post("/my/projects/new/?category=forest", {**data, "seller_phone": stranger.phone})
    assert page.status_code == 200 and "有效的挂牌委托" in page.content.decode()
    assert not Project.objects.exists()
    # inside it: filed for the seller, with the broker recorded
    response = client.post("/my/projects/new/?category=forest", {**data, "seller_phone": seller.phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get()
    assert (project.seller, project.broker) == (seller, broker)
    assert MandateProject.objects.filter(project=project).exists()
    assert client.get(f"/my/projects/{project.pk}/").status_code == 200
