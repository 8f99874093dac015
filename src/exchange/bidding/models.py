"""Auctions (竞价会), their qualified bidders (竞买人, by 竞买号) and the hash-chained bid log.

The numbers of every auction are columns (docs/design/decisions.md D14: settings with defaults, per
auction); the rules that use them are pure functions in `rules.py`. `Auction.state()`
turns a row into the rules' `State`; the engine writes back what the rules decide.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exchange.bidding import conf, rules
from exchange.core.fields import MoneyField


class Mode(models.TextChoices):
    DYNAMIC = rules.DYNAMIC, _("动态报价")
    ENGLISH = rules.ENGLISH, _("多次报价（延时）")
    SEALED = rules.SEALED, _("一次报价")
    DUTCH = rules.DUTCH, _("减价")
    PROXY = rules.PROXY, _("代理出价")


class Status(models.TextChoices):
    SCHEDULED = rules.SCHEDULED, _("未开始")
    RUNNING = rules.RUNNING, _("竞价中")
    PAUSED = rules.PAUSED, _("已暂停")
    CLOSED = rules.CLOSED, _("已结束")
    CANCELLED = rules.CANCELLED, _("已作废")


class Result(models.TextChoices):
    NONE = "", _("—")
    SOLD = rules.SOLD, _("成交")
    NO_BIDS = rules.NO_BIDS, _("流拍（无人出价）")
    RESERVE_NOT_MET = rules.RESERVE_NOT_MET, _("流拍（未达保留价）")


class Auction(models.Model):
    """One bidding session (竞价会) of a project, or a practice drill (竞价演练).

    Times: `starts_at` opens it (动态报价: the free period starts); `planned_end_at` is the
    planned end (动态报价: the end of the free period, where the countdown starts); `ends_at`
    is the live deadline the rules move. `seq`/`head_hash` are the last entry of the bid
    log. `leader_max` (proxy) is hidden: never in a payload.
    """

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.SCHEDULED: {Status.RUNNING, Status.PAUSED, Status.CLOSED, Status.CANCELLED},
        Status.RUNNING: {Status.PAUSED, Status.CLOSED, Status.CANCELLED},
        Status.PAUSED: {Status.RUNNING, Status.SCHEDULED, Status.CANCELLED},
        Status.CLOSED: {Status.CANCELLED},
        Status.CANCELLED: set(),
    }

    title = models.CharField(_("标的名称"), max_length=200)
    mode = models.CharField(_("竞价方式"), max_length=10, choices=Mode.choices, default=Mode.ENGLISH)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    is_practice = models.BooleanField(_("竞价演练"), default=False)
    project_id = models.PositiveBigIntegerField(_("项目ID"), null=True, blank=True)
    project_code = models.CharField(_("项目编号"), max_length=40, blank=True)

    # --- settings (every number of the rules) ---
    start_price = MoneyField(_("起始价"))
    increment = MoneyField(_("加价幅度"))
    increment_bands = models.JSONField(
        _("阶梯加价幅度"), default=list, blank=True, help_text=_('[["起点价", "加价幅度"], …]，按价格升序')
    )
    reserve_price = MoneyField(_("保留价"), null=True, blank=True)
    allow_leader_rebid = models.BooleanField(_("允许领先者加价"), default=False)
    starts_at = models.DateTimeField(_("开始时间"), help_text=_("动态报价：自由报价期开始"))
    planned_end_at = models.DateTimeField(_("计划结束时间"), help_text=_("动态报价：自由报价期结束、限时报价期开始"))
    countdown_seconds = models.PositiveIntegerField(_("限时报价倒计时（秒）"), default=conf.default_countdown)
    window_seconds = models.PositiveIntegerField(_("延时触发窗口 W（秒）"), default=conf.default_window)
    extension_seconds = models.PositiveIntegerField(_("延时时长 E（秒）"), default=conf.default_extension)
    sealed_min = MoneyField(_("一次报价下限"), null=True, blank=True)
    sealed_max = MoneyField(_("一次报价上限"), null=True, blank=True)
    dutch_tick = MoneyField(_("减价幅度"), default=Decimal("0"))
    dutch_interval_seconds = models.PositiveIntegerField(_("减价周期（秒）"), default=conf.default_dutch_interval)
    dutch_floor = MoneyField(_("减价底价"), default=Decimal("0"))
    preemption_seconds = models.PositiveIntegerField(
        _("优先购买权行权期（秒）"),
        default=conf.default_preemption,
        help_text=_("减价：有人应价后，优先顺位更高的竞买人可按同一价格行使优先购买权的时长"),
    )

    # --- live state (written by the engine under the row lock) ---
    ends_at = models.DateTimeField(_("当前截止时间"))
    current_price = MoneyField(_("当前价"), null=True, blank=True)
    leader = models.ForeignKey(
        "AuctionBidder", verbose_name=_("领先者"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_rank = models.PositiveSmallIntegerField(_("领先者优先权顺位"), default=0)
    leader_max = MoneyField(_("领先者代理上限"), null=True, blank=True)
    seq = models.PositiveIntegerField(_("出价序号"), default=0)
    head_hash = models.CharField(_("链头哈希"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    pause_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    # the last outage of the platform that moved this auction's deadline (engine.outage_extend):
    # shown to the bidders as a notice; every move is a DeadlineShift
    outage_from = models.DateTimeField(_("系统中断开始"), null=True, blank=True)
    outage_until = models.DateTimeField(_("系统恢复时间"), null=True, blank=True)
    # sealed (一次报价): the folder of its quotes in the sealed vault, outside the database
    # (bidding/sealed.py); the chain's random genesis is published here at the opening
    sealed_ref = models.CharField(_("密封报价保管编号"), max_length=32, blank=True, editable=False)
    log_genesis = models.CharField(_("链起始哈希（开标后公开）"), max_length=64, blank=True, editable=False)

    # --- outcome ---
    result = models.CharField(_("竞价结果"), max_length=16, choices=Result.choices, default=Result.NONE, blank=True)
    winner = models.ForeignKey(
        "AuctionBidder", verbose_name=_("竞得人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    final_price = MoneyField(_("成交价"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束于"), null=True, blank=True)
    confirmation = models.FileField(_("竞价结果确认书"), upload_to="bidding/confirmations/", blank=True)
    rerun_of = models.ForeignKey(
        "self", verbose_name=_("重新竞价自"), null=True, blank=True, on_delete=models.PROTECT, related_name="reruns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("竞价会")
        verbose_name_plural = _("竞价会")
        ordering = ["-starts_at", "-pk"]
        permissions = [
            ("pause_auction", _("暂停、恢复竞价")),
            ("rerun_auction", _("重新竞价（作废本场）")),
            ("create_drill", _("创建竞价演练")),
        ]
        indexes = [models.Index(fields=["status", "ends_at"], name="auction_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(start_price__gt=0), name="auction_start_price_positive"),
            models.CheckConstraint(condition=Q(increment__gte=0), name="auction_increment_not_negative"),
            models.CheckConstraint(
                condition=Q(planned_end_at__gte=models.F("starts_at")), name="auction_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status=rules.PAUSED) | Q(paused_at__isnull=False), name="auction_paused_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(result=rules.SOLD) | Q(winner__isnull=False, final_price__isnull=False),
                name="auction_sold_has_winner",
            ),
            # a proxy leader's higher maximum would leave no entry in the log (docs/bidding.md)
            models.CheckConstraint(
                condition=~Q(mode=rules.PROXY, allow_leader_rebid=True), name="auction_proxy_no_leader_rebid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（#{self.pk}）"

    def settings_for_rules(self, *, top_rank: int = 0) -> rules.Settings:
        """The rules' settings; `top_rank` (Dutch bids only) is the highest pre-emption rank
        among the qualified bidders, which the engine loads."""
        return rules.Settings(
            mode=self.mode,
            start_price=self.start_price,
            increment=self.increment,
            starts_at=self.starts_at,
            ends_at=self.planned_end_at,
            increment_bands=tuple((Decimal(str(a)), Decimal(str(b))) for a, b in self.increment_bands or ()),
            reserve_price=self.reserve_price,
            allow_leader_rebid=self.allow_leader_rebid,
            countdown_seconds=self.countdown_seconds,
            window_seconds=self.window_seconds,
            extension_seconds=self.extension_seconds,
            sealed_min=self.sealed_min,
            sealed_max=self.sealed_max,
            dutch_tick=self.dutch_tick,
            dutch_interval_seconds=self.dutch_interval_seconds,
            dutch_floor=self.dutch_floor,
            preemption_seconds=self.preemption_seconds,
            top_rank=top_rank,
        )

    def state(self, *, leader_no: str = "", top_rank: int = 0) -> rules.State:
        """The rules' view of this row (pass leader_no when the leader is not loaded; top_rank
        for a Dutch bid, see `settings_for_rules`)."""
        if not leader_no and self.leader_id is not None:
            leader_no = self.leader.bidder_no if self.leader else ""
        return rules.State(
            settings=self.settings_for_rules(top_rank=top_rank),
            status=self.status,
            ends_at=self.ends_at,
            current_price=self.current_price,
            leader_id=self.leader_id,
            leader_no=leader_no,
            leader_rank=self.leader_rank,
            leader_max=self.leader_max,
            seq=self.seq,
            paused_at=self.paused_at,
        )

    def state_fields(self, state: rules.State) -> dict[str, Any]:
        """The columns that hold `state` (for an UPDATE)."""
        return {
            "status": state.status,
            "ends_at": state.ends_at,
            "current_price": state.current_price,
            "leader_id": state.leader_id,
            "leader_rank": state.leader_rank,
            "leader_max": state.leader_max,
            "seq": state.seq,
            "paused_at": state.paused_at,
            "starts_at": state.settings.starts_at,
            "planned_end_at": state.settings.ends_at,
        }


class AuctionBidder(models.Model):
    """A qualified bidder (竞买人) of one auction, known to others only by `bidder_no` (竞买号).

    Practice drills invite bidders; real auctions admit bidders whose deposit is confirmed.
    `rank` > 0: pre-emption right (优先购买权), higher first.
    """

    class Kind(models.TextChoices):
        PRACTICE = "practice", _("演练邀请")
        DEPOSIT = "deposit", _("保证金已确认")

    auction = models.ForeignKey(Auction, verbose_name=_("竞价会"), on_delete=models.PROTECT, related_name="bidders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="auction_bidders"
    )
    bidder_no = models.CharField(_("竞买号"), max_length=12)
    kind = models.CharField(_("资格来源"), max_length=10, choices=Kind.choices, default=Kind.PRACTICE)
    qualified = models.BooleanField(_("有效"), default=True)
    rank = models.PositiveSmallIntegerField(_("优先购买权顺位"), default=0, help_text=_("0 表示无优先购买权"))
    # sealed: 64 random hex digits from the admission, its quote's commitment once it quoted
    # (indistinguishable: bidding/sealed.py); never shown
    sealed_slot = models.CharField(_("密封报价槽"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("竞买人")
        verbose_name_plural = _("竞买人")
        ordering = ["auction", "bidder_no"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "user"], name="bidder_one_per_user"),
            models.UniqueConstraint(fields=["auction", "bidder_no"], name="bidder_no_unique"),
        ]

    def __str__(self) -> str:
        return str(_("竞买号 %(no)s") % {"no": self.bidder_no})

    def for_rules(self, *, has_bid: bool = False) -> rules.Bidder:
        return rules.Bidder(self.pk, self.bidder_no, qualified=self.qualified, rank=self.rank, has_bid=has_bid)


class Bid(models.Model):
    """One entry of the bid log: append-only and hash-chained (see docs/bidding.md).

    hash = sha256(prev_hash | seq | bidder_no | amount | accepted_at), `accepted_at` being
    the server time the bid was accepted (under the auction's lock). `key` is the client's
    idempotency key. Audited by the chain itself, not by the generic audit trail.
    """

    class Kind(models.TextChoices):
        MANUAL = "manual", _("手动出价")
        PROXY = "proxy", _("代理出价")

    auction = models.ForeignKey(Auction, verbose_name=_("竞价会"), on_delete=models.PROTECT, related_name="bids")
    seq = models.PositiveIntegerField(_("序号"))
    bidder = models.ForeignKey(AuctionBidder, verbose_name=_("竞买人"), on_delete=models.PROTECT, related_name="bids")
    bidder_no = models.CharField(_("竞买号"), max_length=12)
    amount = MoneyField(_("出价"))
    max_amount = MoneyField(_("代理上限（不公开）"), null=True, blank=True)
    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True)
    accepted_at = models.DateTimeField(_("服务器时间"))
    ends_at = models.DateTimeField(_("出价后截止时间"))
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)
    # sealed quotes (revealed at the opening): the salt and the commitment the chain hashed
    # (database defaults: the hot path's INSERT, ledger_sql, does not name them)
    salt = models.CharField(_("盐值"), max_length=32, blank=True, default="", db_default="")
    commitment = models.CharField(_("报价承诺"), max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("出价记录")
        verbose_name_plural = _("出价记录")
        ordering = ["auction", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "seq"], name="bid_seq_unique"),
            models.UniqueConstraint(fields=["auction", "bidder", "key"], name="bid_key_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.bidder_no} ¥{self.amount}"

    @property
    def accepted_at_utc(self) -> dt.datetime:
        return self.accepted_at.astimezone(dt.UTC)


class DeadlineShift(models.Model):
    """A move of an auction's deadline that no bid made: an outage of the platform (nobody
    could bid from `down_from` to `up_at`; engine.outage_extend) or a staff pause (resume).

    `seq` and `head_hash` are the bid log's last entry when it happened: `verify_auction`
    accepts a bid after the deadline the previous bid left only through such a move, and
    the published log lists them (api `/log`, `deadline_moves`). Written once, never edited.
    """

    class Kind(models.TextChoices):
        OUTAGE = "outage", _("系统中断顺延")
        PAUSE = "pause", _("暂停后恢复")

    auction = models.ForeignKey(
        Auction, verbose_name=_("竞价会"), on_delete=models.PROTECT, related_name="deadline_shifts"
    )
    kind = models.CharField(_("原因"), max_length=10, choices=Kind.choices)
    down_from = models.DateTimeField(_("中断（暂停）开始"))
    up_at = models.DateTimeField(_("恢复时间"))
    ends_before = models.DateTimeField(_("原截止时间"))
    ends_after = models.DateTimeField(_("顺延后截止时间"))
    seq = models.PositiveIntegerField(_("当时出价序号"))
    head_hash = models.CharField(_("当时链头哈希"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("截止时间顺延")
        verbose_name_plural = _("截止时间顺延")
        ordering = ["auction", "created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.auction_id} {self.get_kind_display()} → {self.ends_after:%Y-%m-%d %H:%M:%S}"
