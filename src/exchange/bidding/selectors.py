"""Reads of the bidding app. Every public payload here is identity-free: bidders appear
only as 竞买号; hidden values (proxy maxima, sealed quotes before opening, the reserve
amount) never leave."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.bidding import conf, rules, sealed
from exchange.bidding.chain import bid_public, format_time
from exchange.bidding.errors import AuctionNotFound
from exchange.bidding.models import Auction, AuctionBidder, Bid, DeadlineShift, Status
from exchange.core import clock


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value: Any) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="microseconds")


def viewer_bidder(*, auction_id: int, viewer: Any) -> AuctionBidder | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return AuctionBidder.objects.filter(auction_id=auction_id, user=viewer).first()


def sealed_hidden(auction: Auction) -> bool:
    """Sealed quotes stay hidden until the opening (the close), the count of them too; a
    session voided (rerun) before its opening stays sealed: its bidders quote again."""
    return auction.mode == rules.SEALED and auction.status != Status.CLOSED and not auction.log_genesis


def _is_staff_viewer(viewer: Any) -> bool:
    return bool(viewer is not None and getattr(viewer, "is_active", False) and viewer.has_perm("bidding.view_auction"))


def visible_to(auction: Auction, viewer: Any, me: AuctionBidder | None) -> bool:
    """Real auctions are public; a practice drill only to its invited bidders and to staff
    who may view auctions (the same rule as the hall pages)."""
    return not auction.is_practice or me is not None or _is_staff_viewer(viewer)


def auction_public(*, auction_id: int, viewer: Any = None) -> dict[str, Any]:
    """The public state of an auction as the hall, the API and the events show it.

    `viewer=None` (events, the clock) sees any auction; a given viewer gets AuctionNotFound
    for a practice drill they are not invited to."""
    auction = Auction.objects.select_related("leader", "winner").filter(pk=auction_id).first()
    if auction is None:
        raise AuctionNotFound()
    me = viewer_bidder(auction_id=auction_id, viewer=viewer)
    if viewer is not None and not visible_to(auction, viewer, me):
        raise AuctionNotFound()
    return auction_dict(auction, viewer=viewer, me=me)


def auction_dict(auction: Auction, *, viewer: Any = None, me: AuctionBidder | None = None) -> dict[str, Any]:
    now = clock.now()
    state = auction.state()
    s = state.settings
    if me is None and viewer is not None:
        me = viewer_bidder(auction_id=auction.pk, viewer=viewer)
    hidden = sealed_hidden(auction)
    leader_no = auction.leader.bidder_no if auction.leader_id and auction.leader else None
    my_quote = sealed.my_quote(auction, me) if hidden else None
    if me is None:
        my_status = "none"
    elif auction.leader_id == me.pk and not hidden:
        my_status = "leading"
    elif hidden:
        my_status = "quoted" if my_quote is not None else "none"
    else:
        my_status = "outbid" if Bid.objects.filter(bidder=me).exists() else "none"
    current = None if hidden else auction.current_price
    minimum = None
    if not hidden and auction.mode != rules.DUTCH:
        minimum = rules.next_minimum(s, auction.current_price) if auction.mode != rules.SEALED else None
    elif auction.mode == rules.DUTCH and auction.current_price is not None:
        minimum = auction.current_price  # taken: a holder pre-empts at the same price only
    data: dict[str, Any] = {
        "id": auction.pk,
        "title": auction.title,
        "mode": auction.mode,
        "mode_label": auction.get_mode_display(),
        "is_practice": auction.is_practice,
        "status": auction.status,
        "status_label": auction.get_status_display(),
        "phase": rules.phase_at(state, now),
        "start_price": _money(auction.start_price),
        "increment": _money(rules.increment_at(s, auction.current_price or auction.start_price)),
        "current_price": _money(current),
        "next_minimum": _money(minimum),
        "reserve": "有" if auction.reserve_price is not None else "无",
        "leader_no": None if hidden else leader_no,
        "my_no": me.bidder_no if me else None,
        "my_status": my_status,
        "my_rank": me.rank if me else None,  # the viewer's own pre-emption rank (0: none); never another's
        "bid_count": None if hidden else auction.seq,  # sealed: not even the count before the opening
        "starts_at": _iso(auction.starts_at),
        "ends_at": _iso(auction.ends_at),
        "server_time": _iso(now),
        "result": auction.result or None,
        "final_price": _money(auction.final_price),
        "winner_no": auction.winner.bidder_no if auction.winner_id and auction.winner else None,
        "notice": outage_notice(auction),
    }
    if auction.mode == rules.DYNAMIC:
        data.update(
            free_start=_iso(auction.starts_at),
            free_end=_iso(auction.planned_end_at),
            countdown_seconds=auction.countdown_seconds,
        )
    elif auction.mode in (rules.ENGLISH, rules.PROXY):
        data.update(
            planned_end_at=_iso(auction.planned_end_at),
            window_seconds=auction.window_seconds,
            extension_seconds=auction.extension_seconds,
        )
    elif auction.mode == rules.SEALED:
        data.update(sealed=hidden, sealed_min=_money(auction.sealed_min or auction.start_price))
        data["sealed_max"] = _money(auction.sealed_max)
        # the viewer's own receipt (amount, salt, commitment, hash) until the opening
        data["my_quote"] = bid_public(my_quote) if my_quote is not None else None
    elif auction.mode == rules.DUTCH:
        data.update(
            dutch_price=_money(rules.dutch_price(state, now)),  # frozen once taken
            dutch_tick=_money(auction.dutch_tick),
            dutch_interval_seconds=auction.dutch_interval_seconds,
            dutch_floor=_money(auction.dutch_floor),
            my_can_preempt=_can_preempt(auction, me),
        )
    return data


def outage_notice(auction: Auction) -> str | None:
    """The bidders' notice of the last outage that moved this auction's deadline (None: none)."""
    if auction.outage_from is None or auction.outage_until is None:
        return None
    start, end = timezone.localtime(auction.outage_from), timezone.localtime(auction.outage_until)
    same_day = start.date() == end.date()
    return _(
        "系统于 %(start)s 至 %(end)s 中断，期间无法出价。本场竞价未在中断期间结束：截止时间已相应顺延，"
        "中断前剩余的出价时间已补足，请以页面显示的当前截止时间为准。"
    ) % {
        "start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "end": end.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S"),
    }


def deadline_moves(*, auction_id: int) -> list[dict[str, Any]]:
    """The deadline moves no bid made (outages, pauses), for the published log: after which
    entry (`seq`, `head_hash`), from when to when nobody could bid, the deadline before/after."""

    return [
        {
            "kind": m.kind,
            "seq": m.seq,
            "head_hash": m.head_hash,
            "down_from": format_time(m.down_from),
            "up_at": format_time(m.up_at),
            "ends_before": format_time(m.ends_before),
            "ends_after": format_time(m.ends_after),
        }
        for m in DeadlineShift.objects.filter(auction_id=auction_id).order_by("created_at", "pk")
    ]


def _can_preempt(auction: Auction, me: AuctionBidder | None) -> bool:
    """Dutch, taken: whether the viewer may take the frozen price in the pre-emption window
    (rules._dutch_preempt: a qualified bidder, not the taker, ranking above the taker). The
    viewer's own answer only: it tells a holder whether the taker ranks below them, no more
    than the server's answer to their bid would (the taker's rank itself is never sent)."""
    if me is None or auction.current_price is None or auction.status in (Status.CLOSED, Status.CANCELLED):
        return False
    return me.qualified and auction.leader_id != me.pk and me.rank > auction.leader_rank


def bids_after(
    *, auction_id: int, after_seq: int, limit: int = 500, viewer: Any = None, check_visible: bool = False
) -> list[dict[str, Any]]:
    """Public bids with seq > after_seq, in seq order (sealed: none until the opening — there
    is no bid row before it; a bidder's own receipt is `my_quote` of auction_public). With
    check_visible, a practice drill the viewer is not invited to is NotFound."""
    auction = Auction.objects.filter(pk=auction_id).only("mode", "status", "is_practice", "log_genesis").first()
    if auction is None:
        raise AuctionNotFound()
    qs: QuerySet[Bid] = Bid.objects.filter(auction_id=auction_id, seq__gt=after_seq).order_by("seq")
    me = None
    if sealed_hidden(auction) or (check_visible and auction.is_practice):
        me = viewer_bidder(auction_id=auction_id, viewer=viewer)
    if check_visible and not visible_to(auction, viewer, me):
        raise AuctionNotFound()
    if sealed_hidden(auction):
        return []
    limit = max(1, min(limit, int(conf.get("LOG_PAGE_SIZE"))))
    fields = ("seq", "amount", "bidder_no", "accepted_at", "ends_at")
    return [bid_public(b) for b in qs.only(*fields)[:limit]]


def log_visible(*, auction: Auction, viewer: Any) -> bool:
    """The full hash-chained log: public after close, supervisors (view_bid) any time — a
    sealed auction's for nobody before the opening (there is nothing in it to show yet:
    its quotes are in the vault, sealed.py)."""
    if sealed_hidden(auction):
        return False
    if auction.status in (Status.CLOSED, Status.CANCELLED):
        return True
    return bool(viewer is not None and viewer.is_active and viewer.has_perm("bidding.view_bid"))


def bid_log(*, auction_id: int, after_seq: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """The hash-chained log entries (seq, bidder_no, amount, kind, accepted_at as hashed, prev_hash, hash)."""

    limit = max(1, min(limit, int(conf.get("LOG_PAGE_SIZE"))))
    rows = Bid.objects.filter(auction_id=auction_id, seq__gt=after_seq).order_by("seq")[:limit]
    return [
        {
            "seq": b.seq,
            "bidder_no": b.bidder_no,
            "amount": f"{b.amount:.2f}",
            "kind": b.kind,
            "accepted_at": format_time(b.accepted_at),
            "ends_at": format_time(b.ends_at),
            "prev_hash": b.prev_hash,
            "hash": b.hash,
            **({"salt": b.salt, "commitment": b.commitment} if b.commitment else {}),
        }
        for b in rows
    ]


def running_auctions(*, viewer: Any = None) -> QuerySet[Auction]:
    """Auctions that are live or about to be (the hall, the supervisor monitor); with a
    viewer, practice drills only where they are invited (all for staff who view auctions)."""
    qs = (
        Auction.objects.filter(status__in=[Status.SCHEDULED, Status.RUNNING, Status.PAUSED])
        .select_related("leader", "winner")
        .order_by("ends_at")
    )
    if viewer is not None and _is_staff_viewer(viewer):
        return qs
    mine = Q(is_practice=False)
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        mine |= Q(bidders__user=viewer)
    return qs.filter(mine).distinct()


@dataclass(frozen=True)
class AuctionResult:
    """A closed auction's result as trading applies it."""

    auction_id: int
    result: str
    winner_user_id: int | None
    price: Decimal | None


def closed_auction_results(auction_ids: Iterable[int | None]) -> list[AuctionResult]:
    """The results of those of `auction_ids` that are closed (one query)."""
    auctions = Auction.objects.filter(pk__in=list(auction_ids), status=Status.CLOSED).select_related("winner")
    return [
        AuctionResult(
            auction_id=a.pk,
            result=a.result,
            winner_user_id=a.winner.user_id if a.winner else None,
            price=a.final_price,
        )
        for a in auctions
    ]


def auction_get(auction_id: int) -> Auction | None:
    """One auction by id (its state, deadline and result), for the apps that organised it."""
    return Auction.objects.filter(pk=auction_id).first()
