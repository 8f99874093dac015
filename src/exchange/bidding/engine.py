"""The bidding engine: every state change of an auction (ARCHITECTURE.md D5, D12).

Each service is one short transaction serialised per auction: the auction row is locked
first (`select_for_update` on PostgreSQL; on SQLite every transaction is `BEGIN
IMMEDIATE`, which serialises all writers), the server time is read *after* the lock (so
seq order = time order), the pure rules decide, and the result is written with narrow
statements. Events leave through `transaction.on_commit`, never from inside the lock.
A bid on SQLite is first decided on a snapshot and takes the write lock only to be
written (see the comment above `bid_place`).

Statements of an accepted bid (see tests/bidding/test_engine.py, which counts them):
lock the auction (1), the bidder with its prior bid under the same key (2), insert the
bid(s) (3), update the auction (4), with `BEGIN` (`BEGIN DEFERRED` / `BEGIN IMMEDIATE`
on SQLite) and `COMMIT`: 6. A Dutch bid reads one more, the top pre-emption rank of
the qualified bidders (`_top_rank`): 7.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Max, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import services as account_services
from exchange.bidding import conf, errors, ledger_sql, rules
from exchange.bidding.models import Auction, AuctionBidder, Bid, DeadlineShift, Status
from exchange.core import audit, clock, liveness
from exchange.core.errors import InvalidInput, Unauthenticated
from exchange.core.sqlite_writers import writer_queue

log = logging.getLogger(__name__)

# Sent after the commit of a close: auction_id, result, winner_user_id, price (Decimal | None).
# Settlement/trading connect here (they receive ids and amounts, never bidding objects).
auction_closed = Signal()

GENESIS_PREFIX = "exchange-auction"


# --- the hash chain --------------------------------------------------------------------


def genesis_hash(auction_id: int) -> str:
    """prev_hash of the first bid: sha256("exchange-auction|<auction id>")."""
    return hashlib.sha256(f"{GENESIS_PREFIX}|{auction_id}".encode()).hexdigest()


def format_time(at: dt.datetime) -> str:
    """The time as hashed: UTC, ISO 8601 with microseconds, e.g. 2026-11-27T02:00:00.000000+00:00."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def bid_hash(*, prev_hash: str, seq: int, bidder_no: str, amount: Decimal, accepted_at: dt.datetime) -> str:
    """sha256 over the UTF-8 bytes of "prev_hash|seq|bidder_no|amount|accepted_at" (docs/bidding.md)."""
    text = f"{prev_hash}|{seq}|{bidder_no}|{amount:.2f}|{format_time(accepted_at)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- locking ---------------------------------------------------------------------------


def _locked(auction_id: int) -> Auction:
    """The auction row, locked for this transaction (leader loaded in the same statement)."""
    qs = Auction.objects.select_related("leader")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    auction = qs.filter(pk=auction_id).first()
    if auction is None:
        raise errors.AuctionNotFound()
    return auction


# --- bids ------------------------------------------------------------------------------

# SQLite has one writer at a time, so a bid is placed in two steps there (D5):
#
# 1. optimistically, in a *deferred* transaction: the reads see a consistent snapshot (in
#    WAL mode readers never wait), the rules decide; a final rejection (see _FINAL) is
#    answered from that snapshot without ever taking the write lock — in a hot auction
#    nearly every request is one (bid_too_low) — and an accepted bid is written in the same
#    transaction. SQLite refuses that write at once (SQLITE_BUSY, no waiting) if another
#    writer holds the lock or committed since the snapshot; then
# 2. the bid is placed again under the write lock (`BEGIN IMMEDIATE`), after its turn in
#    the queue of SQLite writers (core.sqlite_writers): SQLite's busy handler polls with
#    sleeps of 1, 2, 5, 10 … 100 ms, so a writer that waits there may sleep long after the
#    lock was released; queued, each gets the write lock the moment the previous one has
#    committed.
#
# Both steps give the answers of a serial execution: a written bid's snapshot was the
# latest state (nobody committed in between), so its server time, read after the snapshot,
# still orders it after every earlier bid; a final rejection stays true in every later
# state (prices only rise; a maximum, a qualification, a sealed quote, a closed session do
# not change back), so it is the answer the request would have had at its snapshot's place
# in the serial order. Rejections that a concurrent bid could turn (self_raise,
# not_multiple_of_increment, a deadline, a pause) are decided again under the lock.
#
# PostgreSQL takes the same two steps. The snapshot is a plain read of the auction row (no
# lock: in a hot auction most requests are final rejections, and with `SELECT … FOR UPDATE`
# each of them waited its turn on the row lock); an accepted bid's write is conditional on
# the row being the version it read — `UPDATE … WHERE xmin = <the xmin read>`. xmin (the
# transaction that wrote this row version) changes with every committed write of the row,
# whoever makes it (a bid, the clock's close, a pause, an ORM save that does not touch
# `version`), and an UPDATE that waited for a concurrent writer re-checks its condition on
# the row that writer committed; no row updated → nothing written, step 2: the auction
# row locked (`SELECT … FOR UPDATE`) and the bid decided again.


