"""Names and titles (exchange.core.text): NFC, and no invisible or control characters — one rule
for the forms, the API, the models' admin forms and the services of every app."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.accounts import services as account_services
from exchange.accounts.models import User, Verification
from exchange.core import text
from exchange.core.errors import DomainError, InvalidInput
from exchange.listings import services as listing_services
from exchange.listings.models import Project
from exchange.portal.models import Article
from exchange.trading import services as trading_services
from tests.factories import REGISTRATION, UserFactory, image_upload, valid_resident_id
from tests.listings import factories as listing_factories

REFUSED = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM / zero-width no-break space
    "\u00ad",  # soft hyphen
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings, pop, overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u061c",  # Arabic letter mark
    "\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85",  # controls
    "\u2028", "\u2029",  # line / paragraph separators
    "\ufe0f", "\ufe00",  # variation selectors
    "\u034f",  # combining grapheme joiner
    "\u3164", "\u115f", "\u1160", "\uffa0", "\u2800",  # characters that draw nothing
    "\U000e0041",  # tag character
]  # fmt: skip


@pytest.mark.parametrize("ch", REFUSED)
def test_every_invisible_or_control_character_is_found(ch):
    assert text.forbidden_char(f"系统{ch}管理员") == ch
    with pytest.raises(InvalidInput) as err:
        text.clean_name(f"系统{ch}管理员", field="name")
    assert err.value.data["field"] == "name"
    assert "不可见字符" in err.value.message


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"),
            blacklist_characters="".join(chr(c) for c in text._REFUSED_CODEPOINTS),
        ),
        max_size=40,
    )
)
def test_visible_text_passes_and_comes_back_nfc(value):
    cleaned = text.clean_name(value, field="name")
    assert cleaned == unicodedata.normalize("NFC", value).strip()


@given(st.text(max_size=20), st.sampled_from(REFUSED), st.text(max_size=20))
def test_a_refused_character_anywhere_is_refused(before, ch, after):
    with pytest.raises(InvalidInput):
        text.clean_name(before + ch + after, field="title")


def test_rare_name_characters_are_kept():
    # an ideographic variation sequence (a rare form of 葛) and a private-use character
    assert text.clean_name("葛\U000e0100亮", field="name") == "葛\U000e0100亮"
    assert text.clean_name("王\ue000", field="name") == "王\ue000"


def test_decomposed_and_composed_forms_are_stored_alike():
    assert text.clean_name("Jose\u0301 ", field="name") == "José"


# --- where people write names and titles ----------------------------------------------------


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
        account_services.member_register(**{**REGISTRATION, "name": "系统\u202e员理管"})
    assert err.value.data["field"] == "name"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registration_stores_the_nfc_form():
    user = account_services.member_register(**{**REGISTRATION, "name": "Jose\u0301 Chen"})
    assert user is not None and user.name == "José Chen"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "legal_representative"])
def test_verification_refuses_disguised_names_over_the_api(client, field):
    from tests.factories import EntityFactory, valid_uscc

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
    from django.core.exceptions import ValidationError

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
    from django.core.exceptions import ValidationError

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


def test_pydantic_plain_text_refuses_and_normalises():
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(text.PlainText)
    assert adapter.validate_python("Jose\u0301") == "José"
    with pytest.raises(ValidationError):
        adapter.validate_python("a\u200bb")
