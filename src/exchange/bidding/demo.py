"""Demo data of the bidding app, loaded by `seed_demo` after accounts (idempotent).

Practice auctions (演示) in every mode and state, with the demo buyers (13900000011–13)
invited so that one can log in and bid: an English auction running for weeks, a dynamic
quote in its free period, a Dutch auction stepping down, a sealed quote not yet open, and
one closed English auction with a verified log and its 竞价结果确认书.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from exchange.accounts.models import User
from exchange.bidding import engine, rules, services
from exchange.bidding.models import Auction
from exchange.bidding.tasks import confirmation_attach
from exchange.core import clock

DEMO_PHONES = ("13900000011", "13900000012", "13900000013")
PREFIX = "【演示】"


def _spec(title: str, **kw: object) -> services.AuctionSpec:
    return services.AuctionSpec(title=PREFIX + title, is_practice=True, **kw)  # type: ignore[arg-type]


def seed() -> dict[str, int]:
    """Create the demo auctions that are missing; return counts of what was created."""
    users = list(User.objects.filter(phone__in=DEMO_PHONES).order_by("phone"))
    if len(users) < 2 or Auction.objects.filter(title__startswith=PREFIX).exists():
        return {}
    now = clock.now()
    day = dt.timedelta(days=1)
    specs = [
        _spec("太原市某商业用房租赁权（多次报价·延时）", start_price=D("860000"), increment=D("5000"),
              starts_at=now - dt.timedelta(hours=1), duration=30 * day, window_seconds=300, extension_seconds=300,
              reserve_price=D("900000")),
        _spec("晋中市某公司 20% 股权（动态报价）", mode=rules.DYNAMIC, start_price=D("3200000"), increment=D("20000"),
              starts_at=now - dt.timedelta(minutes=10), duration=7 * day, countdown_seconds=180),
        _spec("二手工程车辆一批（减价）", mode=rules.DUTCH, start_price=D("480000"), increment=D("1000"),
              starts_at=now - dt.timedelta(minutes=5), dutch_tick=D("2000"), dutch_interval_seconds=3600,
              dutch_floor=D("400000")),
        _spec("农村集体经营性建设用地使用权（一次报价）", mode=rules.SEALED, start_price=D("1500000"),
              increment=D("10000"), starts_at=now + 2 * day, duration=3 * day, sealed_max=D("3000000")),
        _spec("办公设备一批（代理出价）", mode=rules.PROXY, start_price=D("50000"), increment=D("500"),
              starts_at=now - dt.timedelta(hours=2), duration=14 * day),
    ]  # fmt: skip
    created = 0
    auctions = []
    for spec in specs:
        auction = services.auction_create(spec=spec, actor=None)
        services.bidders_admit(auction_id=auction.pk, users=users, actor=None)
        auctions.append(auction)
        created += 1
    engine.auction_close_due(now=now)  # the running ones show as running
    english, dynamic = auctions[0], auctions[1]
    _bids(english, users, [(D("860000"), 50), (D("870000"), 40), (D("880000"), 30)], now)
    _bids(dynamic, users, [(D("3200000"), 8), (D("3240000"), 5)], now)
    created += _closed_demo(users, now)
    return {"auctions": created}


def _bids(auction: Auction, users: list[User], bids: list[tuple[D, int]], now: dt.datetime) -> None:
    for i, (amount, minutes_ago) in enumerate(bids):
        with clock.frozen(now - dt.timedelta(minutes=minutes_ago)):
            engine.bid_place(auction_id=auction.pk, user=users[i % len(users)], amount=amount, key=f"demo-{i}")


def _closed_demo(users: list[User], now: dt.datetime) -> int:
    start = now - dt.timedelta(days=3)
    with clock.frozen(start - dt.timedelta(hours=1)):
        auction = services.auction_create(
            spec=_spec("吕梁市某矿业公司 35% 股权（已结束）", start_price=D("5600000"), increment=D("50000"),
                       starts_at=start, duration=dt.timedelta(hours=1), window_seconds=300, extension_seconds=300),
            actor=None,
        )  # fmt: skip
        services.bidders_admit(auction_id=auction.pk, users=users, actor=None)
    ladder = [(D("5600000"), 5), (D("5700000"), 20), (D("5750000"), 40), (D("5900000"), 57), (D("5950000"), 59)]
    for i, (amount, minute) in enumerate(ladder):
        with clock.frozen(start + dt.timedelta(minutes=minute)):
            engine.bid_place(auction_id=auction.pk, user=users[i % len(users)], amount=amount, key=f"demo-{i}")
    with clock.frozen(start + dt.timedelta(hours=2)):
        engine.auction_close(auction_id=auction.pk)
    confirmation_attach(auction_id=auction.pk)
    return 1
