"""Creating auctions and admitting bidders; practice drills (竞价演练).

Bids, the clock, pause/resume/rerun live in `engine.py`; this module sets auctions up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.accounts.models import User
from exchange.bidding import conf, rules, sealed
from exchange.bidding.amounts import parse_amount
from exchange.bidding.models import Auction, AuctionBidder
from exchange.core import audit, clock
from exchange.core.errors import InvalidInput
from exchange.core.money import quantize_money
from exchange.core.text import clean_name

_rng = secrets.SystemRandom()


@dataclass(frozen=True)
class AuctionSpec:
    """Every number of a new auction. `duration` is the length of the main period:
    English/proxy/sealed: starts_at → planned end; dynamic: the free period. Dutch ignores it.
    `preemption_seconds` (Dutch): the pre-emption window after a take (default conf)."""

    title: str
    mode: str = rules.ENGLISH
    start_price: Decimal = Decimal("100000.00")
    increment: Decimal = Decimal("1000.00")
    starts_at: dt.datetime | None = None
    duration: dt.timedelta = dt.timedelta(minutes=10)
    increment_bands: tuple[tuple[Decimal, Decimal], ...] = ()
    reserve_price: Decimal | None = None
    allow_leader_rebid: bool = False
    countdown_seconds: int | None = None
    window_seconds: int | None = None
    extension_seconds: int | None = None
    sealed_min: Decimal | None = None
    sealed_max: Decimal | None = None
    dutch_tick: Decimal = Decimal("0")
    dutch_interval_seconds: int | None = None
    dutch_floor: Decimal = Decimal("0")
    preemption_seconds: int | None = None
    is_practice: bool = False
    project_id: int | None = None
    project_code: str = ""


MAX_SECONDS = 2_147_483_647  # a seconds column (PositiveIntegerField) on PostgreSQL
_HOUR, _DAY = 3600, 86400

# The whole numbers of a drill (竞价演练), by the name the API, `manage.py drill` and the
# back office give them: (label, lowest, highest, the highest in words). A drill is a
# training exercise: its main period lasts at most a week (a training day, or a sealed
# round over a few days), each step timing (countdown T, window W, extension E, Dutch
# interval, pre-emption window) at most a day (production defaults are 1–5 minutes), and
# it is scheduled at most 30 days ahead (next month's training). Every end time then stays
# far inside the database's integer columns and Python's datetimes.
DRILL_LIMITS: dict[str, tuple[Any, int, int, Any]] = {
    "bidders": (gettext_lazy("演练竞买人数"), 0, 10_000, None),
    "duration": (gettext_lazy("竞价时长"), 1, 7 * _DAY, gettext_lazy("7 天")),
    "free_seconds": (gettext_lazy("自由报价期"), 0, 7 * _DAY, gettext_lazy("7 天")),
    "countdown": (gettext_lazy("限时报价倒计时"), 1, _DAY, gettext_lazy("1 天")),
    "window": (gettext_lazy("延时窗口"), 0, _DAY, gettext_lazy("1 天")),
    "extension": (gettext_lazy("延时时长"), 0, _DAY, gettext_lazy("1 天")),
    "dutch_interval": (gettext_lazy("减价周期"), 1, _DAY, gettext_lazy("1 天")),
    "preemption_seconds": (gettext_lazy("优先购买权行权期"), 1, _DAY, gettext_lazy("1 天")),
    "start_delay": (gettext_lazy("距开始时间"), 0, 30 * _DAY, gettext_lazy("30 天")),
}
DRILL_MAX_DUTCH_SECONDS = 7 * _DAY  # the whole Dutch descent, start price to floor


def drill_numbers_check(*, mode: str, **values: int | None) -> None:
    """Refuse a drill's whole number outside DRILL_LIMITS (None: unset, the default applies),
    before anything is built from it: InvalidInput (422 `invalid`) naming the field.
    The dynamic free period is its main period: at least a second there."""
    for name, value in values.items():
        label, low, high, words = DRILL_LIMITS[name]
        if value is None:
            continue
        if name == "free_seconds" and mode == rules.DYNAMIC:
            low = 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            numbers = {"label": label, "low": low, "high": high, "words": words}
            if words is None:
                raise InvalidInput(_("%(label)s须为 %(low)s–%(high)s 之间的整数。") % numbers, field=name)
            raise InvalidInput(
                _("%(label)s须为 %(low)s–%(high)s 秒之间的整数（最多 %(words)s）。") % numbers, field=name
            )


def _validate(spec: AuctionSpec) -> None:
    if spec.mode not in rules.MODES:
        raise InvalidInput(_("未知的竞价方式。"), field="mode")
    if spec.start_price <= 0:
        raise InvalidInput(_("起始价须大于零。"), field="start_price")
    if spec.increment <= 0 and spec.mode != rules.SEALED and spec.mode != rules.DUTCH:
        raise InvalidInput(_("加价幅度须大于零。"), field="increment")
    if spec.mode == rules.PROXY and spec.allow_leader_rebid:
        # the leader's higher maximum would be an invisible change: no bid in the log for
        # verify/replay and idempotency, and the API would answer 201 with no bid to show
        raise InvalidInput(
            _("代理出价方式不能设置“允许领先者加价”：领先者提高代理上限不会产生出价记录，无法公示与校验。"),
            field="allow_leader_rebid",
        )
    if spec.preemption_seconds is not None and spec.preemption_seconds <= 0:
        raise InvalidInput(_("优先购买权行权期须大于零秒。"), field="preemption_seconds")
    # any auction: the seconds must fit their columns (drills have tighter limits, drill_numbers_check)
    for name in (
        "countdown_seconds",
        "window_seconds",
        "extension_seconds",
        "dutch_interval_seconds",
        "preemption_seconds",
    ):
        value = getattr(spec, name)
        if value is not None and not 0 <= value <= MAX_SECONDS:
            raise InvalidInput(_("时间参数须在 0–%(max)s 秒之间。") % {"max": MAX_SECONDS}, field=name)
    if spec.duration.total_seconds() > MAX_SECONDS:
        raise InvalidInput(_("时间参数须在 0–%(max)s 秒之间。") % {"max": MAX_SECONDS}, field="duration")
    if spec.duration.total_seconds() <= 0 and spec.mode != rules.DUTCH:
        raise InvalidInput(_("竞价时长须大于零。"), field="duration")
    if spec.mode == rules.DUTCH:
        if spec.dutch_tick <= 0:
            raise InvalidInput(_("减价幅度须大于零。"), field="dutch_tick")
        if not Decimal("0") <= spec.dutch_floor <= spec.start_price:
            raise InvalidInput(_("减价底价须在零与起始价之间。"), field="dutch_floor")
        if _dutch_seconds(spec) > MAX_SECONDS:
            raise InvalidInput(_("减价全程过长：请加大减价幅度、提高底价或缩短减价周期。"), field="dutch_interval")


def _dutch_seconds(spec: AuctionSpec) -> int:
    """The whole Dutch descent (rules.dutch_ends_at − starts_at): the floor is offered for one interval."""
    interval = spec.dutch_interval_seconds or conf.default_dutch_interval()
    return interval * (int((spec.start_price - spec.dutch_floor) / spec.dutch_tick) + 1)


def auction_create(*, spec: AuctionSpec, actor: Any) -> Auction:
    """Create a scheduled auction from `spec` (validated; every unset number from conf)."""
    _validate(spec)
    starts_at = spec.starts_at or clock.now()
    auction = Auction(
        title=spec.title,
        mode=spec.mode,
        is_practice=spec.is_practice,
        project_id=spec.project_id,
        project_code=spec.project_code,
        start_price=quantize_money(spec.start_price),
        increment=quantize_money(spec.increment),
        increment_bands=[[f"{a:.2f}", f"{b:.2f}"] for a, b in spec.increment_bands],
        reserve_price=spec.reserve_price,
        allow_leader_rebid=spec.allow_leader_rebid,
        starts_at=starts_at,
        planned_end_at=starts_at + (spec.duration if spec.mode != rules.DUTCH else dt.timedelta(0)),
        countdown_seconds=spec.countdown_seconds or conf.default_countdown(),
        window_seconds=spec.window_seconds if spec.window_seconds is not None else conf.default_window(),
        extension_seconds=spec.extension_seconds if spec.extension_seconds is not None else conf.default_extension(),
        sealed_min=spec.sealed_min,
        sealed_max=spec.sealed_max,
        dutch_tick=quantize_money(spec.dutch_tick),
        dutch_interval_seconds=spec.dutch_interval_seconds or conf.default_dutch_interval(),
        dutch_floor=quantize_money(spec.dutch_floor),
        preemption_seconds=spec.preemption_seconds or conf.default_preemption(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    auction.ends_at = rules.initial_deadline(auction.settings_for_rules())
    if spec.mode == rules.DUTCH:
        auction.planned_end_at = auction.ends_at
    if spec.mode == rules.SEALED:
        sealed.prepare(auction)  # its vault folder, and a random genesis as the head (sealed.py)
    with transaction.atomic(), audit.action(actor, "auction.create", mode=spec.mode, practice=spec.is_practice):
        auction.save()
    return auction


def bidder_numbers_new(taken: set[str], n: int) -> list[str]:
    """n random 竞买号 not in `taken` (BIDDER_NO_DIGITS digits, more when the pool would be
    more than half full). Trading gives an applicant a number when the deposit lands, and
    the auction keeps it (`bidders_admit(numbers=...)`)."""
    taken = set(taken)
    digits = int(conf.get("BIDDER_NO_DIGITS"))
    while 10**digits - 10 ** (digits - 1) < (len(taken) + n) * 2:
        digits += 1
    pool = range(10 ** (digits - 1), 10**digits)
    numbers: list[str] = []
    while len(numbers) < n:
        no = str(_rng.choice(pool))
        if no not in taken:
            taken.add(no)
            numbers.append(no)
    return numbers


def bidders_admit(
    *,
    auction_id: int,
    users: list[User],
    kind: str = AuctionBidder.Kind.PRACTICE,
    actor: Any,
    rank: int = 0,
    numbers: dict[int, str] | None = None,
) -> list[AuctionBidder]:
    """Admit members as bidders of an auction, each under a random 竞买号.

    Real auctions admit bidders whose deposit is confirmed (kind=deposit, called by
    trading/settlement); drills invite practice bidders. Members already admitted keep
    their number; `numbers` (user id → 竞买号) gives a member the number they already hold
    (trading assigns it when the deposit lands), unless another bidder of the auction has it.
    """
    with transaction.atomic(), audit.action(actor, "auction.bidders_admit", count=len(users), kind=kind):
        auction = Auction.objects.select_for_update().get(pk=auction_id)
        existing = {b.user_id: b for b in auction.bidders.all()}
        new_users = [u for u in users if u.pk not in existing]
        taken = {b.bidder_no for b in existing.values()}
        chosen: dict[int, str] = {}
        for u in new_users:
            wanted = (numbers or {}).get(u.pk, "")
            if wanted and wanted not in taken:
                chosen[u.pk] = wanted
                taken.add(wanted)
        taken |= {no for no in (numbers or {}).values() if no}  # held by bidders admitted in a later call
        fresh = iter(bidder_numbers_new(taken, len(new_users) - len(chosen)))
        created = [
            AuctionBidder(auction=auction, user=u, bidder_no=chosen.get(u.pk) or next(fresh), kind=kind, rank=rank)
            for u in new_users
        ]
        sealed.prepare_bidders(auction, created)  # sealed: each a random slot (sealed.py)
        try:
            AuctionBidder.objects.bulk_create(created)
        except IntegrityError as exc:  # a concurrent admission took a number: try again
            raise InvalidInput(_("竞买号冲突，请重试。")) from exc
        return [existing.get(u.pk) or next(b for b in created if b.user_id == u.pk) for u in users]


def auction_url(auction_id: int) -> str:
    """The auction's page in the bidding hall."""
    for name in ("bidding:auction", "bidding:auction_detail", "bidding:detail"):
        try:
            return reverse(name, args=[auction_id])
        except NoReverseMatch:
            continue
    return f"/bidding/{auction_id}/"


