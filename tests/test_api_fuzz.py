"""Property-based fuzzing of the JSON API (/api/v1) with schemathesis: every check it has.

The OpenAPI schema is fetched in-process from the WSGI app (GET /api/openapi.json, no
server), and every operation is called with generated inputs, valid and invalid ones
(plus schemathesis' coverage probes: boundary values, missing fields, other HTTP methods,
odd content types), 100 examples per operation and caller that reaches its inputs (see
"The callers" below: anonymous, a member's bearer token, a reviewer's). Every response must
pass every check schemathesis 4 has (issue 14, item 19) — among them:

- `not_a_server_error`: no 5xx, ever;
- `status_code_conformance`, `content_type_conformance`, `response_schema_conformance`,
  `response_headers_conformance`: every status documented, bodies as documented;
- `negative_data_rejection`: input the schema forbids is refused (4xx);
- `positive_data_acceptance`: input the schema allows is not refused with 400/422 — except
  a 422 naming a field whose rule no schema keyword can state (SEMANTIC_RULES);
- `unsupported_method`, `allow_header_conformance`: 405 with `Allow` for other methods;
- `ignored_auth`, `missing_required_header`, `use_after_free`, `ensure_resource_availability`;

and ours: a 4xx body is a JSON object with string `code` and `message` (docs/api.md, "Errors").

Random usernames at /auth/token may lock themselves out (429 `locked`, documented); the
member's own phone is never generated, so its token keeps working. Time: see
docs/development.md, "The API fuzz test".
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
from schemathesis.core.result import Err
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from exchange.accounts import services as account_services
from exchange.wsgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Fetched through the app, so the schema under test is the one clients get. No database access.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
# The callers with a token: schemathesis must not generate (and negate) the Authorization
# header or session cookie the test replaces with the token — it would judge a request by a
# header that was never sent. Anonymous calls keep them: bogus credentials must be refused.
authed_schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
authed_schema.config.generation.update(with_security_parameters=False)
# schemathesis seeds generation with the constants of the app's source, which it finds by
# walking the app's modules: once per schema object, and each operation's test below is a
# clone — 111 walks (≈ 40 s). Walked once here, the clones share the result.
try:
    from schemathesis.python._constants.orchestrator import build_constants_pool
except ImportError:  # a later schemathesis: slower at worst
    pass
else:
    build_constants_pool(schema)
    authed_schema._constants_pool_cache = schema._constants_pool_cache

# The callers. Each operation gets 100 examples from every caller whose answer it tells apart:
# - anonymous: the public operations; those that need credentials answer 401 before reading
#   any input, so they get REFUSED_EXAMPLES (bogus tokens and cookies among them);
# - a member (bearer token): every operation;
# - a reviewer (staff: accounts review, bidding.view_auction / view_bid): the operations whose
#   answer depends on being staff — the review queue, the bidding reads staff see more of, and
#   the members' actions staff are refused. Elsewhere a reviewer is a member without objects.
REFUSED_EXAMPLES = 10
STAFF_OPERATIONS = {
    "GET /api/v1/verifications",
    "POST /api/v1/verifications/{verification_id}/approve",
    "POST /api/v1/verifications/{verification_id}/reject",
    "POST /api/v1/me/verification",
    "POST /api/v1/projects/{project_id}/follow",
    "GET /api/v1/auctions",
    "GET /api/v1/auctions/{auction_id}",
    "GET /api/v1/auctions/{auction_id}/bids",
    "GET /api/v1/auctions/{auction_id}/log",
    "GET /api/v1/auctions/{auction_id}/confirmation.pdf",
}

FUZZ_SETTINGS = settings(
    max_examples=100,  # per operation and caller (the coverage probes come on top)
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


# Rules the services enforce that no JSON Schema keyword states exactly: a 422 naming one of
# these fields is the documented answer to input the schema allows (docs/api.md, "Errors").
SEMANTIC_RULES = {
    # a 身份证 / 统一社会信用代码 check digit (by member type); invisible characters in names;
    # an image's content (JPG or PNG by its bytes, size, pixels: exchange.core.uploads)
    "POST /api/v1/me/verification": {"id_number", "name", "legal_representative", "document_front", "document_back"},
    # the password rules (length, not too common, not all digits: Django's validators; the
    # answer names the field `new_password`), and a code that is not the one sent (422 invalid_code)
    "POST /api/v1/auth/password-reset/sms": {"new_password", "sms_code"},
}


def positive_data_acceptance_but_semantic_rules(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """schemathesis' positive_data_acceptance, letting a 422 through only where SEMANTIC_RULES
    names its `field` for this operation."""
    try:
        positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        allowed = SEMANTIC_RULES.get(case.operation.label, set())
        if response.status_code == 422 and _field(response) in allowed:
            return
        raise


def _field(response: schemathesis.Response) -> Any:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("field") if isinstance(body, dict) else None


# Every check schemathesis has (what it runs when none are named), ours on top, and
# positive_data_acceptance narrowed as above.
CHECKS = {"additional_checks": [error_body_contract, positive_data_acceptance_but_semantic_rules],
          "excluded_checks": [positive_data_acceptance]}  # fmt: skip


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
    case.call_and_validate(**CHECKS)


@settings(FUZZ_SETTINGS, max_examples=REFUSED_EXAMPLES)
def fuzz_anonymous_refused(case: schemathesis.Case) -> None:
    """An operation that needs credentials, called without (or with bogus) ones: 401 before
    any input is read, so the inputs' 100 examples are the member's."""
    case.call_and_validate(**CHECKS)


@FUZZ_SETTINGS
def fuzz_member(case: schemathesis.Case, member_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {member_token}"}, **CHECKS)


@FUZZ_SETTINGS
def fuzz_reviewer(case: schemathesis.Case, reviewer_token: str) -> None:
    """Staff reach the review endpoints' bodies, where member calls stop at 403."""
    case.call_and_validate(headers={"Authorization": f"Bearer {reviewer_token}"}, **CHECKS)