# preemption_only is final: once a Dutch lot is taken the price stays frozen and the
# leader's rank only rises, so no later bid makes such a bid acceptable.
_FINAL = frozenset(
    {rules.BID_TOO_LOW, rules.NOT_QUALIFIED, rules.ABOVE_MAX, rules.SEALED_ALREADY_BID, rules.PREEMPTION_ONLY}
)
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class _Retry(Exception):
    """The snapshot cannot decide this bid: place it under the write lock."""


def is_sqlite_busy(exc: OperationalError) -> bool:
    """SQLite refused for a lock another connection holds (SQLITE_BUSY, SQLITE_LOCKED)."""
    return getattr(exc.__cause__, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


class WouldBlock(Exception):
    """`bid_place(wait=False)`: the bid needs the write lock (or the database is not SQLite);
    nothing was written — place it again with `wait=True` where blocking is allowed."""


MAX_ROW_ID = 2**63 - 1  # the largest primary key a 64-bit integer column holds


def bid_place(
    *, auction_id: int, user: Any, amount: Decimal, key: str, wait: bool = True, snapshot: bool = True
) -> Bid:
    """Place a bid (in proxy mode: set a hidden maximum) and return the caller's bid.

    One transaction, serialised per auction; the server time of the bid is read under the
    lock (on SQLite: after the snapshot it is decided on, see above). Idempotent on `key`
    per bidder: the same key with the same amount returns the original bid (even after the
    auction closed); with another amount raises KeyReused. Raises BidRejected (the rule's
    code), InvalidAmount, AuctionNotFound; on any of them nothing is written. After commit
    publishes one "bid" event per appended bid (and "closed" when a Dutch taker ends the
    auction).

    `user`: the bidding user, or a `ledger_sql.Bearer` — the native bid path's bearer token,
    checked by the bidder statement (one statement fewer per request); Unauthenticated when
    it is unknown, expired or its user inactive, and the Bearer tells the caller whether the
    token's last use is due to be recorded. Errors raised before that statement (the amount,
    the key, an unknown auction) leave `Bearer.checked` False: the caller checks the token.

    `wait=False` (the native bid path on the event loop's thread, bidding/native.py): only
    the SQLite snapshot step, with SQLite's busy timeout at 0 — a bid that would wait for
    the write lock (the snapshot is stale, another writer holds the lock, or the database
    is PostgreSQL) raises WouldBlock instead, with nothing written. `snapshot=False`: straight
    to the locked step (the caller's snapshot attempt just failed: a second one would too).
    """
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(rules.CENT)
    ):
        raise errors.InvalidAmount()
    if not key or len(key) > 64:
        raise InvalidInput(_("幂等键须为 1–64 个字符。"), field="key")
    if not key.isascii() and not _encodable(key):  # a lone surrogate ("\ud800") from JSON
        raise InvalidInput(_("幂等键含有无效字符。"), field="key")
    if not 0 < auction_id <= MAX_ROW_ID:  # the raw SQL below would overflow the database integer
        raise errors.AuctionNotFound()
    who: int | ledger_sql.Bearer = user if isinstance(user, ledger_sql.Bearer) else getattr(user, "pk", None) or 0
    conn = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy is a thread-local lookup
    if conn.in_atomic_block or conn.vendor != "sqlite":
        if not wait:
            raise WouldBlock()
        if snapshot and not conn.in_atomic_block:  # PostgreSQL: the snapshot step (see above)
            try:
                with transaction.atomic(), conn.cursor() as cursor:
                    return _place(cursor, auction_id, who, amount, key, snapshot=True)
            except _Retry:
                pass
        # the auction row locked; or inside the caller's transaction (which may already hold
        # SQLite's write lock: queueing for it here could deadlock)
        with transaction.atomic(), conn.cursor() as cursor:
            return _place(cursor, auction_id, who, amount, key, snapshot=False)
    try:
        if snapshot or not wait:
            with _busy_timeout(conn, None if wait else 0), _deferred_atomic(conn), conn.cursor() as cursor:
                return _place(cursor, auction_id, who, amount, key, snapshot=True)
    except _Retry:
        pass
    except OperationalError as exc:
        if not is_sqlite_busy(exc):
            raise
    if not wait:
        raise WouldBlock()
    with writer_queue(conn), transaction.atomic(), conn.cursor() as cursor:
        return _place(cursor, auction_id, who, amount, key, snapshot=False)


