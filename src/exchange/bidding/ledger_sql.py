"""The four statements of an accepted bid, written out once (the hot path of D5).

On the native bid path (exchange/bidding/native.py) the bidder statement also checks the bearer
token (`Bearer`), so that a whole API request is the engine's 6 statements, BEGIN and
COMMIT included, instead of a token lookup + 6.

Why not the ORM here: measured on this box, compiling the ORM queries of one bid (the
locked auction with its leader, the bidder with a subquery for the idempotency key, the
insert, the update) cost ≈4 ms of Python per bid, while SQLite executed them in ≈0.1 ms.
The statements below are built once per database vendor from the models' own metadata
(table and column names), values pass through each field's own `get_db_prep_save` and
come back through the same converters the ORM uses — so SQLite and PostgreSQL see
exactly what the ORM would have sent, minus the compiling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Field
from django.db.models.base import DEFERRED

from exchange.accounts.models import ApiToken, User
from exchange.accounts.services import TOKEN_TOUCH
from exchange.bidding.models import Auction, AuctionBidder, Bid

AUCTION_FIELDS = (
    "id", "mode", "status", "start_price", "increment", "increment_bands", "reserve_price",
    "allow_leader_rebid", "starts_at", "planned_end_at", "countdown_seconds", "window_seconds",
    "extension_seconds", "sealed_min", "sealed_max", "dutch_tick", "dutch_interval_seconds",
    "dutch_floor", "preemption_seconds", "ends_at", "current_price", "leader_id", "leader_rank",
    "leader_max", "seq", "head_hash", "paused_at", "version",
)  # fmt: skip
BID_FIELDS = (
    "auction_id", "seq", "bidder_id", "bidder_no", "amount", "max_amount", "kind", "key",
    "accepted_at", "ends_at", "prev_hash", "hash",
)  # fmt: skip


def _field(model: Any, attname: str) -> Field[Any, Any]:
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass(frozen=True)
class _Statements:
    lock_auction: str
    read_auction: str  # the snapshot's: no lock; on PostgreSQL with the row's xmin
    bidder: str
    bearer: str
    insert_one: str
    insert_values: str
    # the auction row: where each selected column goes in the model's constructor, and the
    # converters (database value → Python) of the columns that have any
    auction_slots: tuple[int, ...]
    auction_template: tuple[Any, ...]
    auction_converters: tuple[tuple[int, Any, tuple[Callable[..., Any], ...]], ...]
    bid_fields: tuple[Field[Any, Any], ...]
    auction_columns: dict[str, tuple[Field[Any, Any], str]]  # attname → field, "quoted column" = %s


@cache
def _statements(vendor: str) -> _Statements:
    a, ab, b = Auction._meta.db_table, AuctionBidder._meta.db_table, Bid._meta.db_table
    cols = ", ".join(f"a.{_q(_field(Auction, n).column)}" for n in AUCTION_FIELDS)
    postgres = vendor == "postgresql"
    auction = (  # the auction with its leader's 竞买号 ({} : the snapshot's row version on PostgreSQL)
        f"SELECT {cols}{{}}, l.{_q('bidder_no')} FROM {_q(a)} a LEFT OUTER JOIN {_q(ab)} l "
        f"ON l.{_q('id')} = a.{_q('leader_id')} WHERE a.{_q('id')} = %s"
    )
    lock = auction.format("") + (" FOR UPDATE OF a" if postgres else "")
    read = auction.format(", a.xmin::text" if postgres else "")
    # the earlier bid under the key: found through the (auction, bidder, key) unique index
    # (without the auction the plan scanned the bidder's every bid)
    prior = (
        f"(SELECT p.{_q('id')} FROM {_q(b)} p WHERE p.{_q('auction_id')} = x.{_q('auction_id')}"
        f" AND p.{_q('bidder_id')} = x.{_q('id')} AND p.{_q('key')} = %s LIMIT 1)"
    )
    base = f"SELECT x.{_q('id')}, x.{_q('bidder_no')}, x.{_q('qualified')}, x.{_q('rank')}, {prior}"
    where = f" FROM {_q(ab)} x WHERE x.{_q('auction_id')} = %s AND x.{_q('user_id')} = %s"
    # the same bidder found through a bearer token: one row when the token is known and
    # unexpired (the bidder's columns NULL when its user is no bidder here), none otherwise
    t, u = ApiToken._meta.db_table, User._meta.db_table
    token = (
        f", t.{_q('id')}, CASE WHEN t.{_q('last_used_at')} IS NULL OR t.{_q('last_used_at')} < %s THEN 1 ELSE 0 END,"
        f" u.{_q('id')}, u.{_q('is_active')}"
    )
    token_where = (
        f" FROM {_q(t)} t JOIN {_q(u)} u ON u.{_q('id')} = t.{_q('user_id')}"
        f" LEFT OUTER JOIN {_q(ab)} x ON x.{_q('auction_id')} = %s AND x.{_q('user_id')} = t.{_q('user_id')}"
        f" WHERE t.{_q('digest')} = %s AND t.{_q('expires_at')} > %s"
    )
    bid_cols = ", ".join(_q(_field(Bid, n).column) for n in BID_FIELDS)
    placeholders = "(" + ", ".join(["%s"] * len(BID_FIELDS)) + ")"
    concrete = [f.attname for f in Auction._meta.concrete_fields]
    converters = []
    for i, name in enumerate(AUCTION_FIELDS):
        f = _field(Auction, name)
        col = f.get_col(a)
        convs = tuple(connection.ops.get_db_converters(col)) + tuple(cast(Any, f).get_db_converters(connection))
        if convs:
            converters.append((i, col, convs))
    return _Statements(
        lock_auction=lock,
        read_auction=read,
        bidder=base + where,
        bearer=base + token + token_where,
        insert_one=f"INSERT INTO {_q(b)} ({bid_cols}) VALUES ",
        insert_values=placeholders,
        auction_slots=tuple(concrete.index(n) for n in AUCTION_FIELDS),
        auction_template=tuple(DEFERRED for _ in concrete),
        auction_converters=tuple(converters),
        bid_fields=tuple(_field(Bid, n) for n in BID_FIELDS),
        auction_columns={
            f.attname: (f, f"{_q(f.column)} = %s") for f in Auction._meta.concrete_fields if not f.primary_key
        },
    )


@dataclass
class BidderRow:
    id: int
    bidder_no: str
    qualified: bool
    rank: int
    prior_id: int | None


def lock_auction(cursor: Any, auction_id: int, *, snapshot: bool = False) -> tuple[Auction, str, str | None] | None:
    """Load (and on PostgreSQL row-lock) the auction; returns it with the leader's 竞买号 and,
    `snapshot` on PostgreSQL (no lock), the row version read (its xmin: see engine, "bids").
    The other columns of the model are deferred (none is read on the bid path)."""
    db = cursor.db  # the connection itself, not the thread-local proxy (this is the hot path)
    st = _statements(db.vendor)
    versioned = snapshot and db.vendor == "postgresql"
    cursor.execute(st.read_auction if snapshot else st.lock_auction, [auction_id])
    row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, col, convs in st.auction_converters:
        value = values[i]
        if value is not None:
            for conv in convs:
                value = conv(value, col, db)
            values[i] = value
    args = list(st.auction_template)
    for slot, value in zip(st.auction_slots, values, strict=False):
        args[slot] = value
    model: Any = Auction  # positional arguments, as Model.from_db builds a row with deferred fields
    auction: Auction = model(*args)
    auction._state.adding = False
    auction._state.db = db.alias
    return auction, row[-1] or "", row[-2] if versioned else None


@dataclass
class Bearer:
    """Who bids, given as a bearer token (its SHA-256 `digest`) rather than a user: the
    bidder statement checks the token itself (see the module's docstring). `load_bidder`
    fills in the rest: `checked` once the statement ran; `user_id` when the token is known,
    unexpired and its user active (None: answer 401); `token_id`, and `stale` when the
    token's `last_used_at` is due to be written (accounts.services.api_token_authenticate's
    rule): the engine writes it with an accepted bid and clears `stale`; otherwise the
    caller writes it, after the bid's transaction."""

    digest: str
    checked: bool = False
    user_id: int | None = None
    token_id: int | None = None
    stale: bool = False


