"""Property-based fuzzing of the JSON API (/api/v1) with schemathesis.

The OpenAPI schema is fetched in-process from the WSGI app (GET /api/openapi.json, no
server), and every operation is called with generated inputs, valid and invalid ones
(plus schemathesis' coverage probes: boundary values, missing fields, other HTTP methods,
odd content types), once anonymously and once with a normal member's bearer token.
Every response must satisfy:

- no 5xx, ever;
- where the schema documents the status: the body and content type match it;
- a 4xx body is a JSON object with string `code` and `message` (docs/api.md, "Errors").

Random usernames at /auth/token may lock themselves out (429 `locked`, documented); the
member's own phone is never generated, so its token keeps working.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from exchange.accounts import services as account_services
from exchange.wsgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Fetched through the app, so the schema under test is the one clients get. No database access.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

FUZZ_SETTINGS = settings(
    max_examples=40,  # per operation and caller (the coverage probes come on top)
    deadline=None,
    database=None,  # nothing replayed from or saved to .hypothesis/
    # The member and the test's transaction are shared by all examples of an operation on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def error_body_contract(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every rejection is a 4xx whose JSON body has string `code` and `message` (docs/api.md)."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        content_type = response.headers.get("content-type")
        raise AssertionError(
            f"{response.status_code} body is not JSON ({content_type}): {response.content[:200]!r}"
        ) from None
    assert isinstance(body, dict), f"{response.status_code} body is not a JSON object: {body!r}"
    for key in ("code", "message"):
        assert isinstance(body.get(key), str), f"{response.status_code} body lacks a string {key!r}: {body!r}"


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, error_body_contract]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Requests go through plain WSGI, not Django's test client: do what that client does.

    Django closes "unusable" database connections when a request starts and finishes; inside
    the test's transaction (autocommit off) that closes the connection and loses the
    transaction. SQLite's in-memory test database ignores the close, PostgreSQL does not (every
    request then failed with "the connection is closed"). django.test.client.ClientHandler
    detaches the same receiver for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def member_token(db) -> str:
    return account_services.api_token_issue(user=UserFactory())


@pytest.fixture
def reviewer_token(db) -> str:
    return account_services.api_token_issue(user=UserFactory(role="reviewer"))


@FUZZ_SETTINGS
def fuzz_anonymous(case: schemathesis.Case) -> None:
    # Generated `Authorization` headers and `sessionid` cookies are sent as they are: bogus ones
    # must be refused like missing ones.
    case.call_and_validate(checks=CHECKS)


@FUZZ_SETTINGS
def fuzz_member(case: schemathesis.Case, member_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {member_token}"}, checks=CHECKS)


@FUZZ_SETTINGS
def fuzz_reviewer(case: schemathesis.Case, reviewer_token: str) -> None:
    """Staff reach the review endpoints' bodies, where member calls stop at 403."""
    case.call_and_validate(headers={"Authorization": f"Bearer {reviewer_token}"}, checks=CHECKS)


# One test function per operation and caller, not one `@schema.parametrize()` test for all
# operations: with pytest 9.2 the items schemathesis 4.32 makes for the operations of one test
# all get the same node id (`test_x`, no `[GET /path]` suffix), and `pytest -n 2 --dist
# loadgroup` (make test) then ran only the first operation of each test and passed. Distinct
# function names keep node ids distinct; a new operation gets its tests without an edit here.
def _slug(label: str) -> str:
    method, path = label.split(" ", 1)
    return "_".join([method.lower(), *re.findall(r"[a-z0-9]+", path.removeprefix("/api/v1").lower())])


def _make_test(label: str, fuzz: Callable[..., None]) -> Callable[..., None]:
    return schema.include(name=label).parametrize()(fuzz)


for _result in schema.get_all_operations():
    if isinstance(_result, Err):
        raise _result.err()  # an operation schemathesis cannot read fails the collection
    _label = _result.ok().label
    globals()[f"test_anonymous_{_slug(_label)}"] = _make_test(_label, fuzz_anonymous)
    globals()[f"test_member_{_slug(_label)}"] = _make_test(_label, fuzz_member)
    globals()[f"test_reviewer_{_slug(_label)}"] = _make_test(_label, fuzz_reviewer)
