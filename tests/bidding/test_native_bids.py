"""`POST /api/v1/auctions/{id}/bids` answered natively by `exchange.asgi` (bearer tokens) must
answer exactly what the Django/ninja endpoint answers: every input of the list below is sent
to a server with the native path and to one without it (both real uvicorn servers of
`exchange.asgi`, sharing the test database, the auction restored between the two), and the
status, the headers (all but `date`) and the body must be identical — the server times of an
accepted bid aside, which differ by the milliseconds between the two requests.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.accounts import services as account_services
from exchange.accounts.models import ApiToken
from exchange.bidding import engine, rules, services, sse
from exchange.bidding.models import Auction, AuctionBidder, Bid
from exchange.bidding.verify import verify_auction
from exchange.core.errors import InvalidInput
from tests.bidding.test_sse_support import ThreadServer, running_drill
from tests.factories import UserFactory

pytestmark = pytest.mark.xdist_group("bidding-sse")


@pytest.fixture
def servers(django_db_serialized_rollback, transactional_db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    from django.core.handlers.wsgi import WSGIHandler

    # a Django stack of its own per test: middleware reads settings when it is loaded, and a
    # stack loaded during another test (e.g. with HTTPS enforced) would answer differently
    with (
        ThreadServer(wsgi_app=WSGIHandler()) as native,
        ThreadServer(wsgi_app=WSGIHandler(), native_bids=False) as django,
    ):
        yield native, django
    sse.hub.stop()


@dataclass
class Req:
    """One request: the auction (a name of the `world` fixture), the token's owner, a body."""

    auction: str
    who: str | None  # a token of `world`, None: no Authorization header
    body: Any  # JSON-encoded unless bytes
    native: bool = True  # answered by the native path (False: it must go to Django)
    headers: dict[str, str] = field(default_factory=dict)
    auth: str | None = None  # the whole Authorization header instead of "Bearer <token>"
    query: str = ""


@dataclass
class World:
    auctions: dict[str, int]
    tokens: dict[str, str]


def _auction(mode: str = rules.ENGLISH, *, starts_in: float = 0, minutes: int = 30, **spec: Any) -> int:
    start = timezone.now() + dt.timedelta(seconds=starts_in)
    auction = services.auction_create(
        spec=services.AuctionSpec(
            title="对照测试标的",
            mode=mode,
            start_price=Decimal("100000.00"),
            increment=Decimal("1000.00"),
            starts_at=start,
            duration=dt.timedelta(minutes=minutes),
            **spec,
        ),
        actor=None,
    )
    return auction.pk


@pytest.fixture
def world(django_db_serialized_rollback, transactional_db, settings, tmp_path) -> World:
    settings.REDIS_URL = ""
    settings.BIDDING_EVENTS_DIR = str(tmp_path / "ev")
    english, people = running_drill(3)
    users = {name: p.user for name, p in zip(("a", "b", "c"), people, strict=True)}
    auctions = {"english": english, "missing": 999_999_999, "zero": 0}
    auctions["future"] = _auction(starts_in=3600)
    auctions["ended"] = _auction(starts_in=-7200, minutes=60)
    auctions["paused"] = _auction()
    auctions["sealed"] = _auction(rules.SEALED, sealed_max=Decimal("200000.00"))
    for name in ("future", "ended", "paused", "sealed"):
        services.bidders_admit(auction_id=auctions[name], users=list(users.values()), actor=None)
    engine.auction_pause(auction_id=auctions["paused"], actor=None, reason="对照测试")
    users["outsider"] = UserFactory()
    users["inactive"] = UserFactory(is_active=False)
    tokens = {name: account_services.api_token_issue(user=user) for name, user in users.items()}
    expired_user = UserFactory()
    tokens["expired"] = account_services.api_token_issue(user=expired_user)
    ApiToken.objects.filter(user=expired_user).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    return World(auctions, tokens)


