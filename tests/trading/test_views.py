"""The pages: apply, my applications, staff review, seller applicants, terms, project detail box."""

from __future__ import annotations

import pytest

from exchange.trading import services
from exchange.trading.models import Application, Status
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def test_project_page_offers_to_apply_and_then_shows_the_status(client):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    page = client.get(project.get_absolute_url())
    assert "我要受让/报名" in page.content.decode()
    f.apply(project, user)
    page = client.get(project.get_absolute_url())
    assert "待资格审核" in page.content.decode() and "查看我的受让申请" in page.content.decode()


def test_apply_through_the_form(client):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    form = client.get(f"/trading/projects/{project.pk}/apply/").content.decode()
    assert "受让资格承诺函" in form and "资信证明" in form
    data = {"bid_floor": "1,050,000.00", "accept_commitment": "on", **f.materials(project, user)}
    response = client.post(f"/trading/projects/{project.pk}/apply/", data)
    app = Application.objects.get(applicant=user)
    assert response.status_code == 302 and response.url == f"/trading/applications/{app.pk}/"
    assert str(app.bid_floor) == "1050000.00"
    page = client.get(response.url).content.decode()
    assert "办理进度" in page and "提交受让申请" in page
    assert "我的受让申请" in client.get("/accounts/center/").content.decode()


def test_apply_form_shows_the_error_next_to_the_field(client):
    project = f.project()
    user = f.buyer()
    client.force_login(user)
    data = {"bid_floor": "1.00", "accept_commitment": "on", **f.materials(project, user)}
    page = client.post(f"/trading/projects/{project.pk}/apply/", data).content.decode()
    assert "意向报价不得低于转让底价" in page
    assert not Application.objects.exists()


def test_staff_reviews_on_the_review_page(client):
    project = f.project()
    app = f.apply(project)
    staff = f.reviewer()
    client.force_login(staff)
    queue = client.get("/trading/staff/").content.decode()
    assert project.title in queue
    page = client.get(f"/trading/staff/applications/{app.pk}/").content.decode()
    assert "具有良好商业信用" in page and "资信证明" in page
    bad = client.post(f"/trading/staff/applications/{app.pk}/", {"decision": "reject", "note": "x"})
    assert "请至少选择一项" in bad.content.decode()
    client.post(f"/trading/staff/applications/{app.pk}/", {"decision": "qualify"})
    app.refresh_from_db()
    assert app.status == Status.QUALIFIED
    client.force_login(app.applicant)
    page = client.get(f"/trading/applications/{app.pk}/").content.decode()
    assert "保证金交纳通知" in page and "虚拟子账号" in page


def test_seller_sees_applicants_and_gives_an_opinion(client):
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    app = f.apply(project)
    client.force_login(project.seller)
    page = client.get(f"/trading/seller/projects/{project.pk}/applicants/").content.decode()
    assert app.applicant.name in page
    client.post(f"/trading/seller/applications/{app.pk}/opinion/", {"agree": "1"})
    app.refresh_from_db()
    assert app.seller_opinion == "agree"


def test_staff_edit_the_terms(client):
    project = f.project()
    holder = f.buyer()
    client.force_login(f.reviewer())
    assert client.get(f"/trading/staff/projects/{project.pk}/terms/").status_code == 200
    data = {"on_no_buyer": "relist", "increment": "5000", "countdown_seconds": "60", "free_period_seconds": "5",
            "window_seconds": "60", "extension_seconds": "120", "materials": ["id_proof", "credit_proof"],
            "joint_review": "on", "holders": f"{holder.phone}, 2"}  # fmt: skip
    response = client.post(f"/trading/staff/projects/{project.pk}/terms/", data)
    assert response.status_code == 302
    terms = services.terms_ensure(project_id=project.pk)
    assert terms.on_no_buyer == "relist" and terms.joint_review and terms.materials == ["id_proof", "credit_proof"]
    assert list(terms.holders.values_list("member_id", "rank")) == [(holder.pk, 2)]


def test_api_lists_and_withdraws_own_applications(client):
    project = f.project()
    app = f.apply(project)
    client.force_login(app.applicant)
    body = client.get("/api/v1/trading/applications").json()
    assert [a["id"] for a in body] == [app.pk] and body[0]["status"] == "submitted"
    other = f.apply(project)
    assert client.get(f"/api/v1/trading/applications/{other.pk}").status_code == 404
    response = client.post(f"/api/v1/trading/applications/{app.pk}/withdraw", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_a_blacklisted_member_is_told_on_the_project_page_and_never_gets_the_form(client):
    import datetime as dt

    from exchange.core import clock
    from exchange.members import services as members

    project = f.project()
    user = f.buyer()
    members.blacklist_add(
        member=user, reason="悔拍（测试）", starts_on=clock.today() - dt.timedelta(days=1), actor=None
    )
    client.force_login(user)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "data-refusal" in page and "黑名单" in page and "我要受让/报名" not in page
    response = client.get(f"/trading/projects/{project.pk}/apply/", follow=True)
    assert response.redirect_chain[-1][0] == project.get_absolute_url()
    assert "黑名单" in response.content.decode() and "受让资格承诺函" not in response.content.decode()
    assert not Application.objects.filter(applicant=user).exists()
