"""The auction's life outside the bid path: the clock (open, close), staff (pause, resume,
rerun) and outages of the platform."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from exchange.bidding import conf, errors, rules, sealed
from exchange.bidding.chain import format_time
from exchange.bidding.engine_common import _after_close, _close_fields, _locked, _publish_state
from exchange.bidding.models import Auction, AuctionBidder, DeadlineShift, Status
from exchange.core import audit, clock, liveness

log = logging.getLogger(__name__)


def auction_close(*, auction_id: int) -> bool:
    """Close the auction if its deadline has passed (checked again under the lock).

    A bid racing the close takes the same lock: either the bid came first (and may have
    moved the deadline, so this returns False) or the close came first (and the bid is
    rejected as closed). Returns True when this call closed it.
    """
    with transaction.atomic():
        auction = _locked(auction_id)
        now = clock.now()
        close = rules.evaluate_close(auction.state(), now)
        if close is None:
            return False
        alive = liveness.web_alive_through()
        if alive is not None and alive < auction.ends_at:
            return False  # nobody could bid when the deadline came: held (see auction_close_due)
        if auction.mode == rules.SEALED and auction.seq == 0 and not auction.log_genesis:
            try:  # the opening: the quotes out of the vault into the log, the best one leads
                sealed.reveal(auction)
            except sealed.VaultError as exc:
                log.error("bidding: the opening of auction %s failed: %s", auction_id, exc)
                _open_failed(auction, now, str(exc))
                return False
            leader_no = auction.leader.bidder_no if auction.leader_id and auction.leader else ""
            close = rules.evaluate_close(auction.state(leader_no=leader_no), now)
            assert close is not None
            auction.save(update_fields=["seq", "current_price", "leader", "leader_rank", "log_genesis"])
        for name, value in _close_fields(close, now).items():
            setattr(auction, name, value)
        with audit.action(None, "auction.close", result=close.result, price=close.price, process="clock"):
            auction.save(update_fields=["status", "result", "winner", "final_price", "closed_at"])
        _after_close(auction_id, close)
        return True


def _open_failed(auction: Auction, now: dt.datetime, problem: str) -> None:
    """A sealed opening that cannot be done (the vault does not match): paused for a staff
    decision (rerun, or resume once the vault is restored), audited, announced."""
    paused = replace(auction.state(), status=Status.PAUSED, paused_at=now)
    reason = _("开标失败：密封报价保管库与数据库不一致，已暂停，请技术人员核查。")
    _write_state(
        auction, paused, None, "auction.open_failed", reason=f"{reason} ({problem})", pause_reason=reason[:200]
    )


def auction_open(*, auction_id: int) -> bool:
    """Mark a scheduled auction running once its start has come (a display state; bids
    are accepted by time either way). Publishes "state"."""
    with transaction.atomic():
        auction = _locked(auction_id)
        opened = rules.evaluate_open(auction.state(), clock.now())
        if opened is None:
            return False
        auction.status = Status.RUNNING
        with audit.action(None, "auction.open", process="clock"):
            auction.save(update_fields=["status"])
        transaction.on_commit(lambda: _publish_state(auction_id))
        return True


def auction_close_due(*, now: dt.datetime) -> list[int]:
    """Open the auctions whose start has come and close those whose deadline has passed;
    return the ids closed. Called by the clock every CLOSE_INTERVAL_SECONDS.

    Only a deadline the web outlived closes (`liveness.web_alive_through`: the web's last
    heartbeat is at or after it): while the web is down — the server killed, the database
    away — nobody can bid, so the close is held; the beat that ends the outage moves the
    affected deadlines (`outage_extend`) before anything closes."""
    live = [Status.SCHEDULED, Status.RUNNING]
    for auction_id in Auction.objects.filter(status=Status.SCHEDULED, starts_at__lte=now).values_list("pk", flat=True):
        auction_open(auction_id=auction_id)
    alive = liveness.web_alive_through()
    until = now if alive is None else min(now, alive)
    due = Auction.objects.filter(status__in=live, ends_at__lte=until).values_list("pk", flat=True)
    return [auction_id for auction_id in list(due) if auction_close(auction_id=auction_id)]


# --- staff: pause, resume, rerun -------------------------------------------------------


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequired(field="reason")
    return reason


def auction_pause(*, auction_id: int, actor: Any, reason: str) -> Auction:
    """Pause a scheduled or running auction (reason required, audited). Bids are refused
    while paused; on resume every future time moves by the length of the pause."""
    reason = _require_reason(reason)
    with transaction.atomic():
        auction = _locked(auction_id)
        paused = rules.evaluate_pause(auction.state(), clock.now())
        if paused is None:
            raise errors.AuctionStateError(_("只有未开始或进行中的竞价可以暂停。"))
        _write_state(auction, paused, actor, "auction.pause", reason=reason, pause_reason=reason)
        return auction


def auction_resume(*, auction_id: int, actor: Any, reason: str) -> Auction:
    """Resume a paused auction (reason required, audited): deadlines move by the pause."""
    reason = _require_reason(reason)
    with transaction.atomic():
        auction = _locked(auction_id)
        now = clock.now()
        paused_at, ends_before = auction.paused_at, auction.ends_at
        resumed = rules.evaluate_resume(auction.state(), now)
        if resumed is None or paused_at is None:
            raise errors.AuctionStateError(_("只有已暂停的竞价可以恢复。"))
        _write_state(auction, resumed, actor, "auction.resume", reason=reason, pause_reason="")
        with audit.action(actor, "auction.resume", reason=reason):
            _record_shift(auction, DeadlineShift.Kind.PAUSE, paused_at, now, ends_before, now)
        return auction


def _record_shift(
    auction: Auction, kind: str, down_from: dt.datetime, up_at: dt.datetime, ends_before: dt.datetime, now: dt.datetime
) -> None:
    """The deadline move just written, for `verify_auction` and the published log."""
    DeadlineShift.objects.create(
        auction=auction,
        kind=kind,
        down_from=down_from,
        up_at=up_at,
        ends_before=ends_before,
        ends_after=auction.ends_at,
        seq=auction.seq,
        head_hash=auction.head_hash,
        created_at=now,
    )


# --- outages of the platform -------------------------------------------------------------


def outage_extend(*, down_from: dt.datetime, up_at: dt.datetime) -> list[int]:
    """Nobody could bid from `down_from` (the web's last sign of life) to `up_at` (the first
    beat after it, `core.liveness`): give every affected auction its time back
    (`rules.evaluate_outage`: a deadline that fell in the outage or less than
    OUTAGE_GRACE_SECONDS after it, a Dutch descent under way) and return their ids.

    Runs in the transaction of the beat that found the outage (connected to
    `liveness.outage_ended`), each auction under its lock as a bid or a close would take it.
    Per auction: the new times, `outage_from`/`outage_until` (the bidders' notice), version
    + 1, audited as "auction.outage_extend" (no actor: the web process), a DeadlineShift
    (kind outage) for verify and the published log; after commit a `state` event (with the
    notice). Auctions whose deadline had passed before the outage close as before."""
    grace = int(conf.get("OUTAGE_GRACE_SECONDS"))
    limit = up_at + dt.timedelta(seconds=grace)
    candidates = list(
        Auction.objects.filter(status__in=[Status.SCHEDULED, Status.RUNNING], ends_at__gt=down_from)
        .filter(Q(ends_at__lt=limit) | Q(mode=rules.DUTCH, current_price__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved: list[int] = []
    with transaction.atomic():
        for auction_id in candidates:
            auction = _locked(auction_id)
            new = rules.evaluate_outage(auction.state(), down_from, up_at, grace)
            if new is None:
                continue
            ends_before = auction.ends_at
            fields = auction.state_fields(new)
            for name, value in fields.items():
                setattr(auction, name, value)
            auction.outage_from, auction.outage_until = down_from, up_at
            auction.version += 1
            with audit.action(
                None,
                "auction.outage_extend",
                process="web",
                reason=_("系统中断，期间无法出价：截止时间顺延"),
                down_from=format_time(down_from),
                up_at=format_time(up_at),
            ):
                auction.save(update_fields=[*fields, "leader", "outage_from", "outage_until", "version"])
                _record_shift(auction, DeadlineShift.Kind.OUTAGE, down_from, up_at, ends_before, up_at)
            transaction.on_commit(lambda pk=auction_id: _publish_state(pk))  # type: ignore[misc]
            moved.append(auction_id)
    if moved:
        log.warning("bidding: outage %s → %s, deadlines moved: %s", down_from, up_at, moved)
    return moved


def on_outage_ended(sender: Any, *, down_from: dt.datetime, up_at: dt.datetime, **kwargs: Any) -> None:
    """`liveness.outage_ended` receiver (connected in BiddingConfig.ready)."""
    outage_extend(down_from=down_from, up_at=up_at)


def _write_state(
    auction: Auction, state: rules.State, actor: Any, action: str, *, reason: str, pause_reason: str
) -> None:
    fields = auction.state_fields(state)
    for name, value in fields.items():
        setattr(auction, name, value)
    auction.pause_reason = pause_reason
    auction.version += 1
    with audit.action(actor, action, reason=reason):
        auction.save(update_fields=[*fields, "leader", "pause_reason", "version"])
    transaction.on_commit(lambda: _publish_state(auction.pk))


def auction_rerun(*, auction_id: int, actor: Any, reason: str, start_in: dt.timedelta | None = None) -> Auction:
    """Void this session and create a new one with the same settings and bidders (same
    竞买号), starting `start_in` from now (default 5 minutes) and lasting as long as the
    original. The voided session keeps its log. Reason required, audited."""
    reason = _require_reason(reason)
    with transaction.atomic():
        old = _locked(auction_id)
        if old.status == Status.CANCELLED:
            raise errors.AuctionStateError(_("该竞价已作废，不能重新竞价。"))
        now = clock.now()
        shift = (now + (start_in if start_in is not None else dt.timedelta(minutes=5))) - old.starts_at
        new = Auction.objects.get(pk=old.pk)
        new.pk = None
        new.id = None
        new.status = Status.SCHEDULED
        new.starts_at = old.starts_at + shift
        new.planned_end_at = old.planned_end_at + shift
        new.ends_at = rules.initial_deadline(new.settings_for_rules())
        for name in ("current_price", "leader_id", "leader_max", "paused_at", "winner_id", "final_price", "closed_at"):
            setattr(new, name, None)
        new.leader_rank, new.seq, new.head_hash, new.version, new.pause_reason = 0, 0, "", 0, ""
        new.result, new.confirmation, new.rerun_of, new.created_by = "", "", old, actor
        new.outage_from = new.outage_until = None
        new.sealed_ref, new.log_genesis = "", ""
        if new.mode == rules.SEALED:
            sealed.prepare(new)  # a vault folder and a genesis of its own
        with audit.action(actor, "auction.rerun", reason=reason, rerun_of=old.pk):
            old.status = Status.CANCELLED
            old.save(update_fields=["status"])
            new.save()
            copies = [
                AuctionBidder(
                    auction=new,
                    user_id=b.user_id,
                    bidder_no=b.bidder_no,
                    kind=b.kind,
                    qualified=b.qualified,
                    rank=b.rank,
                )
                for b in old.bidders.all()
            ]
            if new.mode == rules.SEALED:
                sealed.prepare_bidders(new, copies)
            AuctionBidder.objects.bulk_create(copies)
        transaction.on_commit(lambda: _publish_state(old.pk))
        return new
