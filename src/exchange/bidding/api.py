"""JSON API of the bidding app, mounted by exchange.api at /api/v1/auctions (docs/api.md «网络竞价»).

Paths and fields are stable: a mini-program or app bids through them. Reads are public
(bidders appear only as 竞买号); a bid needs a bearer token or the site's session.
`GET /{id}/events` (Server-Sent Events) is served by `sse.py`, not by this router.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import StrictFloat, StrictInt, StrictStr, WithJsonSchema

from exchange.accounts import services as account_services
from exchange.api_support import (
    AMOUNT,
    ESCAPED_SURROGATE,
    NO_NUL,
    NON_BLANK,
    NUL_MESSAGE,
    WHITESPACE,
    BodyIn,
    Doc,
    Text,
    TextRule,
    WholeNumber,
    errors,
    pattern,
    require_perm,
)
from exchange.bidding import engine, ledger_sql, rules, selectors, services
from exchange.bidding.amounts import parse_amount
from exchange.bidding.errors import AuctionNotFound, LogNotPublic
from exchange.bidding.models import Auction
from exchange.core import clock
from exchange.core.errors import DomainError, NotFound, PermissionDenied, Unauthenticated

router = Router(tags=["bidding"])


def _viewer(request: HttpRequest) -> Any:
    """The caller if identified (bearer token or session), else None: reads are public."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return account_services.api_token_authenticate(raw=header[7:].strip())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


_ANON = AnonymousUser()


def _auction(auction_id: int) -> Auction:
    auction = Auction.objects.select_related("leader", "winner").filter(pk=auction_id).first()
    if auction is None:
        raise AuctionNotFound()
    return auction


# What parse_amount takes (checked there, answered 422 `invalid_amount`, also by the native
# path): text of digits with at most 2 decimals, more than zero, surrounding whitespace
# ignored; a whole number 1 … 10^16 − 1; a JSON number > 0, < 10^16, a multiple of 0.01.
AMOUNT_TEXT = rf"[{WHITESPACE}]*(?=[^1-9]*[1-9])(?:{AMOUNT})[{WHITESPACE}]*"
BID_AMOUNT_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": pattern(AMOUNT_TEXT), "examples": ["101000.00"]},
        {"type": "integer", "minimum": 1, "maximum": 10**16 - 1},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10**16, "multipleOf": 0.01},
    ],
    "title": "Amount",
}


class BidIn(BodyIn):
    # strict: JSON true/false is not an amount (lax pydantic read `true` as 1), nor 1 a key;
    # the amount's rules are parse_amount's (the schema states them), the key's length the engine's
    amount: Annotated[StrictStr | StrictInt | StrictFloat, WithJsonSchema(BID_AMOUNT_SCHEMA)]
    key: Annotated[StrictStr, TextRule(NO_NUL, NUL_MESSAGE), Doc(minLength=1, maxLength=64)]


class BidOut(Schema):
    seq: int
    amount: str
    bidder_no: str
    accepted_at: str
    ends_at: str


class SealedBidOut(Schema):
    """A sealed quote's receipt (一次报价, before the opening; its bidder only): no seq (its
    place would tell how many quoted before), and what the bidder needs to check the
    opening — the salt, the commitment and the log entry's hash (docs/bidding.md)."""

    seq: None = None
    amount: str
    bidder_no: str
    accepted_at: str
    ends_at: str
    sealed: bool
    salt: str
    commitment: str
    hash: str


class ReasonIn(BodyIn):
    # blank → 422 `reason_required` from the engine (after the permission check)
    reason: Annotated[Text, Doc(pattern=pattern(NON_BLANK))]


def _limits(name: str) -> Doc:
    """The range services.DRILL_LIMITS enforces (422 `invalid` with `field`), in the schema."""
    _, low, high, _words = services.DRILL_LIMITS[name]
    return Doc(minimum=low, maximum=high)


DrillAmount = Annotated[Text, Doc(pattern=pattern(AMOUNT_TEXT))]


