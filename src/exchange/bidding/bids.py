"""The bid path: `bid_place` (the hot path: one bid per request, native server and Django).

The locking and the statements a bid costs are described in `engine` (the module callers use)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from exchange.accounts import services as account_services
from exchange.bidding import errors, ledger_sql, rules, sealed
from exchange.bidding.chain import bid_hash, bid_public, genesis_hash
from exchange.bidding.engine_common import _after_close, _close_fields, _publish_bids
from exchange.bidding.models import AuctionBidder, Bid, Status
from exchange.core import clock
from exchange.core.errors import InvalidInput, Unauthenticated
from exchange.core.money import CENT
from exchange.core.sqlite_writers import writer_queue

# --- bids ------------------------------------------------------------------------------

# SQLite has one writer at a time, so a bid is placed in two steps there (docs/design/decisions.md D5):
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
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
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
