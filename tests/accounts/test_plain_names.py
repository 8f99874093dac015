"""Names and titles where people write them (exchange.core.text's rule): registration, real-name
verification (page and API), the back office's user form, project titles, article titles,
consortium members."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from exchange.accounts import services as account_services
from exchange.accounts.models import User, Verification
from exchange.core.errors import DomainError, InvalidInput
from exchange.listings import services as listing_services
from exchange.listings.models import Project
from exchange.portal.models import Article
from exchange.trading import services as trading_services
from tests.factories import EntityFactory, UserFactory, image_upload, registration, valid_resident_id, valid_uscc
from tests.listings import factories as listing_factories


@pytest.mark.django_db
def test_registration_refuses_a_disguised_name_on_the_page_and_in_the_service(client):
    # page
    form = {
        "member_type": "person", "name": "系统\u200b管理员", "phone": "13911112222", "email": "x@example.com",
        "roles": ["bidder"], "password1": "Sx-exchange-88", "password2": "Sx-exchange-88", "agree": "on",
    }  # fmt: skip
    response = client.post("/accounts/register/", form)
    assert response.status_code == 200 and "不可见字符" in response.content.decode()
    # service
    with pytest.raises(InvalidInput) as err:
        account_services.member_register(**registration(name="系统\u202e员理管"))
    assert err.value.data["field"] == "name"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registration_stores_the_nfc_form():
    user = account_services.member_register(**registration(name="Jose\u0301 Chen"))
    assert user is not None and user.name == "José Chen"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "legal_representative"])
def test_verification_refuses_disguised_names_over_the_api(client, field):
    user = EntityFactory()
    client.force_login(user)
    data = {"name": "测试实业有限公司", "id_number": valid_uscc(3), "legal_representative": "张三"}
    data[field] = data[field][:1] + "\u2067" + data[field][1:]
    response = client.post("/api/v1/me/verification", {**data, "document_front": image_upload()})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["character"] == "U+2067"
    assert not Verification.objects.exists()


@pytest.mark.django_db
def test_verification_page_refuses_a_zero_width_name(client):
    client.force_login(UserFactory())
    response = client.post(
        "/accounts/verification/",
        {
            "name": "陈\u200b明",
            "id_number": valid_resident_id(5),
            "document_front": image_upload(),
            "document_back": image_upload("b.png"),
        },
    )
    assert response.status_code == 200 and "不可见字符" in response.content.decode()
    assert not Verification.objects.exists()


@pytest.mark.django_db
def test_the_back_office_user_form_refuses_it():
    user = UserFactory()
    user.name = "系统\u200b管理员"
    with pytest.raises(ValidationError) as err:
        user.full_clean()
    assert "name" in err.value.message_dict


@pytest.mark.django_db
def test_project_titles_are_checked_by_the_listing_service():
    seller = listing_factories.verified_seller()
    with pytest.raises(InvalidInput) as err:
        listing_services.project_create(
            actor=seller, **listing_factories.project_data(title="示范林场\u200d林地经营权转让")
        )
    assert err.value.data["field"] == "title"
    assert not Project.objects.exists()
    project = listing_factories.draft(title="Cafe\u0301 林场")
    assert project.title == "Café 林场"


@pytest.mark.django_db
def test_article_titles_are_checked_by_the_admin_form():
    article = Article(kind="news", title="\u202e重要通知", body="正文", slug="notice-1")
    with pytest.raises(ValidationError) as err:
        article.full_clean()
    assert "title" in err.value.message_dict


def test_consortium_member_names_are_checked():
    partners = [
        trading_services.Partner("甲公司\u200b", "91140100MA0000001X", Decimal(50)),
        trading_services.Partner("乙公司", "91140100MA0000002X", Decimal(50)),
    ]
    with pytest.raises(DomainError, match="不可见字符"):
        trading_services.check_consortium(partners)


@pytest.mark.django_db
def test_message_subjects_composed_from_an_old_title_are_stored_clean():
    # given: a title stored before the rule (written straight to the database)
    from exchange.members.services import notify

    user = UserFactory()
    # when
    message = notify(user, kind="deposit.due", subject="请缴纳保证金：示范\u200b林场\u202e", channels=("site",))
    # then
    assert message is not None and message.subject == "请缴纳保证金：示范林场"