class DrillIn(BodyIn):
    """Whole numbers are JSON integers: `true` is not 1, "60" and 1.5 are not whole numbers
    (422 `invalid` with the field in `errors`; 60.0 is 60, as JSON Schema reads it); their ranges are services.DRILL_LIMITS (422 with `field`),
    stated in the schema, as are the modes and the amounts' form. Not in the schema: a
    dynamic drill's `free_seconds` is at least 1, a Dutch descent at most 7 days, and a title
    without invisible characters (exchange.core.text) — each a 422 naming its field."""

    mode: Annotated[Text, Doc(enum=list(rules.MODES))] = rules.ENGLISH
    title: Text = ""
    bidders: Annotated[WholeNumber, _limits("bidders")] = 2
    start_price: DrillAmount = "100000.00"
    increment: DrillAmount = "1000.00"
    duration: Annotated[WholeNumber, _limits("duration")] = 300
    free_seconds: Annotated[WholeNumber, _limits("free_seconds")] = 120
    countdown: Annotated[WholeNumber, _limits("countdown")] = 60
    window: Annotated[WholeNumber, _limits("window")] | None = None
    extension: Annotated[WholeNumber, _limits("extension")] | None = None
    dutch_tick: DrillAmount = "1000.00"
    dutch_interval: Annotated[WholeNumber, _limits("dutch_interval")] = 10
    dutch_floor: Annotated[Text, Doc(pattern=pattern(f"(?:{AMOUNT_TEXT})?"))] | None = None  # "" or null: 10 ticks
    # dutch: the pre-emption window after a take (None: conf)
    preemption_seconds: Annotated[WholeNumber, _limits("preemption_seconds")] | None = None
    start_delay: Annotated[WholeNumber, _limits("start_delay")] = 0


@router.get("", auth=None, response={200: list[dict[str, Any]], **errors(422)})
def auction_list(request: HttpRequest) -> Any:
    """Auctions not yet ended (scheduled, running, paused), soonest deadline first (practice
    drills only to their invited bidders and staff)."""
    viewer = _viewer(request)
    return [selectors.auction_dict(a, viewer=viewer) for a in selectors.running_auctions(viewer=viewer or _ANON)[:200]]


@router.post("/drills", response={201: dict[str, Any], **errors(401, 403, 422)})
def drill_create(request: HttpRequest, payload: DrillIn) -> Any:
    """Staff (create_drill): a practice auction with invited practice bidders (as `manage.py drill`).
    Every whole number is checked by services.drill_spec / drill_create (DRILL_LIMITS): out of
    range → 422 `invalid` with `field`, nothing created. `preemption_seconds` unset → conf's default."""
    actor = require_perm(request, "bidding.create_drill")
    spec = services.drill_spec(**payload.dict())
    return Status(201, services.drill_create(spec=spec, bidders=payload.bidders, actor=actor))


@router.get("/{auction_id}", auth=None, response={200: dict[str, Any], **errors(404)})
def auction_detail(request: HttpRequest, auction_id: int) -> Any:
    """The live state: mode, status, phase, prices, leader_no, my_no/my_status, ends_at, server_time."""
    return selectors.auction_public(auction_id=auction_id, viewer=_viewer(request) or _ANON)


@router.post(
    "/{auction_id}/bids",
    response={200: BidOut | SealedBidOut, 201: BidOut | SealedBidOut, **errors(401, 403, 404, 409, 422)},
)
def bid_create(request: HttpRequest, auction_id: int, payload: BidIn) -> Any:
    """Place a bid `{"amount": "101000.00", "key": "<client idempotency key>"}` → 201.
    Repeating a key with the same amount answers 200 with the original bid. A sealed quote
    (一次报价) answers its receipt instead (SealedBidOut: no seq; salt, commitment, hash)."""
    amount = parse_amount(payload.amount)
    bid = engine.bid_place(auction_id=auction_id, user=request.auth, amount=amount, key=payload.key)  # type: ignore[attr-defined]
    return Status(200 if getattr(bid, "replayed", False) else 201, engine.bid_public(bid))


# --- the same endpoint without Django's request stack --------------------------------------
# `exchange.bidding.native` answers `POST /{auction_id}/bids` itself when the request carries
# a bearer token and nothing unusual (no cookie, a JSON body of the usual shape …): the hot
# path of a hot auction. It calls `bid_native` below in a thread of the worker — the same token lookup,
# `parse_amount` and `engine.bid_place` as `bid_create` — and must answer byte for byte what
# the endpoint above (through ninja and the middleware) answers; tests/bidding/test_native_bids.py
# sends every kind of input to both. Whatever it does not reproduce exactly goes to Django.

MALFORMED = object()  # a body that is not JSON: ninja answers 400 (after authentication)
_LIMIT = 64 * 1024  # larger bodies go through Django (its upload limits apply)
_BIG = 2**63


