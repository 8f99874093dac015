"""The bidding app's part of the access matrix (see tests/test_access_matrix.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exchange.accounts.models import User
from exchange.bidding import engine, services
from exchange.core import clock
from tests.access.checks import ANON, Check, World, _api, _has, _is_staff, _public
from tests.factories import UserFactory

# auctions change only through the engine; bidders come from admission; the bid log is append-only
NO_ADD: set[str] = {"bidding.auction", "bidding.auctionbidder", "bidding.bid"}
NO_CHANGE: set[str] = set(NO_ADD)
NO_DELETE: set[str] = set(NO_ADD)


def objects(users: dict[str, User | None]) -> dict[str, object]:
    """A running practice drill with two bidders and one bid (nobody of the matrix's actors bids in it)."""
    spec = services.AuctionSpec(
        title="演练", starts_at=clock.now() - dt.timedelta(minutes=1), duration=dt.timedelta(hours=2), is_practice=True
    )
    auction = services.auction_create(spec=spec, actor=None)
    a, _b = services.bidders_admit(auction_id=auction.pk, users=[UserFactory(), UserFactory()], actor=None)
    bid = engine.bid_place(auction_id=auction.pk, user=a.user, amount=Decimal("100000.00"), key="matrix")
    return {"bidding.auction": auction.pk, "bidding.auctionbidder": a.pk, "bidding.bid": bid.pk}


def _perm_or(perm: str, ok: int | set[int], denied: int, anon: int) -> object:
    def expected(actor: str) -> int | set[int]:
        if actor == ANON:
            return anon
        return ok if _has(actor, perm) else denied

    return expected


def site_checks(w: World) -> dict[str, Check]:
    """Expected answers of the app's non-admin URL patterns, by URL name."""
    pk = w.objects["bidding.auction"]
    api = f"/api/v1/auctions/{pk}"

    def drill_visible(actor: str) -> int:
        return 200 if _has(actor, "bidding.view_auction") else 404

    reason = '{"reason": ""}'
    return {
        # pages (part B): a practice drill is visible to its invited bidders and to staff who view auctions
        "bidding:auction": Check("GET", f"/bidding/{pk}/", _perm_or("bidding.view_auction", 200, 404, 404)),
        "bidding:monitor": Check("GET", "/bidding/monitor/", _perm_or("bidding.view_auction", 200, 403, 302)),
        "bidding:auction_pause": Check(
            "POST", f"/bidding/{pk}/pause/", _perm_or("bidding.pause_auction", {302, 400, 409, 422}, 403, 302)
        ),
        "bidding:auction_resume": Check(
            "POST", f"/bidding/{pk}/resume/", _perm_or("bidding.pause_auction", {302, 400, 409, 422}, 403, 302)
        ),
        # API: public reads — but this auction is a practice drill: only its bidders and staff see it
        "api:auction_list": _public("/api/v1/auctions"),
        "api:auction_detail": Check("GET", api, drill_visible),
        "api:bid_list": Check("GET", f"{api}/bids", drill_visible),
        "api:bid_log": Check(
            "GET",
            f"{api}/log",
            lambda a: 404 if drill_visible(a) == 404 else (200 if _has(a, "bidding.view_bid") else 403),
        ),
        # API: bidding needs to be a bidder of this auction (none of the actors is)
        "api:bid_create": _api("POST", f"{api}/bids", ok=403, json='{"amount": "100000.00", "key": "m"}'),
        "api:confirmation": _api("GET", f"{api}/confirmation.pdf", "bidding.view_auction", ok=404),
        # API: staff operations (reached with an empty reason → 422 reason_required)
        "api:auction_pause": _api("POST", f"{api}/pause", "bidding.pause_auction", ok=422, json=reason),
        "api:auction_resume": _api("POST", f"{api}/resume", "bidding.pause_auction", ok=422, json=reason),
        "api:auction_rerun": _api("POST", f"{api}/rerun", "bidding.rerun_auction", ok=422, json=reason),
        "api:drill_create": _api(
            "POST", "/api/v1/auctions/drills", "bidding.create_drill", ok=201, json='{"bidders": 0}'
        ),
    }


def admin_checks(w: World) -> dict[str, Check]:
    pk = w.objects["bidding.auction"]

    def staff(perms: tuple[str, ...]) -> object:
        return lambda a: 302 if not _is_staff(a) else (200 if any(_has(a, p) for p in perms) else 403)

    return {
        "admin:bidding_auction_control": Check(
            "GET", f"/admin/bidding/auction/{pk}/control/", staff(("bidding.pause_auction", "bidding.rerun_auction"))
        ),
        "admin:bidding_auction_drill": Check("GET", "/admin/bidding/auction/drill/", staff(("bidding.create_drill",))),
    }
