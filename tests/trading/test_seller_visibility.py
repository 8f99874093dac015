"""What the seller learns about the buyers (issue: the seller saw every applicant and bidder).

Identities and materials reach the seller (or its broker under a mandate in force) only
where the project's terms require the seller's opinion on buyer qualification, only for
the applications awaiting that opinion, and only while the review runs; never the bidders.
"""

from __future__ import annotations

import pytest

from exchange.core.errors import DomainError
from exchange.trading import selectors, services
from exchange.trading.models import Application, Review
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def _applicants_page(client, project) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/trading/seller/projects/{project.pk}/applicants/")
    assert response.status_code == 200
    return response.content.decode()


def _material_status(client, app: Application) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"/trading/materials/{app.materials.first().pk}/").status_code  # type: ignore[union-attr]


def test_without_the_opinion_term_the_seller_sees_no_applicant_and_no_material(client):
    # given a project whose terms do not ask for the seller's opinion, an applicant and a bidder
    project = f.project()
    applicant = f.apply(project, f.buyer(name="甲意向受让人"))
    bidder = f.bidder(project, f.buyer(name="乙竞买人"))
    # when the seller opens the applicants page, the project page and the materials
    client.force_login(project.seller)
    page = _applicants_page(client, project)
    detail = client.get(project.get_absolute_url()).content.decode()
    # then no name, no material, no bidder (not even their number) is shown
    for app in (applicant, bidder):
        assert app.applicant.name not in page and app.applicant.name not in detail
        assert _material_status(client, app) == 404
    assert "竞买人1名" not in detail and "本轮已有" not in detail


def test_with_the_opinion_term_the_seller_sees_only_applications_awaiting_its_opinion(client):
    # given a project whose terms ask for the seller's opinion, one applicant awaiting it and a bidder
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    waiting = f.apply(project, f.buyer(name="丙待意见申请人"))
    other = f.apply(project, f.buyer(name="丁已审申请人"))
    services.seller_opinion_give(application_id=other.pk, actor=project.seller, agree=True)
    services.application_review(application_id=other.pk, actor=f.reviewer(), decision="qualify")
    client.force_login(project.seller)
    # when the seller opens the page, then only the application awaiting its opinion is there
    page = _applicants_page(client, project)
    assert waiting.applicant.name in page and other.applicant.name not in page
    assert _material_status(client, waiting) == 200 and _material_status(client, other) == 404
    # and once the seller gave its opinion, that applicant is gone too
    client.post(f"/trading/seller/applications/{waiting.pk}/opinion/", {"agree": "0", "note": "资信存疑"})
    waiting.refresh_from_db()
    assert waiting.seller_opinion == "disagree"
    assert waiting.applicant.name not in _applicants_page(client, project)
    assert _material_status(client, waiting) == 404


def test_the_review_over_the_seller_sees_nothing(client):
    # given an application awaiting the seller's opinion when the round ends without bidders
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True, on_no_buyer="relist")
    app = f.apply(project, f.buyer(name="戊申请人"))
    f.ended(project)
    services.outcome_decide(project_id=project.pk)
    app.refresh_from_db()
    # then the closed application is neither listed nor served to the seller
    client.force_login(project.seller)
    assert app.applicant.name not in _applicants_page(client, project)
    assert _material_status(client, app) == 404


def test_an_opinion_where_none_is_asked_is_not_found_and_writes_nothing():
    project = f.project()
    app = f.apply(project)
    with pytest.raises(DomainError) as err:
        services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=True)
    assert err.value.code == "not_found"
    app.refresh_from_db()
    assert app.seller_opinion == "" and not Review.objects.filter(application=app).exists()


def test_the_opinion_is_given_once():
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    app = f.apply(project)
    services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=True)
    with pytest.raises(DomainError) as err:
        services.seller_opinion_give(application_id=app.pk, actor=project.seller, agree=False, note="改主意")
    assert err.value.code == "illegal_transition"
    app.refresh_from_db()
    assert app.seller_opinion == "agree"


@pytest.mark.parametrize("mandate", ["none", "accepted", "revoked"])
def test_the_broker_sees_and_opines_only_under_a_mandate_in_force(client, mandate):
    from exchange.brokers import services as brokers
    from exchange.listings.models import Project
    from tests.brokers import factories as bf

    # given a project whose terms ask for the seller's opinion and its broker
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    app = f.apply(project)
    broker = bf.broker()
    if mandate == "none":
        Project.objects.filter(pk=project.pk).update(broker=broker)
    else:
        m = bf.mandate(broker, project.seller)
        bf.link(m, project)
        if mandate == "revoked":
            brokers.mandate_revoke(mandate_id=m.pk, seller=project.seller, reason="终止")
    client.force_login(broker)
    allowed = mandate == "accepted"
    # when it opens the applicants page and a material, and gives an opinion
    page = client.get(f"/trading/seller/projects/{project.pk}/applicants/")
    assert page.status_code == (200 if allowed else 404)
    assert _material_status(client, app) == (200 if allowed else 404)
    response = client.post(f"/trading/seller/applications/{app.pk}/opinion/", {"agree": "1"})
    # then only under the mandate in force is it accepted
    app.refresh_from_db()
    assert (app.seller_opinion == "agree") == allowed
    if not allowed:
        assert response.status_code == 404


def test_the_selector_is_empty_outside_the_review(client):
    project = f.project()
    services.terms_update(project_id=project.pk, actor=f.reviewer(), seller_opinion_required=True)
    f.apply(project)
    project.refresh_from_db()
    assert selectors.awaiting_seller_opinion(project).count() == 1
    project.status = "bidding"
    assert selectors.awaiting_seller_opinion(project).count() == 0


# --------------------------------------------------------------------------- withdraw: no existence oracle


def test_withdrawing_someone_elses_application_on_the_page_is_404_like_a_missing_one(client):
    # given someone else's application
    project = f.project()
    app = f.apply(project)
    client.force_login(f.buyer())
    # when another member posts its withdrawal, then the answer is the missing one's: 404
    response = client.post(f"/trading/applications/{app.pk}/withdraw/", {"reason": "x"})
    missing = client.post(f"/trading/applications/{app.pk + 999}/withdraw/", {"reason": "x"})
    assert response.status_code == missing.status_code == 404
    assert "只能撤回自己的受让申请" not in response.content.decode()
    app.refresh_from_db()
    assert app.status == "submitted"


def test_withdrawing_someone_elses_application_through_the_api_is_404_like_a_missing_one(client):
    project = f.project()
    app = f.apply(project)
    client.force_login(f.buyer())
    url = "/api/v1/trading/applications/{}/withdraw"
    response = client.post(url.format(app.pk), {}, content_type="application/json")
    missing = client.post(url.format(app.pk + 999), {}, content_type="application/json")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    app.refresh_from_db()
    assert app.status == "submitted"
