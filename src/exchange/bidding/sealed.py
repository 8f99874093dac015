"""Sealed quotes (一次报价): nothing about them is readable before the opening.

Before the opening the database holds no amount, no count and not even whether anybody has
quoted (docs/bidding.md, "Sealed quotes": the scheme and its threat model):

- each quote is *committed*: `commitment = sha256("exchange-sealed|{auction_id}|{bidder_no}|
  {amount}|{salt}")` with a random 128-bit salt; its log entry is hashed over the commitment:
  `hash = sha256("{prev_hash}|{bidder_no}|{commitment}|{accepted_at}")` — the chain covers
  what was submitted and when, without the amount;
- the amount, the salt and the entry are kept **outside the database**, in the sealed vault
  (`BIDDING_SEALED_DIR`, default `var/sealed/`; a directory per auction, mode 0700, one
  file per quote, mode 0600, written and fsynced before the database commits);
- in the database, each bidder of a sealed auction has a slot (`AuctionBidder.sealed_slot`)
  holding 64 random hex digits from the admission on, replaced by its commitment (64 hex
  digits too, indistinguishable) when it quotes; the auction's `head_hash` starts as the
  chain's random genesis (kept in the vault) and follows the chain; `seq`, `version`,
  `status`, prices and leader do not move, nothing is audited per quote, no event is sent;
- at the opening (the close) the clock reads the vault, checks every commitment and the
  chain against the head, writes the entries as ordinary bid rows (amount, salt,
  commitment, hashes), decides the best quote with the rules and closes; the log, the
  genesis and every salt are then public and verifiable (`verify_auction`, api `/log`).

No cipher is used: `cryptography` is not a dependency of the project (requirements/base.lock),
and the standard library has none; SHA-256 commitments need none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from exchange.bidding import errors, rules
from exchange.bidding.chain import format_time, genesis_hash
from exchange.bidding.models import Auction, AuctionBidder, Bid

COMMIT_PREFIX = "exchange-sealed"
_REF = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class VaultError(Exception):
    """The vault does not match the database (a quote missing or altered): the opening
    cannot be done; nothing was written."""


# --- the formulas (docs/bidding.md) -------------------------------------------------------


def commitment(*, auction_id: int, bidder_no: str, amount: Decimal, salt: str) -> str:
    """sha256("exchange-sealed|{auction_id}|{bidder_no}|{amount:.2f}|{salt}"), lowercase hex."""
    text = f"{COMMIT_PREFIX}|{auction_id}|{bidder_no}|{amount:.2f}|{salt}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(*, prev_hash: str, bidder_no: str, commitment: str, accepted_at: dt.datetime) -> str:
    """A sealed log entry: sha256("{prev_hash}|{bidder_no}|{commitment}|{accepted_at}")."""

    text = f"{prev_hash}|{bidder_no}|{commitment}|{format_time(accepted_at)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def random_slot() -> str:
    """What a bidder's slot holds until it quotes: 64 random hex digits (like a commitment)."""
    return secrets.token_hex(32)


# --- the vault ------------------------------------------------------------------------------


def vault_root() -> Path:
    return Path(getattr(settings, "BIDDING_SEALED_DIR", None) or Path(settings.VAR_DIR) / "sealed")