def _encodable(text: str) -> bool:
    """Whether `text` is valid Unicode text (JSON's "\\ud800" decodes to a lone surrogate,
    which no database driver can encode: it must be refused before any statement)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def _busy_timeout(conn: Any, ms: int | None) -> Iterator[None]:
    """SQLite's busy timeout of `conn` set to `ms` for the block (None: unchanged), so that a
    write the snapshot attempts fails at once instead of sleeping in SQLite's busy handler."""
    if ms is None:
        yield
        return
    conn.ensure_connection()
    raw = conn.connection
    before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    finally:
        if conn.connection is raw:  # not closed meanwhile
            raw.execute(f"PRAGMA busy_timeout = {int(before)}")


@contextlib.contextmanager
def _deferred_atomic(conn: Any) -> Iterator[None]:
    """An outermost atomic block that starts with `BEGIN DEFERRED` (the settings make every
    other transaction on SQLite `BEGIN IMMEDIATE`)."""
    conn.ensure_connection()  # connecting sets the mode from the settings
    mode = conn.transaction_mode
    conn.transaction_mode = "DEFERRED"
    try:
        with transaction.atomic():
            conn.transaction_mode = mode
            yield
    finally:
        conn.transaction_mode = mode


def _place(
    cursor: Any, auction_id: int, user: int | ledger_sql.Bearer, amount: Decimal, key: str, *, snapshot: bool
) -> Bid:
    """The bid inside its transaction (see bid_place). `snapshot`: a deferred transaction
    on SQLite, which answers only what no concurrent bid can change (else raises _Retry).
    `user`: a user id, or a bearer token checked by the bidder statement (Unauthenticated
    when it is not valid)."""
    loaded = ledger_sql.lock_auction(cursor, auction_id, snapshot=snapshot)  # 1: the auction (row lock on PostgreSQL)
    if loaded is None:
        raise errors.AuctionNotFound()
    auction, leader_no, row_version = loaded
    now = clock.now()  # read under the lock (or after the snapshot): seq order is time order
    bidder = ledger_sql.load_bidder(  # 2: the bidder and its earlier bid under this key (and the token)
        cursor, auction_id=auction_id, user=user, key=key, now=now
    )
    # a bearer token whose last use is due a write: written with an accepted bid, in its
    # transaction; an answer that writes nothing leaves it to the caller, after the
    # transaction — so not from the snapshot, which must leave nothing to wait for
    # (bid_place(wait=False) on the event loop's thread)
    stale = False
    if isinstance(user, ledger_sql.Bearer):
        if user.user_id is None:
            raise Unauthenticated()
        stale = user.stale
    if bidder is not None and bidder.prior_id is not None:
        if snapshot and stale:
            raise _Retry()
        prior = Bid.objects.get(pk=bidder.prior_id)
        requested = prior.max_amount if prior.max_amount is not None else prior.amount
        if requested != amount:
            raise errors.KeyReused()
        prior.replayed = True  # type: ignore[attr-defined]  # the API answers 200, not 201
        return prior
    if auction.mode == rules.SEALED and auction.status not in (Status.CLOSED, Status.CANCELLED):
        # a sealed quote: committed, kept outside the database until the opening (sealed.py),
        # decided under the lock (it writes the vault: never on the event loop's thread)
        if snapshot:
            raise _Retry()
        from exchange.bidding import sealed

        receipt = sealed.quote(auction=auction, bidder=bidder, amount=amount, key=key, now=now)
        if stale and not getattr(receipt, "replayed", False):
            assert isinstance(user, ledger_sql.Bearer) and user.token_id is not None
            account_services.api_token_touch(token_id=user.token_id, now=now)
            user.stale = False
        return receipt
    who = (
        rules.Bidder(bidder.id, bidder.bidder_no, qualified=bidder.qualified, rank=bidder.rank)
        if bidder is not None
        else rules.Bidder(0, "", qualified=False)
    )
    top_rank = _top_rank(auction_id) if auction.mode == rules.DUTCH else 0
    decision = rules.evaluate_bid(auction.state(leader_no=leader_no, top_rank=top_rank), who, amount, now)
    if not decision.accepted:
        if snapshot and (
            stale
            or not (
                decision.reason in _FINAL
                or (decision.reason == rules.IS_CLOSED and auction.status in (Status.CLOSED, Status.CANCELLED))
            )
        ):
            raise _Retry()
        raise errors.rejection(decision)
    assert bidder is not None
    new = decision.state
    close = rules.evaluate_close(new, now) if auction.mode == rules.DUTCH else None  # a taker ends it
    if snapshot and close is not None:
        # a bid that ends the auction (a Dutch taker) is written under the lock: its
        # after-commit work (the close event, the confirmation, the trading hooks) must not
        # run where waiting is not allowed (bid_place(wait=False) on the event loop's thread)
        raise _Retry()
    prev_hash = auction.head_hash or genesis_hash(auction_id)
    rows: list[Bid] = []
    mine: Bid | None = None
    for nb in decision.bids:
        h = bid_hash(prev_hash=prev_hash, seq=nb.seq, bidder_no=nb.bidder_no, amount=nb.amount, accepted_at=nb.at)
        own = nb.bidder_id == bidder.id and mine is None
        row = Bid(
            auction_id=auction_id,
            seq=nb.seq,
            bidder_id=nb.bidder_id,
            bidder_no=nb.bidder_no,
            amount=nb.amount,
            max_amount=amount if own and auction.mode == rules.PROXY else None,
            kind=nb.kind,
            key=key if own else None,
            accepted_at=nb.at,
            ends_at=new.ends_at,
            prev_hash=prev_hash,
            hash=h,
        )
        mine = row if own else mine
        rows.append(row)
        prev_hash = h
    fields = {**auction.state_fields(new), "head_hash": prev_hash}
    if close is not None:
        fields.update(_close_fields(close, now))
    if row_version is None:
        ledger_sql.insert_bids(cursor, rows)  # 3: the bid(s), one statement (SQLite: takes the write lock)
        ledger_sql.update_auction(cursor, auction_id, fields)  # 4: price, leader, deadline, head
    else:  # PostgreSQL's snapshot: first the auction, only if the row is still the version read
        if not ledger_sql.update_auction(cursor, auction_id, fields, row_version=row_version):
            raise _Retry()
        ledger_sql.insert_bids(cursor, rows)
    if stale:
        assert isinstance(user, ledger_sql.Bearer) and user.token_id is not None
        account_services.api_token_touch(token_id=user.token_id, now=now)  # once in 5 minutes per token: 7 statements
        user.stale = False
    public = [bid_public(row) for row in rows]
    transaction.on_commit(lambda: _publish_bids(auction_id, public))
    if close is not None:
        _after_close(auction_id, close)
    assert mine is not None
    return mine


