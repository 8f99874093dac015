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
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from exchange.accounts import services as account_services
from exchange.wsgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Fetched through the app, so the schema under test is the one clients get. No database access.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

FUZZ_SETTINGS = settings(
    max_examples=40,  # per operation and caller; about 400 requests per test, ~10 s on SQLite
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
        raise AssertionError(
            f"{response.status_code} body is not JSON ({response.headers.get('content-type')}): {response.content[:200]!r}"
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


@schema.parametrize()
@FUZZ_SETTINGS
def test_anonymous(case):
    # Generated `Authorization` headers and `sessionid` cookies are sent as they are: bogus ones
    # must be refused like missing ones.
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_member(case, member_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {member_token}"}, checks=CHECKS)
