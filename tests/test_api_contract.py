"""The API answers what its OpenAPI schema says, and the schema says what the API answers
(issue 14, item 19: mismatches schemathesis found with all its checks; docs/api.md, "Errors").

Plain tests, one per mismatch, so that each stays fixed without the fuzzer
(tests/test_api_fuzz.py) happening upon it again:

- a JSON body that is not an object (`[null, null]`) passed as one with every field missing
  — a withdrawal went through;
- NUL was refused anywhere in a request, also in text the API never reads, which the
  schema allows; text the API reads refuses it, and the schema says so;
- `fees/quote?amount=` (and `1e3`, `-5`) was refused while the schema allowed any string;
- answers the schema did not list (400 for a malformed body, 422 for a bad path
  parameter, 403 for staff following a project);
- the schema did not state the rules the services apply to amounts and reasons.
"""

from __future__ import annotations

import importlib
import json
import re
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
from django.apps import apps
from hypothesis import example, given, settings
from hypothesis import strategies as st

from exchange.accounts import services as account_services
from exchange.api import api
from exchange.bidding.amounts import parse_amount
from exchange.core.errors import DomainError
from exchange.trading.models import Application, Status
from tests.factories import PASSWORD, UserFactory
from tests.trading import factories as f

pytestmark = pytest.mark.django_db

NOT_OBJECTS = ["[null,null]", "null", '"x"', "5", "true", "[]", '[{"reason": "x"}]']


def _schema() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1")


def _bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {account_services.api_token_issue(user=user)}"}


# --- a JSON body is an object --------------------------------------------------------------
@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_a_withdraw_body_that_is_not_an_object_is_refused_and_changes_nothing(client, body):
    # given: a submitted application (WithdrawIn's only field is optional)
    app = f.apply(f.project())
    # when: its applicant posts a body that is no JSON object
    response = client.generic(
        "POST",
        f"/api/v1/trading/applications/{app.pk}/withdraw",
        body,
        content_type="application/json",
        headers=_bearer(app.applicant),
    )
    # then: 422 `invalid` naming the body, and the application is still submitted
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["loc"] == ["body", "payload"]
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert not Application.objects.filter(status=Status.WITHDRAWN).exists()


def test_an_object_body_still_withdraws(client):
    app = f.apply(f.project())
    response = client.post(
        f"/api/v1/trading/applications/{app.pk}/withdraw",
        {"reason": "另有安排", "unknown": [1]},
        content_type="application/json",
        headers=_bearer(app.applicant),
    )
    assert response.status_code == 200 and response.json()["status"] == Status.WITHDRAWN