def _top_rank(auction_id: int) -> int:
    """The highest pre-emption rank among the auction's qualified bidders (Dutch bids only).

    Read here, in the bid's transaction, rather than kept as a denormalised Auction column:
    ranks and qualifications change in several places (admission, reruns, staff edits, the
    test factories), and a copy that one of them forgot would silently end a Dutch auction
    before a holder could pre-empt. The price is one statement on Dutch bids only (a Dutch
    auction sees one taker and at most a few holders); the other modes keep their 6.
    """
    top = AuctionBidder.objects.filter(auction_id=auction_id, qualified=True).aggregate(top=Max("rank"))["top"]
    return int(top or 0)


def bid_public(bid: Bid) -> dict[str, Any]:
    """The public form of a bid (the same in the API, the events and the hall): no identity.
    A sealed quote's receipt (before the opening, to its bidder only) has no seq — its place
    tells how many quoted before — and carries what the bidder needs to check the opening:
    the salt, the commitment and the entry's hash (api.SealedBidOut)."""
    if getattr(bid, "sealed", False):
        return {
            "seq": None,
            "amount": f"{bid.amount:.2f}",
            "bidder_no": bid.bidder_no,
            "accepted_at": timezone.localtime(bid.accepted_at).isoformat(timespec="microseconds"),
            "ends_at": timezone.localtime(bid.ends_at).isoformat(timespec="microseconds"),
            "sealed": True,
            "salt": bid.salt,
            "commitment": bid.commitment,
            "hash": bid.hash,
        }
    return {
        "seq": bid.seq,
        "amount": f"{bid.amount:.2f}",
        "bidder_no": bid.bidder_no,
        "accepted_at": timezone.localtime(bid.accepted_at).isoformat(timespec="microseconds"),
        "ends_at": timezone.localtime(bid.ends_at).isoformat(timespec="microseconds"),
    }