def _practice_users(n: int, password: str) -> list[User]:
    """n new practice accounts (phone 199xxxxxxxx) sharing one password hash (hashed once:
    argon2 is slow by design and a drill may need hundreds of bidders)."""
    if n <= 0:
        return []
    template = User(phone="19900000000", email="drill@practice.invalid", name="template")
    template.set_password(password)
    users = []
    for _i in range(n):
        for _attempt in range(20):
            phone = f"199{_rng.randrange(10**8):08d}"
            if not User.objects.filter(phone=phone).exists():
                break
        user = User(
            phone=phone,
            email=f"drill-{phone}@practice.invalid",
            name=_("演练竞买人 %(phone)s") % {"phone": phone[-4:]},
            password=template.password,
        )
        user.save()
        users.append(user)
    return users


_DRILL_LABELS = {
    rules.DYNAMIC: "动态报价",
    rules.ENGLISH: "多次报价",
    rules.SEALED: "一次报价",
    rules.DUTCH: "减价",
    rules.PROXY: "代理出价",
}


def drill_spec(
    *,
    mode: str,
    title: str = "",
    start_price: str,
    increment: str,
    duration: int,
    free_seconds: int,
    countdown: int,
    window: int | None,
    extension: int | None,
    dutch_tick: str,
    dutch_interval: int,
    dutch_floor: str | None,
    start_delay: int,
    preemption_seconds: int | None = None,
    **_ignored: Any,
) -> AuctionSpec:
    """The AuctionSpec of a drill from the fields of the drill API, `manage.py drill` and the
    back office's 创建演练 (the one place their numbers are checked: DRILL_LIMITS, then the
    whole Dutch descent; the bidder count in drill_create). InvalidInput names the field."""
    if mode not in rules.MODES:
        raise InvalidInput(_("未知的竞价方式。"), field="mode")
    title = clean_name(title, field="title", label=_("标的名称"))[:200]
    drill_numbers_check(
        mode=mode,
        duration=duration,
        free_seconds=free_seconds,
        countdown=countdown,
        window=window,
        extension=extension,
        dutch_interval=dutch_interval,
        preemption_seconds=preemption_seconds,
        start_delay=start_delay,
    )
    start = parse_amount(start_price)
    tick = parse_amount(dutch_tick)
    floor = parse_amount(dutch_floor) if dutch_floor else max(start - 10 * tick, Decimal("0.01"))
    spec = AuctionSpec(
        title=title or _("竞价演练（%(mode)s）") % {"mode": _DRILL_LABELS[mode]},
        mode=mode,
        start_price=start,
        increment=parse_amount(increment),
        starts_at=clock.now() + dt.timedelta(seconds=start_delay),
        duration=dt.timedelta(seconds=free_seconds if mode == rules.DYNAMIC else duration),
        countdown_seconds=countdown,
        window_seconds=window,
        extension_seconds=extension,
        dutch_tick=tick,
        dutch_interval_seconds=dutch_interval,
        dutch_floor=floor,
        preemption_seconds=preemption_seconds,
        is_practice=True,
    )
    if mode == rules.DUTCH and floor <= start and _dutch_seconds(spec) > DRILL_MAX_DUTCH_SECONDS:
        raise InvalidInput(
            _("减价全程（从起始价降到底价）不能超过 7 天：请加大减价幅度、提高底价或缩短减价周期。"),
            field="dutch_interval",
        )
    return spec


def drill_create(*, spec: AuctionSpec, bidders: int, actor: Any) -> dict[str, Any]:
    """A practice auction (竞价演练) with `bidders` invited practice accounts.

    Returns {"auction_id", "url", "bidders": [{"username", "password", "bidder_no"}]}
    (the bidders of one drill share one generated password).
    """
    drill_numbers_check(mode=spec.mode, bidders=bidders)
    password = secrets.token_urlsafe(9)
    with transaction.atomic():
        auction = auction_create(spec=AuctionSpec(**{**spec.__dict__, "is_practice": True}), actor=actor)
        users = _practice_users(bidders, password)
        admitted = bidders_admit(auction_id=auction.pk, users=users, actor=actor)
    return {
        "auction_id": auction.pk,
        "url": auction_url(auction.pk),
        "bidders": [
            {"username": u.phone, "password": password, "bidder_no": b.bidder_no}
            for u, b in zip(users, admitted, strict=True)
        ],
    }