@pytest.mark.parametrize("body", ["null", "[null,null]"])
def test_a_drill_body_that_is_not_an_object_creates_nothing(client, body):
    from exchange.bidding.models import Auction

    response = client.generic(
        "POST",
        "/api/v1/auctions/drills",
        body,
        content_type="application/json",
        headers=_bearer(UserFactory(role="operations")),
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert not Auction.objects.exists()


# --- content types ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain", ""]
)
def test_a_json_operation_reads_its_body_as_json_whatever_the_content_type_says(client, content_type):
    """A form's content type on a JSON body used to be a 500 for multipart (the guard's form
    parsing consumed the stream ninja then read); every content type now reads the same."""
    user = UserFactory()
    body = json.dumps({"username": user.phone, "password": PASSWORD})
    response = client.generic("POST", "/api/v1/auth/token", body, content_type=content_type)
    assert response.status_code == 200 and response.json()["token"]
    response = client.generic("POST", "/api/v1/auth/token", "not json", content_type=content_type)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_an_empty_image_is_refused_naming_it_as_the_schema_says(client):
    """The schema's `minLength: 1` for the verification images: an empty file is 422 for
    that field (werkzeug, the fuzzer's in-process transport, encodes an empty file so that
    Django does not see it: `minLength` keeps the fuzzer from sending what no client can)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from exchange.accounts.models import Verification
    from tests.factories import image_upload, valid_resident_id

    body = _schema()["paths"]["/api/v1/me/verification"]["post"]["requestBody"]
    properties = body["content"]["multipart/form-data"]["schema"]["properties"]
    assert properties["document_front"]["minLength"] == properties["document_back"]["minLength"] == 1
    client.force_login(UserFactory())
    response = client.post(
        "/api/v1/me/verification",
        {
            "name": "张三",
            "id_number": valid_resident_id(3),
            "document_front": SimpleUploadedFile("a.png", b""),
            "document_back": image_upload(),
        },
    )
    assert response.status_code == 422 and response.json()["field"] == "document_front"
    assert not Verification.objects.exists()


# --- NUL: refused where the API reads text, and only there ----------------------------------
def test_nul_in_text_the_api_does_not_read_is_not_refused(client):
    user = UserFactory()
    # an unknown JSON key and value
    body = json.dumps({"username": user.phone, "password": PASSWORD, "x\x00": "\x00"})
    response = client.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["token"]
    # an unknown query parameter
    response = client.get("/api/v1/projects", {"utm\x00": "\x00"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/api/v1/projects?q=%00", ["query", "q"]),
        ("/api/v1/ref/regions?parent=1%00", ["query", "parent"]),
        ("/api/v1/projects/notices/GG%00", ["path", "number"]),
        ("/api/v1/settlement/fees/quote?amount=1&category=%00", ["query", "category"]),
    ],
)
def test_nul_in_a_parameter_the_api_reads_is_422_naming_it(client, path, where):
    client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert response.json()["errors"] == [{"loc": where, "msg": "输入含有不允许的控制字符（NUL）。"}]


def test_nul_in_a_bid_key_is_refused(client):
    response = client.post(
        "/api/v1/auctions/1/bids",
        {"amount": "100000.00", "key": "k\x00"},
        content_type="application/json",
        headers=_bearer(UserFactory()),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "payload", "key"], "msg": "输入含有不允许的控制字符（NUL）。"}
    ]


def _request_strings(schema: Any, components: dict[str, Any], where: str, seen: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    """(where, schema) of every string a request may carry, through $refs and combinators."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _request_strings(components[name], components, f"{where}→{name}", seen | {name})
        return
    if schema.get("type") == "string":
        yield where, schema
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _request_strings(sub, components, where, seen)
    for name, sub in schema.get("properties", {}).items():
        yield from _request_strings(sub, components, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _request_strings(schema["items"], components, f"{where}[]", seen)


def test_every_string_the_api_reads_says_in_the_schema_that_nul_is_refused():
    """A new field typed plain `str` would take NUL (PostgreSQL: a 500) and its schema would
    not say otherwise: each must be an api_support.Text (or an enum, or a file)."""
    openapi = _schema()
    components = openapi["components"]["schemas"]
    unguarded = []
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            sources = [(f"{method} {path} {p['name']}", p["schema"]) for p in operation.get("parameters", [])]
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                sources.append((f"{method} {path} {media}", content["schema"]))
            for label, source in sources:
                for where, string in _request_strings(source, components, label):
                    if "enum" in string or string.get("format") == "binary":
                        continue
                    if "pattern" not in string or re.search(string["pattern"], "a\x00b"):
                        unguarded.append(where)
    assert not unguarded


# --- fees/quote?amount= --------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["", "1e3", "-5", "1.234", " 5", "５", "NaN", "12345678901234567"])
def test_a_fee_quote_amount_outside_the_schema_pattern_is_422_in_chinese(client, amount):
    from exchange.api_support import AMOUNT, pattern

    # given: the pattern the schema states for `amount`
    parameter = next(
        p for p in _schema()["paths"]["/api/v1/settlement/fees/quote"]["get"]["parameters"] if p["name"] == "amount"
    )
    assert parameter["schema"]["pattern"] == pattern(AMOUNT) and not re.search(pattern(AMOUNT), amount)
    client.force_login(UserFactory())
    # when
    response = client.get("/api/v1/settlement/fees/quote", {"amount": amount})
    # then
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert response.json()["errors"] == [
        {"loc": ["query", "amount"], "msg": "金额须为 0 或正数（元），最多两位小数，如 50000.00。"}
    ]


@pytest.fixture
def fee_schedules() -> None:
    importlib.import_module("exchange.settlement.migrations.0002_ledger_guards_and_reference_data").seed(apps, None)


@pytest.mark.parametrize("amount", ["0", "50000", "50000.5", "9999999999999999.99"])
def test_a_fee_quote_amount_the_schema_allows_is_quoted(client, fee_schedules, amount):
    client.force_login(UserFactory())
    response = client.get("/api/v1/settlement/fees/quote", {"amount": amount})
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["amount"]) == Decimal(amount)


# --- every answer documented -----------------------------------------------------------------
def _documented(method: str, path: str) -> set[int]:
    return {int(s) for s in _schema()["paths"][f"/api/v1{path}"][method]["responses"]}