def _bid(amount: Any, key: Any = "k1") -> dict[str, Any]:
    return {"amount": amount, "key": key}


# every case: a name and a sequence of requests (state carries over within a sequence)
CASES: list[tuple[str, list[Req]]] = [
    (
        "accepted, replayed, every rule of an English auction",
        [
            Req("english", "a", _bid("100000.00")),
            Req("english", "a", _bid("100000.00")),  # the same key and amount: 200, the original bid
            Req("english", "a", _bid("100000.00")),
            Req("english", "a", _bid("101000.00")),  # the same key, another amount: key_reused
            Req("english", "a", _bid("101000.00", "k2")),  # self_raise
            Req("english", "b", _bid("100000.00", "k3")),  # bid_too_low, with the minimum
            Req("english", "b", _bid("101500.00", "k4")),  # not_multiple_of_increment
            Req("english", "b", _bid(101000, "k5")),  # an integer amount
            Req("english", "c", _bid(102000.0, "k6")),  # a float amount
            Req("english", "a", _bid(" 103000 ", "中文键")),
            Req("english", "a", _bid(" 103000 ", "中文键")),
        ],
    ),
    ("not qualified", [Req("english", "outsider", _bid("100000.00"))]),
    ("not open", [Req("future", "a", _bid("100000.00"))]),
    ("closed", [Req("ended", "a", _bid("100000.00"))]),
    ("paused", [Req("paused", "a", _bid("100000.00"))]),
    (
        "sealed",
        [
            Req("sealed", "a", _bid("250000.00")),  # above_max
            Req("sealed", "a", _bid("150000.00", "k2")),
            Req("sealed", "a", _bid("160000.00", "k3")),  # sealed_already_bid
        ],
    ),
    ("unknown auction", [Req("missing", "a", _bid("100000.00"))]),
    ("auction id 0", [Req("zero", "a", _bid("100000.00"))]),
    (
        "amounts",
        [
            Req("english", "a", _bid(amount), native=amount not in (1e400, 10**20))
            for amount in (
                "abc",
                "-100000",
                "-0.01",
                "100000.001",
                "100000.12345",
                "",
                "   ",
                "0",
                "0.00",
                0,
                -5,
                1e400,  # JSON: 1e+400 → inf (falls to Django)
                100000.5,
                "1e5",
                "１００",
                "12345678901234567",
                10**20,
                "100,000.00",
                "NaN",
            )
        ],
    ),
    (
        "keys",
        [
            Req("english", "a", _bid("100000.00", "")),
            Req("english", "a", _bid("100000.00", "x" * 65)),
            Req("english", "a", _bid("100000.00", 12), native=False),
            Req("english", "a", _bid("100000.00", None), native=False),
        ],
    ),
    (
        "missing and extra fields",
        [
            Req("english", "a", {"amount": "100000.00"}),
            Req("english", "a", {"key": "k"}),
            Req("english", "a", {}),
            Req("english", "a", {"amount": "100000.00", "key": "k9", "note": "多余字段"}),
        ],
    ),
    (
        "malformed bodies",
        [
            Req("english", "a", b"{bad"),
            Req("english", "a", b"\xff\xfe"),
            Req("english", "a", b"\xc3\x28"),
            Req("english", "a", b'{"amount": "1", "key": "k"'),
            Req("english", "a", b"", native=False),
            Req("english", "a", b"[]", native=False),
            Req("english", "a", b"null", native=False),
            Req("english", "a", b'"100000"', native=False),
            Req("english", "a", _bid(True), native=False),
            Req("english", "a", _bid(None), native=False),
            Req("english", "a", _bid(["100000"]), native=False),
            Req("english", "a", b'{"amount": "1\\u0000", "key": "k"}', native=False),
            # a lone surrogate: the API's strict JSON parser's 422, through Django
            Req("english", "a", b'{"amount": "\\ud800", "key": "k"}', native=False),
            Req("english", "a", b'{"amount": "100000.00", "key": "\\ud800"}', native=False),
            Req("english", "a", b'{"amount": "100000.00", "key": "a\\udc00b"}', native=False),
            Req("sealed", "a", b'{"amount": "150000.00", "key": "\\ud800"}', native=False),
        ],
    ),
    (
        "authentication",
        [
            Req("english", None, _bid("100000.00"), native=False),
            Req("english", "outsider", _bid("100000.00"), auth="Bearer wrong"),
            Req("english", "outsider", _bid("100000.00"), auth="Bearer"),
            Req("english", "outsider", b"{bad", auth="Bearer wrong"),  # 401 comes first
            Req("english", "a", _bid("100000.00"), auth="Basic YTpi", native=False),
            Req("english", "expired", _bid("100000.00")),
            Req("english", "inactive", _bid("100000.00")),
            Req("missing", "outsider", _bid("100000.00"), auth="Bearer wrong"),
            # the token is checked by the engine's bidder statement; what is decided before
            # it (the amount, the key) must still answer 401 first
            Req("english", "outsider", _bid("abc"), auth="Bearer wrong"),
            Req("english", "outsider", _bid("100000.00", ""), auth="Bearer wrong"),
            Req("english", "expired", _bid("abc")),
            Req("english", "inactive", _bid("100000.00", "x" * 65)),
            Req("sealed", "outsider", _bid("150000.00"), auth="Bearer wrong"),
            Req("sealed", "outsider", _bid("150000.00")),
            Req("sealed", "inactive", _bid("150000.00")),
        ],
    ),
    ("bearer in lower case", [Req("english", "a", _bid("100000.00"), auth="bearer {token}")]),
    ("two spaces before the token", [Req("english", "a", _bid("100000.00"), auth="Bearer  {token}")]),
    (
        "languages",
        [
            Req("english", "a", _bid("abc"), headers={"Accept-Language": "en"}),
            Req("missing", "a", _bid("100000.00"), headers={"Accept-Language": "en-US,en;q=0.9"}),
            Req("english", "a", _bid("99000.00"), headers={"Accept-Language": "zh-CN,zh;q=0.9"}),
            Req("english", "a", _bid("99000.00"), headers={"Accept-Language": "fr"}),
            Req("english", "a", _bid("99000.00"), headers={"Accept-Language": "*"}),
        ],
    ),
    (
        "unusual requests go to Django",
        [
            Req("english", "a", _bid("100000.00"), headers={"Cookie": "sessionid=nope"}, native=False),
            Req("english", "a", _bid("100000.00"), query="?x=1", native=False),
            Req("english", "a", _bid("100000.00"), headers={"Content-Type": "text/plain"}, native=False),
            Req("english", "a", _bid("100000.00"), headers={"Host": "evil.example"}, native=False),
            Req("english", "a", _bid("99000.00"), headers={"Content-Type": "application/json; charset=utf-8"}),
        ],
    ),
]