def _publish(auction_id: int, event: str, data: dict[str, Any]) -> None:
    from exchange.bidding import events

    try:
        events.publish(auction_id, event, data)
    except Exception:  # the ledger is the truth; a lost notification is replayed from it
        log.exception("bidding: publishing %s of auction %s failed", event, auction_id)


def _publish_bids(auction_id: int, public: Iterable[dict[str, Any]]) -> None:
    for data in public:
        _publish(auction_id, "bid", data)


def _publish_state(auction_id: int, event: str = "state") -> None:
    from exchange.bidding.selectors import auction_public

    _publish(auction_id, event, auction_public(auction_id=auction_id))


# --- the clock: open and close ---------------------------------------------------------


def _close_fields(close: rules.CloseDecision, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": Status.CLOSED,
        "result": close.result,
        "winner_id": close.winner_id,
        "final_price": close.price if close.result == rules.SOLD else None,
        "closed_at": now,
    }


def _after_close(auction_id: int, close: rules.CloseDecision) -> None:
    """After the commit of a close: event, confirmation document, settlement hook."""

    def done() -> None:
        from exchange.bidding import tasks

        _publish_state(auction_id, "closed")
        try:
            tasks.confirmation_generate.enqueue(auction_id=auction_id)
        except Exception:
            log.exception("bidding: could not enqueue the confirmation of auction %s", auction_id)
        winner_user_id = (
            AuctionBidder.objects.filter(pk=close.winner_id).values_list("user_id", flat=True).first()
            if close.winner_id
            else None
        )
        auction_closed.send(
            sender=Auction,
            auction_id=auction_id,
            result=close.result,
            winner_user_id=winner_user_id,
            price=close.price if close.result == rules.SOLD else None,
        )

    transaction.on_commit(done)


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
            from exchange.bidding import sealed

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
            from exchange.bidding import sealed

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
                from exchange.bidding import sealed

                sealed.prepare_bidders(new, copies)
            AuctionBidder.objects.bulk_create(copies)
        transaction.on_commit(lambda: _publish_state(old.pk))
        return new