def native_bid_payload(raw: bytes) -> Any:
    """The body of a bid as the native path takes it: a dict with "amount" and/or "key"
    (a missing field is answered 422 as ninja does), MALFORMED for text that is not JSON,
    or None when pydantic / the API guard would treat it in a way this does not reproduce
    (control characters, another JSON shape, booleans, nulls, nested values, …): the request
    then goes to Django."""
    if not raw or len(raw) > _LIMIT or b"\x00" in raw or b"\\u0000" in raw:
        return None  # empty body: ninja's own "field required" shape; NUL: BidIn.key (Text) or parse_amount refuses it
    if b"\\u" in raw and ESCAPED_SURROGATE.search(raw):
        return None  # maybe a lone surrogate ("\ud800"): the API's strict JSON parser answers it
    try:
        data = json.loads(raw)
    except Exception:  # as ninja's parser: any failure is a 400
        return MALFORMED
    if type(data) is not dict:
        return None
    out: dict[str, Any] = {}
    if "amount" in data:
        amount = data["amount"]
        kind = type(amount)
        if kind is int:
            if not -_BIG < amount < _BIG:
                return None
        elif kind is float:
            if not math.isfinite(amount):
                return None
        elif kind is not str:
            return None  # bool, None, lists, objects: pydantic's own coercions and messages
        out["amount"] = amount
    if "key" in data:
        key = data["key"]
        if type(key) is not str:
            return None
        out["key"] = key
    return out


def bid_native(
    *, auction_id: int, token: str, payload: Any, wait: bool = True, snapshot: bool = True
) -> tuple[int, dict[str, Any]]:
    """(status, body) of `POST /{auction_id}/bids` for a bearer token, as `bid_create` through
    ninja answers it: authentication first (401), then the body (400, 422), then the bid.
    `wait=False`: raises engine.WouldBlock where the bid would wait for the write lock;
    `snapshot=False`: the engine goes straight to its locked step (see engine.bid_place).

    The token is checked by the engine's bidder statement (`ledger_sql.Bearer`), not by a
    lookup of its own: one statement fewer per request. Where the answer is decided before
    that statement (a body ninja refuses, an amount or key the engine refuses, an unknown
    auction), the token is looked up first, since ninja answers 401 before anything else."""
    if payload is MALFORMED or "amount" not in payload or "key" not in payload:
        return _token_refused(token, wait) or _body_refused(payload)
    bearer = ledger_sql.Bearer(account_services.api_token_digest(token))
    try:
        amount = parse_amount(payload["amount"])
        bid = engine.bid_place(
            auction_id=auction_id, user=bearer, amount=amount, key=payload["key"], wait=wait, snapshot=snapshot
        )
    except DomainError as exc:  # exchange.api: the DomainError handler (and a refused token: 401)
        if not bearer.checked:
            return _token_refused(token, wait) or (exc.status, exc.as_dict())
        answer = exc.status, exc.as_dict()
    else:
        answer = (200 if getattr(bid, "replayed", False) else 201), engine.bid_public(bid)
    if bearer.stale and bearer.token_id is not None:  # never on the loop's thread: the engine raised WouldBlock
        account_services.api_token_touch(token_id=bearer.token_id, now=clock.now())
    return answer


def _token_refused(token: str, wait: bool) -> tuple[int, dict[str, Any]] | None:
    """ninja's authentication: the 401 answer for a token that is not valid, else None (its
    use recorded when due; `wait=False`: WouldBlock instead of that write)."""
    user = account_services.api_token_authenticate(raw=token, touch=wait)
    if not user:  # exchange.api: the AuthenticationError handler
        error = Unauthenticated()
        return error.status, error.as_dict()
    if not wait and user.token_stale:  # type: ignore[attr-defined]
        raise engine.WouldBlock()
    return None


def _body_refused(payload: Any) -> tuple[int, dict[str, Any]]:
    """ninja's answer to a body that is not JSON (400) or lacks a field (422)."""
    if payload is MALFORMED:  # exchange.api: the HttpError(400) handler
        return 400, {"code": "bad_request", "message": _("请求格式有误（无法解析请求内容）。")}
    missing = [name for name in ("amount", "key") if name not in payload]
    # exchange.api: the validation error handler, with pydantic's own message
    errors_ = [{"loc": ["body", "payload", name], "msg": "Field required"} for name in missing]
    return 422, {"code": "invalid", "message": _("请求参数有误。"), "errors": errors_}


