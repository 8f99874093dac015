from __future__ import annotations

import pytest
from django.urls import reverse

from exchange.accounts.models import Verification
from tests.factories import PASSWORD, UserFactory, image_upload, valid_resident_id

pytestmark = pytest.mark.django_db


def _token(client, user) -> str:
    response = client.post(
        "/api/v1/auth/token", {"username": user.phone, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def test_token_then_me(client):
    user = UserFactory()
    token = _token(client, user)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["member_no"] == user.member_no
    assert body["verified"] is False and body["verification"] is None


def test_bad_credentials_are_401_with_code(client):
    user = UserFactory()
    response = client.post(
        "/api/v1/auth/token", {"username": user.phone, "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


def test_token_endpoint_locks_out_too(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token", {"username": user.phone, "password": "nope"}, content_type="application/json")
    response = client.post(
        "/api/v1/auth/token", {"username": user.phone, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked"


def test_anonymous_me_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_missing_fields_are_422_with_code(client):
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_submit_verification_over_api_and_review_it(client, reviewer):
    member = UserFactory()
    token = _token(client, member)
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/api/v1/me/verification",
        {
            "name": "陈明",
            "id_number": valid_resident_id(9),
            "document_front": image_upload(),
            "document_back": image_upload(),
        },
        headers=auth,
    )
    assert response.status_code == 201, response.content
    vid = response.json()["id"]
    assert response.json()["id_number_masked"].startswith("1401") and "*" in response.json()["id_number_masked"]

    # the member cannot review
    assert client.post(f"/api/v1/verifications/{vid}/approve", headers=auth).status_code == 403
    # a reviewer can
    staff_auth = {"Authorization": f"Bearer {_token(client, reviewer)}"}
    queue = client.get("/api/v1/verifications", headers=staff_auth).json()
    assert [item["id"] for item in queue] == [vid]
    response = client.post(
        f"/api/v1/verifications/{vid}/reject",
        {"reason": "照片模糊"},
        content_type="application/json",
        headers=staff_auth,
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    # and a second decision is a conflict with a stable code
    response = client.post(f"/api/v1/verifications/{vid}/approve", headers=staff_auth)
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"
    assert Verification.objects.get().status == "rejected"


def test_invalid_id_number_over_api(client):
    token = _token(client, UserFactory())
    response = client.post(
        "/api/v1/me/verification",
        {
            "name": "陈明",
            "id_number": "110101199003074478",
            "document_front": image_upload(),
            "document_back": image_upload(),
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["field"] == "id_number"
    assert not Verification.objects.exists()


def test_session_auth_works_for_pages_calling_the_api(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/me").json()["member_no"] == user.member_no


def test_openapi_schema_is_published(client):
    response = client.get(reverse("openapi"))
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/token" in paths and "/api/v1/me" in paths


def test_regions_reference(client):
    provinces = client.get("/api/v1/ref/regions").json()
    assert len(provinces) == 34
    cities = client.get("/api/v1/ref/regions?parent=140000").json()
    assert "太原市" in [c["name"] for c in cities]


# --- the error contract holds for answers the views never see (found by tests/test_api_fuzz.py) ---


def test_unsupported_method_is_json_405(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed" and "GET" in response["Allow"]


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_broken_multipart_cannot_bypass_the_lockout(client):
    """A JSON body under a boundary-less multipart header used to be authenticated while the
    lockout failed to record the failure. Now such a request is refused before login."""
    user = UserFactory()
    body = f'{{"username": "{user.phone}", "password": "{PASSWORD}"}}'
    response = client.generic("POST", "/api/v1/auth/token", body, content_type="multipart/form-data")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert "token" not in response.json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/ref/regions?parent=%00", None),
        ("POST", "/api/v1/auth/token", '{"username": "a\\u0000b", "password": "x"}'),
    ],
)
def test_nul_characters_are_refused(client, method, path, body):
    if body is None:
        response = client.generic(method, path)
    else:
        response = client.generic(method, path, body, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_nul_in_a_multipart_field_is_refused(client):
    client.force_login(UserFactory())
    response = client.post(
        "/api/v1/me/verification",
        {
            "name": "张\x00三",
            "id_number": valid_resident_id(2),
            "document_front": image_upload(),
            "document_back": image_upload(),
        },
    )
    assert response.status_code == 422
    assert not Verification.objects.exists()


def test_post_without_credentials_is_401_not_a_csrf_error(client):
    response = client.post("/api/v1/verifications/1/approve")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    response = client.post("/api/v1/verifications/1/approve", headers={"Authorization": "Bearer expired-or-wrong"})
    assert response.status_code == 401


def test_logged_in_session_without_csrf_token_is_refused(reviewer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reviewer)
    response = strict.post("/api/v1/verifications/1/approve")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