def _send(server: ThreadServer, world: World, req: Req) -> tuple[int, list[tuple[str, str]], Any]:
    token = world.tokens.get(req.who or "", "")
    headers = {"Content-Type": "application/json", **req.headers}
    if req.auth is not None:
        headers["Authorization"] = req.auth.format(token=token)
    elif req.who is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = req.body if isinstance(req.body, bytes) else json.dumps(req.body).encode()
    url = f"{server.url}/api/v1/auctions/{world.auctions[req.auction]}/bids{req.query}"
    response = httpx.post(url, content=content, headers=headers, timeout=10)
    port = f":{server.port}/"  # in a redirect's Location
    kept = [(k.lower(), v.replace(port, ":<port>/")) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, kept, _normalised(response)


def _normalised(response: httpx.Response) -> Any:
    """The body, its server times replaced after checking they are times (they differ by the
    milliseconds between the two servers' requests)."""
    try:
        body = response.json()
    except ValueError:
        return response.content
    if response.status_code in (200, 201):
        for name in ("accepted_at", "ends_at"):
            dt.datetime.fromisoformat(body[name])
            body[name] = "<time>"
        for name, size in (("salt", 32), ("commitment", 64), ("hash", 64)):  # a sealed receipt: random salt
            if name in body:
                assert len(body[name]) == size and int(body[name], 16) >= 0
                body[name] = "<hex>"
    return [body, response.content if response.status_code not in (200, 201) else b""]


def _snapshot() -> tuple[list[dict[str, Any]], int, list[tuple[int, str]]]:
    return (
        list(Auction.objects.values()),
        Bid.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        list(AuctionBidder.objects.values_list("pk", "sealed_slot")),  # a sealed quote's only trace
    )


def _restore(snapshot: tuple[list[dict[str, Any]], int, list[tuple[int, str]]]) -> None:
    auctions, last_bid, slots = snapshot
    Bid.objects.filter(pk__gt=last_bid).delete()
    for row in auctions:
        Auction.objects.filter(pk=row["id"]).update(**{k: v for k, v in row.items() if k != "id"})
    for pk, slot in slots:
        AuctionBidder.objects.filter(pk=pk).update(sealed_slot=slot)


def _compare(native: ThreadServer, django: ThreadServer, world: World, requests: list[Req]) -> list[str]:
    """Run the requests on both servers from the same database state; the differences."""
    counter = native.application.native_bids
    before = _snapshot()
    got_native, path_errors = [], []
    for req in requests:
        served = counter.served
        got_native.append(_send(native, world, req))
        if counter.served - served != (1 if req.native else 0):
            path_errors.append(f"{req}: {'not ' if req.native else ''}answered natively")
    _restore(before)
    got_django = [_send(django, world, req) for req in requests]
    _restore(before)
    diffs = [
        f"{req}:\n  native {a}\n  django {b}"
        for req, a, b in zip(requests, got_native, got_django, strict=True)
        if a != b
    ]
    return path_errors + diffs


def test_the_native_path_answers_every_input_as_django(servers, world):
    # given two servers, one answering bearer-token bids natively, and the same database
    # state before each server's turn of every case
    native, django = servers
    # when every case is sent to both
    problems = {name: found for name, requests in CASES if (found := _compare(native, django, world, requests))}
    # then every answer is identical (and took the path expected)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    assert native.application.native_bids.served > 50


def test_behind_an_https_proxy(world, settings):
    # given HTTPS enforced as settings.py does with HTTPS=true, and servers started after that
    # (Django's middleware reads these settings when it is loaded)
    from django.core.handlers.wsgi import WSGIHandler

    import exchange.asgi  # noqa: F401  (its module-level Django stack must be built with the normal settings)

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    https = {"X-Forwarded-Proto": "https"}
    requests = [
        Req("english", "a", _bid("100000.00"), headers=https),  # HSTS added
        Req("english", "a", _bid("abc"), headers=https),
        Req("english", "a", _bid("99000.00"), headers={"X-Forwarded-Proto": "http"}, native=False),  # redirected
        Req("english", "a", _bid("99000.00"), native=False),
    ]
    with (
        ThreadServer(wsgi_app=WSGIHandler()) as native,
        ThreadServer(wsgi_app=WSGIHandler(), native_bids=False) as django,
    ):
        problems = _compare(native, django, world, requests)
        first = _send(native, world, requests[0])
        redirected = _send(native, world, requests[3])
    sse.hub.stop()
    # then the same answers: HSTS on HTTPS, a redirect (from Django) on plain HTTP
    assert not problems, "\n".join(problems)
    assert ("strict-transport-security", "max-age=31536000") in first[1]
    assert redirected[0] == 301


@pytest.mark.parametrize(
    "error", [RuntimeError("the database went away"), OperationalError("disk I/O error")], ids=["bug", "database"]
)
def test_a_server_error_is_answered_as_django_does(servers, world, monkeypatch, error):
    native, django = servers

    def broken(**kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(engine, "bid_place", broken)
    req = Req("english", "a", _bid("100000.00"))
    a = _send(native, world, req)
    b = _send(django, world, req)
    assert a[0] == 500 and a[2][0]["code"] == "server_error"
    assert a == b


@pytest.mark.parametrize("key", ["\\ud800", "k\\udfff", "中\\ud83d"])
def test_a_lone_surrogate_in_the_key_is_a_chinese_422_on_both_paths(servers, world, key):
    # given a bid whose JSON key decodes to a lone surrogate (no database driver can encode it)
    native, django = servers
    req = Req("english", "a", b'{"amount": "100000.00", "key": "' + key.encode() + b'"}')
    before = _snapshot()
    # when it is sent to the native path and through Django
    served = native.application.native_bids.served
    got = [_send(native, world, req), _send(django, world, req)]
    # then both answer the API's strict JSON parser's 422 in Chinese (the native path hands such
    # bodies to Django); nothing written
    for status, _headers, (body, _raw) in got:
        assert status == 422, body
        assert body == {"code": "invalid", "message": "输入含有无效的字符（不成对的 Unicode 代理项）。"}
    assert got[0] == got[1]
    assert native.application.native_bids.served == served
    assert _snapshot() == before


@pytest.mark.django_db
def test_the_engine_refuses_a_key_that_is_not_text_before_any_statement():
    """Defence in depth below the API's parser: the engine itself never sends such a key to SQL."""
    with pytest.raises(InvalidInput) as refused, CaptureQueriesContext(connection) as queries:
        engine.bid_place(auction_id=1, user=None, amount=Decimal("1.00"), key="k\ud800")
    assert refused.value.data == {"field": "key"} and not queries.captured_queries


def test_bids_placed_natively_are_in_the_ledger(servers, world):
    native, _django = servers
    account_services.api_token_authenticate(raw=world.tokens["a"])  # its first use recorded (a write)
    status, _headers, (body, _raw) = _send(native, world, Req("english", "a", _bid("100000.00")))
    assert status == 201 and native.application.native_bids.served == 1
    # on SQLite on the event loop's thread (no pool hop); PostgreSQL always uses the pool
    assert native.application.native_bids.served_inline == (1 if connection.vendor == "sqlite" else 0)
    bid = Bid.objects.get(auction_id=world.auctions["english"], seq=1)
    assert (body["seq"], body["amount"], body["bidder_no"]) == (1, "100000.00", bid.bidder_no)
    assert (f"{bid.amount:.2f}", bid.key) == ("100000.00", "k1")
    assert Auction.objects.get(pk=world.auctions["english"]).head_hash == bid.hash
    assert verify_auction(world.auctions["english"]).ok


def test_a_tokens_first_native_use_is_recorded_without_waiting_on_the_event_loop(servers, world):
    # given tokens never used: their last use is due a write, which must not wait on the
    # event loop's thread for another process's write lock
    native, _django = servers
    tokens = ApiToken.objects.filter(digest__in=[account_services.api_token_digest(world.tokens[w]) for w in "abc"])
    assert not tokens.exclude(last_used_at=None).exists()
    # when each bids natively for the first time: b and c bid, a bids below the price
    first = _send(native, world, Req("english", "b", _bid("100000.00")))
    second = _send(native, world, Req("english", "c", _bid("101000.00", "k2")))
    third = _send(native, world, Req("english", "a", _bid("100000.00", "k3")))
    # then every use is recorded: an accepted bid's with the bid (on SQLite on the loop's
    # thread, in the bid's transaction); a rejection's in the pool, after its answer
    assert (first[0], second[0], third[0]) == (201, 201, 422)
    assert not tokens.filter(last_used_at=None).exists()
    inline = native.application.native_bids.served_inline
    assert inline == (2 if connection.vendor == "sqlite" else 0)
    assert verify_auction(world.auctions["english"]).ok