def _auction_dir(ref: str, *, create: bool = False) -> Path:
    if not _REF.fullmatch(ref):
        raise VaultError("not a sealed auction reference")
    root = vault_root()
    folder = root / ref
    if create:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600, never overwriting) with `data`, durably (file and folder fsynced)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    folder = os.open(path.parent, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def prepare(auction: Auction) -> None:
    """A new sealed auction (before it is saved): its vault folder with the chain's random
    genesis, `sealed_ref` naming the folder and `head_hash` = the genesis."""
    ref, genesis = secrets.token_hex(16), secrets.token_hex(32)
    _write_new(_auction_dir(ref, create=True) / "genesis", genesis.encode())
    auction.sealed_ref, auction.head_hash = ref, genesis


def prepare_bidders(auction: Auction, bidders: list[AuctionBidder]) -> None:
    """New bidders of a sealed auction get their random slot (before they are saved)."""
    if auction.mode == rules.SEALED:
        for bidder in bidders:
            bidder.sealed_slot = random_slot()


def genesis(auction: Auction) -> str:
    """The genesis of the auction's chain: the vault's (services.auction_create), else the
    usual one (an auction created without the services)."""

    if auction.sealed_ref:
        path = _auction_dir(auction.sealed_ref) / "genesis"
        if path.exists():
            return path.read_text().strip()
    return genesis_hash(auction.pk)


def _read_quote(auction: Auction, slot: str) -> dict[str, Any] | None:
    """The vault's quote behind a bidder's slot, or None (a random slot: no quote)."""
    if not auction.sealed_ref or not _HEX64.fullmatch(slot or ""):
        return None
    path = _auction_dir(auction.sealed_ref) / f"{slot}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return data


def _as_bid(auction: Auction, data: dict[str, Any], *, seq: int | None = None) -> Bid:
    bid = Bid(
        auction_id=auction.pk,
        seq=seq or 0,
        bidder_id=data["bidder_id"],
        bidder_no=data["bidder_no"],
        amount=Decimal(data["amount"]),
        kind=Bid.Kind.MANUAL,
        key=data["key"],
        accepted_at=dt.datetime.fromisoformat(data["accepted_at"]),
        ends_at=dt.datetime.fromisoformat(data["ends_at"]),
        prev_hash=data["prev_hash"],
        hash=data["hash"],
        salt=data["salt"],
        commitment=data["commitment"],
    )
    bid.sealed = seq is None  # type: ignore[attr-defined]  # a receipt: its place in the log is not told
    return bid


# --- quoting ------------------------------------------------------------------------------------


def quote(*, auction: Auction, bidder: Any, amount: Decimal, key: str, now: dt.datetime) -> Bid:
    """Place a sealed quote (the engine's locked step, the auction row locked) and return its
    receipt: an unsaved Bid with amount, salt, commitment and entry hash, no seq.

    `bidder`: the engine's BidderRow (None: no bidder here). The same key with the same
    amount returns the first receipt (`replayed`), with another amount KeyReused; a second
    quote is `sealed_already_bid`; the other rejections as the rules say. Writes: the vault's
    file, the bidder's slot, the auction's head hash — nothing else."""

    slot = AuctionBidder.objects.filter(pk=bidder.id).values_list("sealed_slot", flat=True).first() if bidder else None
    mine = _read_quote(auction, slot or "")
    if mine is not None and mine["key"] == key:
        if Decimal(mine["amount"]) != amount:
            raise errors.KeyReused()
        receipt = _as_bid(auction, mine)
        receipt.replayed = True  # type: ignore[attr-defined]
        return receipt
    who = (
        rules.Bidder(
            bidder.id, bidder.bidder_no, qualified=bidder.qualified, rank=bidder.rank, has_bid=mine is not None
        )
        if bidder is not None
        else rules.Bidder(0, "", qualified=False)
    )
    decision = rules.evaluate_bid(auction.state(), who, amount, now)
    if not decision.accepted:
        raise errors.rejection(decision)
    if not auction.sealed_ref:  # an auction created without the services: its vault now
        prepare(auction)
        Auction.objects.filter(pk=auction.pk).update(sealed_ref=auction.sealed_ref)
    prev = auction.head_hash or genesis(auction)
    salt = secrets.token_hex(16)
    commit = commitment(auction_id=auction.pk, bidder_no=who.bidder_no, amount=amount, salt=salt)
    data = {
        "auction_id": auction.pk,
        "bidder_id": who.bidder_id,
        "bidder_no": who.bidder_no,
        "amount": f"{amount:.2f}",
        "salt": salt,
        "commitment": commit,
        "key": key,
        "accepted_at": format_time(now),
        "ends_at": format_time(auction.ends_at),
        "prev_hash": prev,
        "hash": entry_hash(prev_hash=prev, bidder_no=who.bidder_no, commitment=commit, accepted_at=now),
    }
    _write_new(_auction_dir(auction.sealed_ref, create=True) / f"{commit}.json", json.dumps(data).encode())
    # plain UPDATEs: no audit entry, no version, no signal — nothing that counts the quotes
    AuctionBidder.objects.filter(pk=who.bidder_id).update(sealed_slot=commit)
    Auction.objects.filter(pk=auction.pk).update(head_hash=data["hash"])
    return _as_bid(auction, data)


def my_quote(auction: Auction, bidder: AuctionBidder | None) -> Bid | None:
    """The viewer's own quote before the opening (its receipt), else None."""
    if bidder is None or auction.mode != rules.SEALED:
        return None
    return None if (data := _read_quote(auction, bidder.sealed_slot)) is None else _as_bid(auction, data)


# --- the opening --------------------------------------------------------------------------------


def reveal(auction: Auction) -> list[Bid]:
    """At the close (the auction row locked): read the vault, check it against the database
    and write the log. Every slot that names a vault file is a quote; each commitment must
    recompute from its amount and salt, each entry hash from its fields, and the entries
    must chain from the genesis to the auction's head with none left over (VaultError
    otherwise, nothing written). Then the rules decide the best quote as they would have
    live; the auction gets seq, price, leader and its published genesis (`log_genesis`);
    the caller saves it. Returns the bids written, in log order."""
    start = genesis(auction)
    by_prev: dict[str, dict[str, Any]] = {}
    for b in AuctionBidder.objects.filter(auction_id=auction.pk).exclude(sealed_slot=""):
        data = _read_quote(auction, b.sealed_slot)
        if data is None:
            continue
        amount = Decimal(data["amount"])
        ok = (
            data["bidder_id"] == b.pk
            and data["bidder_no"] == b.bidder_no
            and data["commitment"]
            == b.sealed_slot
            == commitment(auction_id=auction.pk, bidder_no=b.bidder_no, amount=amount, salt=data["salt"])
            and data["hash"]
            == entry_hash(
                prev_hash=data["prev_hash"],
                bidder_no=b.bidder_no,
                commitment=data["commitment"],
                accepted_at=dt.datetime.fromisoformat(data["accepted_at"]),
            )
        )
        if not ok or data["prev_hash"] in by_prev:
            raise VaultError(f"quote of bidder {b.bidder_no}: does not match its commitment or the chain")
        by_prev[data["prev_hash"]] = data
    ordered, head = [], start
    while head in by_prev:
        data = by_prev.pop(head)
        ordered.append(data)
        head = data["hash"]
    if by_prev or head != (auction.head_hash or start):
        raise VaultError("the vault's quotes do not chain to the auction's head hash")
    ranks = dict(AuctionBidder.objects.filter(auction_id=auction.pk).values_list("pk", "rank"))
    state = auction.state()
    state = rules.State(settings=state.settings, status=rules.RUNNING, ends_at=state.ends_at)
    bids = []
    for seq, data in enumerate(ordered, start=1):
        bid = _as_bid(auction, data, seq=seq)
        who = rules.Bidder(bid.bidder_id, bid.bidder_no, rank=ranks.get(bid.bidder_id, 0))
        decision = rules.evaluate_bid(state, who, bid.amount, bid.accepted_at)
        if not decision.accepted:
            raise VaultError(f"quote of bidder {bid.bidder_no}: refused by the rules ({decision.reason})")
        state = decision.state
        bids.append(bid)
    Bid.objects.bulk_create(bids)
    auction.seq, auction.current_price, auction.leader_rank = len(bids), state.current_price, state.leader_rank
    auction.leader_id = state.leader_id
    auction.log_genesis = start
    return bids