@router.get("/{auction_id}/bids", auth=None, response={200: list[BidOut], **errors(404, 422)})
def bid_list(request: HttpRequest, auction_id: int, after: int = 0, limit: int = 500) -> Any:
    """Bids with seq > after, in order (sealed: only your own until the opening)."""
    return selectors.bids_after(
        auction_id=auction_id, after_seq=after, limit=limit, viewer=_viewer(request), check_visible=True
    )


@router.get("/{auction_id}/log", auth=None, response={200: dict[str, Any], **errors(403, 404, 422)})
def bid_log(request: HttpRequest, auction_id: int, after: int = 0, limit: int = 500) -> Any:
    """The hash-chained bid log: public after close, supervisors (view_bid) at any time —
    but a sealed auction's only after the opening, for everybody. Sealed entries carry
    their salt and commitment (the entry hash is over the commitment), and the genesis
    is the auction's random one (published at the opening)."""
    auction = _auction(auction_id)
    viewer = _viewer(request)
    me = selectors.viewer_bidder(auction_id=auction.pk, viewer=viewer) if auction.is_practice else None
    if not selectors.visible_to(auction, viewer, me):
        raise AuctionNotFound()
    if not selectors.log_visible(auction=auction, viewer=viewer):
        raise LogNotPublic()
    return {
        "auction_id": auction.pk,
        "status": auction.status,
        "algorithm": (
            "sha256(prev_hash|bidder_no|commitment|accepted_at); "
            "commitment = sha256(exchange-sealed|auction_id|bidder_no|amount|salt)"
            if auction.log_genesis
            else "sha256(prev_hash|seq|bidder_no|amount|accepted_at)"
        ),
        "genesis_hash": auction.log_genesis or engine.genesis_hash(auction.pk),
        "head_hash": auction.head_hash,
        "bid_count": auction.seq,
        "result": auction.result or None,
        "winner_no": auction.winner.bidder_no if auction.winner else None,
        "final_price": f"{auction.final_price:.2f}" if auction.final_price is not None else None,
        "entries": selectors.bid_log(auction_id=auction.pk, after_seq=after, limit=limit),
        "deadline_moves": selectors.deadline_moves(auction_id=auction.pk),
    }


@router.get("/{auction_id}/confirmation.pdf", response={200: None, **errors(401, 403, 404)})
def confirmation(request: HttpRequest, auction_id: int) -> Any:
    """The 竞价结果确认书 (PDF): staff who may view auctions, and the winner."""
    user = request.auth  # type: ignore[attr-defined]
    auction = _auction(auction_id)
    is_winner = auction.winner is not None and auction.winner.user_id == user.pk
    if not (is_winner or user.has_perm("bidding.view_auction")):
        raise PermissionDenied()
    if not auction.confirmation:
        raise NotFound(_("确认书尚未生成。"))
    return FileResponse(
        auction.confirmation.open("rb"), content_type="application/pdf", filename=f"auction-{auction.pk}.pdf"
    )


@router.post("/{auction_id}/pause", response={200: dict[str, Any], **errors(401, 403, 404, 409, 422)})
def auction_pause(request: HttpRequest, auction_id: int, payload: ReasonIn) -> Any:
    """Staff (pause_auction): pause with a reason."""
    actor = require_perm(request, "bidding.pause_auction")
    engine.auction_pause(auction_id=auction_id, actor=actor, reason=payload.reason)
    return selectors.auction_public(auction_id=auction_id)


@router.post("/{auction_id}/resume", response={200: dict[str, Any], **errors(401, 403, 404, 409, 422)})
def auction_resume(request: HttpRequest, auction_id: int, payload: ReasonIn) -> Any:
    """Staff (pause_auction): resume with a reason; deadlines move by the length of the pause."""
    actor = require_perm(request, "bidding.pause_auction")
    engine.auction_resume(auction_id=auction_id, actor=actor, reason=payload.reason)
    return selectors.auction_public(auction_id=auction_id)


@router.post("/{auction_id}/rerun", response={201: dict[str, Any], **errors(401, 403, 404, 409, 422)})
def auction_rerun(request: HttpRequest, auction_id: int, payload: ReasonIn) -> Any:
    """Staff (rerun_auction): void this session and schedule a new one with the same bidders."""
    actor = require_perm(request, "bidding.rerun_auction")
    new = engine.auction_rerun(auction_id=auction_id, actor=actor, reason=payload.reason)
    return Status(201, selectors.auction_public(auction_id=new.pk))