# One test function per operation and caller, not one `@schema.parametrize()` test for all
# operations: with pytest 9.2 the items schemathesis 4.32 makes for the operations of one test
# all get the same node id (`test_x`, no `[GET /path]` suffix), and `pytest -n 2 --dist
# loadgroup` (make test) then ran only the first operation of each test and passed. Distinct
# function names keep node ids distinct; a new operation gets its tests without an edit here.
def _slug(label: str) -> str:
    method, path = label.split(" ", 1)
    return "_".join([method.lower(), *re.findall(r"[a-z0-9]+", path.removeprefix("/api/v1").lower())])


def _make_test(source: Any, label: str, fuzz: Callable[..., None]) -> Callable[..., None]:
    return source.include(name=label).parametrize()(fuzz)


OPERATIONS: list[str] = []
for _result in schema.get_all_operations():
    if isinstance(_result, Err):
        raise _result.err()  # an operation schemathesis cannot read fails the collection
    _operation = _result.ok()
    _label = _operation.label
    OPERATIONS.append(_label)
    _secured = bool(_operation.definition.raw.get("security"))
    _anonymous = fuzz_anonymous_refused if _secured else fuzz_anonymous
    globals()[f"test_anonymous_{_slug(_label)}"] = _make_test(schema, _label, _anonymous)
    globals()[f"test_member_{_slug(_label)}"] = _make_test(authed_schema, _label, fuzz_member)
    if _label in STAFF_OPERATIONS:
        globals()[f"test_reviewer_{_slug(_label)}"] = _make_test(authed_schema, _label, fuzz_reviewer)


def test_the_staff_operations_exist() -> None:
    """A renamed path must not drop out of the reviewer's runs unnoticed."""
    assert set(OPERATIONS) >= STAFF_OPERATIONS
