"""Request bodies are bounded per route before they are read (exchange.core.request_limits,
exchange.asgi): on the production server (uvicorn with the site's protocol), over real
sockets."""

from __future__ import annotations

import io
import json
import os
import socket
import time

import httpx
import pytest
from PIL import Image

from exchange.accounts import services as account_services
from exchange.accounts.models import Verification
from tests.bidding.test_sse_support import ThreadServer
from tests.factories import UserFactory, valid_resident_id

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MB = 1024 * 1024


@pytest.fixture
def server(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    settings.REDIS_URL = ""
    with ThreadServer() as s:
        yield s


def _raw(port: int, head: bytes, body: bytes = b"", wait: float = 5.0) -> tuple[bytes, float]:
    """Send a request head (and maybe part of a body), then read the answer until the server
    closes the connection: (answer, seconds until its first byte)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(wait)
    started = time.monotonic()
    sock.sendall(head + body)
    answer = b""
    first = None
    try:
        while chunk := sock.recv(65536):
            first = first or time.monotonic()
            answer += chunk
    except TimeoutError:
        pass
    finally:
        sock.close()
    return answer, (first or time.monotonic()) - started


def _head(method: str, path: str, length: int | None, extra: str = "") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"Content-Length: {length}"] if length is not None else ["Transfer-Encoding: chunked"]
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _body(answer: bytes) -> bytes:
    return answer.split(b"\r\n\r\n", 1)[1]


def test_a_60_mb_body_to_healthz_is_refused_before_it_is_sent(server):
    # when: only the head announcing 60 MB is sent
    answer, seconds = _raw(server.port, _head("POST", "/healthz", 60 * MB))
    # then: 413 at once, a Chinese page, the connection closed
    assert _status(answer) == 413 and seconds < 2
    assert b"connection: close" in answer.lower()
    page = _body(answer).decode()
    assert "请求内容过大" in page and "1 MB" in page


def test_the_api_refuses_in_json_and_english_when_asked(server):
    answer, _ = _raw(server.port, _head("POST", "/api/v1/auth/token", 2 * MB, "Accept-Language: en\r\n"))
    assert _status(answer) == 413
    body = json.loads(_body(answer))
    assert body["code"] == "too_large" and body["max_bytes"] == MB and body["message"]
    assert b"content-language: en" in answer.lower()


def test_a_chunked_body_is_cut_at_the_limit(server):
    chunk = b"%x\r\n%s\r\n" % (256 * 1024, b"a" * 256 * 1024)
    answer, _ = _raw(server.port, _head("POST", "/healthz", None), chunk * 5)  # 1.25 MiB, no end
    assert _status(answer) == 413


def test_a_slow_body_times_out(server, settings):
    # given: a deadline of 1 s (plus 1 s per 64 KiB announced)
    settings.REQUEST_BODY_TIMEOUT = 1.0
    # when: 10 of 100 announced bytes arrive, then nothing
    answer, seconds = _raw(server.port, _head("POST", "/accounts/login/", 100), b"x" * 10, wait=10)
    # then
    assert _status(answer) == 408 and 0.9 < seconds < 5
    assert "超时" in _body(answer).decode()


def test_a_large_upload_needs_a_login(server):
    # given: 6 MB of identity documents (more than REQUEST_MAX_BODY_BYTES) without credentials
    answer, seconds = _raw(server.port, _head("POST", "/api/v1/me/verification", 6 * MB))
    # then: refused before the body is sent
    assert _status(answer) == 413 and seconds < 2
    # and with a token that is not valid
    answer, _ = _raw(server.port, _head("POST", "/api/v1/me/verification", 6 * MB, "Authorization: Bearer nope\r\n"))
    assert _status(answer) == 413


def _noise_png(megabytes: float) -> bytes:
    side = int((megabytes * MB / 3) ** 0.5)
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def test_a_logged_in_member_uploads_large_documents_through_the_server(server):
    # given: two 4.5 MB images (a 9 MB body: over REQUEST_MAX_BODY_BYTES, within the route's limit)
    member = UserFactory()
    token = account_services.api_token_issue(user=member)
    front, back = _noise_png(4.5), _noise_png(4.5)
    # when
    response = httpx.post(
        f"{server.url}/api/v1/me/verification",
        headers={"Authorization": f"Bearer {token}"},
        data={"name": "陈明", "id_number": valid_resident_id(41)},
        files={"document_front": ("a.png", front, "image/png"), "document_back": ("b.png", back, "image/png")},
        timeout=30,
    )
    # then
    assert response.status_code == 201, response.text
    v = Verification.objects.get(user=member)
    assert v.document_front.size == len(front) and v.document_back.size == len(back)


def test_an_upload_above_its_route_limit_is_refused_even_when_logged_in(server, settings):
    member = UserFactory()
    token = account_services.api_token_issue(user=member)
    limit = 2 * settings.UPLOAD_MAX_IMAGE_BYTES + settings.REQUEST_MAX_BODY_BYTES
    answer, _ = _raw(
        server.port, _head("POST", "/api/v1/me/verification", limit + 1, f"Authorization: Bearer {token}\r\n")
    )
    assert _status(answer) == 413 and json.loads(_body(answer))["max_bytes"] == limit


def test_the_route_limits_follow_the_upload_settings(settings):
    from exchange.core.request_limits import upload_limit

    settings.UPLOAD_MAX_VIDEO_BYTES = 300 * MB
    assert upload_limit("POST", "/my/projects/7/") == 300 * MB + settings.REQUEST_MAX_BODY_BYTES
    assert upload_limit("GET", "/my/projects/7/") is None
    assert upload_limit("POST", "/healthz") is None
    assert upload_limit("POST", "/api/v1/me/verification") == 2 * settings.UPLOAD_MAX_IMAGE_BYTES + MB
    settings.UPLOAD_MAX_MATERIAL_BYTES = 12 * MB  # a file of the application form, uploaded as it is chosen
    assert upload_limit("POST", "/trading/projects/3/drafts/") == 12 * MB + settings.REQUEST_MAX_BODY_BYTES


def test_every_app_declares_its_upload_routes_and_the_broker_form_may_send_two_documents(settings):
    from exchange.brokers import conf as brokers_conf
    from exchange.core.request_limits import upload_limit, upload_routes

    # the routes come from the apps' declarations (the registry), one list for the server
    declared = {route.pattern for _, route in upload_routes()}
    assert r"/trading/projects/[0-9]+/apply/" in declared and r"/accounts/verification/" in declared
    # the broker-status form carries a licence and a business document of up to 10 MB each:
    # it was held to the 1 MiB of an ordinary form before its route was declared
    assert upload_limit("POST", "/brokers/apply/") == 2 * brokers_conf.document_max_bytes() + MB
