"""The bidding engine: every state change of an auction (docs/design/decisions.md D5 and D12).

Each service is one short transaction serialised per auction: the auction row is locked
first (`select_for_update` on PostgreSQL; on SQLite every transaction is `BEGIN
IMMEDIATE`, which serialises all writers), the server time is read *after* the lock (so
seq order = time order), the pure rules decide, and the result is written with narrow
statements. Events leave through `transaction.on_commit`, never from inside the lock.
A bid on SQLite is first decided on a snapshot and takes the write lock only to be
written (see the comment above `bid_place` in `bids`).

Statements of an accepted bid (see tests/bidding/test_engine.py, which counts them):
lock the auction (1), the bidder with its prior bid under the same key (2), insert the
bid(s) (3), update the auction (4), with `BEGIN` (`BEGIN DEFERRED` / `BEGIN IMMEDIATE`
on SQLite) and `COMMIT`: 6. A Dutch bid reads one more, the top pre-emption rank of
the qualified bidders (`_top_rank`): 7.

The engine is four modules, re-exported here (callers use `engine.<name>`): `chain` (the
hash chain, a bid's public form), `engine_common` (the row lock, publishing after commit,
the close of a session), `bids` (the bid path) and `lifecycle` (clock, staff, outages).
"""

from __future__ import annotations

from exchange.bidding.bids import (
    MAX_ROW_ID,
    WouldBlock,
    bid_place,
    is_sqlite_busy,
)
from exchange.bidding.chain import (
    GENESIS_PREFIX,
    bid_hash,
    bid_public,
    format_time,
    genesis_hash,
)
from exchange.bidding.engine_common import (
    auction_closed,
)
from exchange.bidding.lifecycle import (
    auction_close,
    auction_close_due,
    auction_open,
    auction_pause,
    auction_rerun,
    auction_resume,
    on_outage_ended,
    outage_extend,
)

__all__ = [
    "GENESIS_PREFIX",
    "MAX_ROW_ID",
    "WouldBlock",
    "auction_close",
    "auction_close_due",
    "auction_closed",
    "auction_open",
    "auction_pause",
    "auction_rerun",
    "auction_resume",
    "bid_hash",
    "bid_place",
    "bid_public",
    "format_time",
    "genesis_hash",
    "is_sqlite_busy",
    "on_outage_ended",
    "outage_extend",
]