def load_bidder(cursor: Any, *, auction_id: int, user: int | Bearer, key: str, now: Any = None) -> BidderRow | None:
    """The auction's bidder for `user` (a user id or a `Bearer`; with a Bearer, `now` is the
    instant its expiry and staleness are judged at), with its earlier bid under `key`."""
    db = cursor.db
    st = _statements(db.vendor)
    if isinstance(user, Bearer):
        ops = db.ops
        cursor.execute(
            st.bearer,
            [
                key,
                ops.adapt_datetimefield_value(now - TOKEN_TOUCH),
                auction_id,
                user.digest,
                ops.adapt_datetimefield_value(now),
            ],
        )
        row = cursor.fetchone()
        user.checked = True
        if row is None or not row[8]:  # unknown or expired token, inactive user
            return None
        user.token_id, user.stale, user.user_id = row[5], bool(row[6]), row[7]
        if row[0] is None:  # a valid token, but its user is no bidder of this auction
            return None
    else:
        cursor.execute(st.bidder, [key, auction_id, user])
        row = cursor.fetchone()
        if row is None:
            return None
    return BidderRow(row[0], row[1], bool(row[2]), int(row[3]), row[4])


def insert_bids(cursor: Any, bids: Sequence[Bid]) -> None:
    """One INSERT for all the bids of a decision; sets their primary keys (RETURNING)."""
    db = cursor.db
    st = _statements(db.vendor)
    params: list[Any] = []
    for bid in bids:
        params.extend(f.get_db_prep_save(getattr(bid, f.attname), db) for f in st.bid_fields)
    sql = st.insert_one + ", ".join([st.insert_values] * len(bids)) + f" RETURNING {db.ops.quote_name('id')}"
    cursor.execute(sql, params)
    for bid, (pk,) in zip(bids, cursor.fetchall(), strict=True):
        bid.pk = pk
        bid._state.adding = False
        bid._state.db = db.alias


def update_auction(cursor: Any, auction_id: int, changes: dict[str, Any], *, row_version: str | None = None) -> bool:
    """One UPDATE of the auction's live columns (attnames → values) and version + 1; with
    `row_version` (PostgreSQL) only if the row is still that version. Whether it updated."""
    db = cursor.db
    columns = _statements(db.vendor).auction_columns
    sets, params = [], []
    for attname, value in changes.items():
        f, assignment = columns[attname]
        sets.append(assignment)
        params.append(f.get_db_prep_save(value, db))
    q = db.ops.quote_name
    sets.append(f"{q('version')} = {q('version')} + 1")
    where, params = f"{q('id')} = %s", [*params, auction_id]
    if row_version is not None:
        where, params = where + " AND xmin = %s::xid", [*params, row_version]
    cursor.execute(f"UPDATE {q(Auction._meta.db_table)} SET {', '.join(sets)} WHERE {where}", params)
    return bool(cursor.rowcount == 1)