@pytest.mark.parametrize(
    ("method", "path", "url", "body"),
    [
        # a malformed JSON body: 400 bad_request
        ("post", "/auctions/drills", "/api/v1/auctions/drills", "{"),
        ("post", "/auctions/{auction_id}/pause", "/api/v1/auctions/1/pause", "{"),
        ("post", "/deals/{deal_id}/sign", "/api/v1/deals/1/sign", "{"),
        ("post", "/trading/applications/{application_id}/withdraw", "/api/v1/trading/applications/1/withdraw", "{"),
        # no body where one is required, or a path parameter that is no integer: 422 invalid
        ("post", "/trading/applications/{application_id}/withdraw", "/api/v1/trading/applications/1/withdraw", ""),
        ("get", "/auctions/{auction_id}", "/api/v1/auctions/null,null", None),
        ("get", "/deals/{deal_id}", "/api/v1/deals/x", None),
        ("get", "/settlement/deposits/{deposit_id}", "/api/v1/settlement/deposits/x", None),
        ("get", "/trading/applications/{application_id}", "/api/v1/trading/applications/x", None),
        ("get", "/messages/{message_id}", "/api/v1/messages/x", None),
        ("post", "/messages/{message_id}/read", "/api/v1/messages/x/read", None),
        ("get", "/auctions/{auction_id}/confirmation.pdf", "/api/v1/auctions/x/confirmation.pdf", None),
    ],
)
def test_the_answer_to_a_bad_request_is_documented(client, method, path, url, body):
    headers = _bearer(UserFactory())
    if body is None:
        response = client.generic(method.upper(), url, headers=headers)
    else:
        response = client.generic(method.upper(), url, body, content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500 and response.json()["code"] in ("bad_request", "invalid")
    assert response.status_code in _documented(method, path), (response.status_code, response.json())


def test_staff_following_a_project_get_a_documented_403(client):
    project = f.project()
    response = client.post(f"/api/v1/projects/{project.pk}/follow", headers=_bearer(UserFactory(role="reviewer")))
    assert response.status_code == 403
    assert 403 in _documented("post", "/projects/{project_id}/follow")


def test_the_common_answers_follow_from_what_an_operation_reads_and_who_may_call_it():
    from exchange.api_support import common_error_statuses

    body = {"requestBody": {"content": {}}}
    session = {"security": [{"BearerToken": []}, {"SessionAuth": []}]}
    assert common_error_statuses("get", {}) == set()
    assert common_error_statuses("get", {"parameters": [{}]}) == {422}
    assert common_error_statuses("get", {"parameters": [{}], **session}) == {401, 422}
    assert common_error_statuses("post", {**body, **session}) == {400, 401, 403, 413, 422}
    assert common_error_statuses("post", {**body, "security": [{"BearerToken": []}]}) == {400, 401, 413, 422}


# --- the rules the services apply, stated by the schema ---------------------------------------
AMOUNT_CHARS = st.sampled_from("0123456789.-+e \t\n\u3000\xa0\ufeff\x1c\x85５")


def _parses(value: Any) -> bool:
    try:
        parse_amount(value)
    except DomainError:
        return False
    return True


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(AMOUNT_CHARS, max_size=22),
        st.integers(min_value=-(10**17), max_value=10**17),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-100, max_value=10**6).map(lambda cents: cents / 100),
        st.decimals(min_value=0, max_value=10**17, places=3).map(str),
    )
)
@example("0.00")
@example(" 1.5\u3000")
@example("\ufeff1")
@example(0.57)
@example(1e16)
@example(9999999999999998.0)
@example(10**16 - 1)
@example(True)
def test_the_bid_amount_schema_admits_exactly_what_parse_amount_takes(value):
    """The schema's three forms of an amount (text, whole number, JSON number) against the
    one function both bid paths use: agreement on every value, either way."""
    from exchange.bidding.api import BID_AMOUNT_SCHEMA

    assert jsonschema_rs.validator_for(BID_AMOUNT_SCHEMA).is_valid(value) == _parses(value), value


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u200b\u2028\u3000\ufeff\x00")))
def test_the_non_blank_pattern_is_what_strip_keeps(value):
    """Reasons (pause, resume, rerun, reject): the services strip and refuse blank text."""
    from exchange.api_support import NON_BLANK, pattern

    non_blank = jsonschema_rs.validator_for({"type": "string", "pattern": pattern(NON_BLANK)})
    assert non_blank.is_valid(value) == (bool(value.strip()) and "\x00" not in value)


@given(st.text(st.sampled_from("0123456789. \n\x00a")))
def test_the_patterns_read_the_same_in_python_and_json_schema(value):
    from exchange.api_support import AMOUNT, NO_NUL, pattern
    from exchange.bidding.api import AMOUNT_TEXT

    for regex in (NO_NUL, AMOUNT, AMOUNT_TEXT):
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern(regex)})
        assert validator.is_valid(value) == (re.fullmatch(regex, value) is not None)
