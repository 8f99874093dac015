"""Pages of the bidding hall (竞价大厅): the hall, one live page per auction, the supervisor
monitor (监管) with pause/resume. Live data comes from the API and the event stream
(`exchange.bidding.sse`); these views render the first state so the page is useful before
any script runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.bidding import engine, selectors
from exchange.bidding.errors import AuctionNotFound
from exchange.bidding.models import Auction, Status
from exchange.core.errors import DomainError
from exchange.core.permissions import staff_required

LIVE = (Status.SCHEDULED, Status.RUNNING, Status.PAUSED)


def _visible(request: HttpRequest) -> QuerySet[Auction]:
    """Real auctions for everyone; practice drills for their invited bidders and staff."""
    qs = Auction.objects.select_related("leader", "winner")
    user = request.user
    if user.is_authenticated and user.has_perm("bidding.view_auction"):
        return qs
    if user.is_authenticated:
        return qs.filter(Q(is_practice=False) | Q(bidders__user=user)).distinct()
    return qs.filter(is_practice=False)


def _rows(qs: QuerySet[Auction], request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for a in qs:
        row = selectors.auction_dict(a, viewer=request.user)
        row.update(starts=timezone.localtime(a.starts_at), ends=timezone.localtime(a.ends_at), closed_at=a.closed_at)
        rows.append(row)
    return rows


@require_GET
def hall(request: HttpRequest) -> HttpResponse:
    """竞价大厅: running, upcoming and recently closed auctions."""
    visible = _visible(request)
    context = {
        "running": _rows(visible.filter(status__in=[Status.RUNNING, Status.PAUSED]).order_by("ends_at")[:50], request),
        "upcoming": _rows(visible.filter(status=Status.SCHEDULED).order_by("starts_at")[:50], request),
        "closed": _rows(visible.filter(status=Status.CLOSED).order_by("-closed_at", "-pk")[:20], request),
    }
    return render(request, "bidding/hall.html", context)


def _texts() -> dict[str, Any]:
    return {
        "empty": _("请输入出价金额。"),
        "not_number": _("出价金额须为数字（元），最多两位小数。"),
        "too_many_decimals": _("出价金额最多两位小数。"),
        "too_low": _("出价不得低于 %s。"),
        "not_multiple": _("加价须为加价幅度 %s 的整数倍。"),
        "current_price": _("当前价"),
        "start_price_label": _("起始价"),
        "not_bidder": _("未取得竞买资格"),
        "leading": _("领先"),
        "outbid": _("被超越"),
        "no_bid_yet": _("尚未出价"),
        "quoted": _("已报价"),  # sealed, before the opening
        "won": _("已竞得"),
        "lost": _("未竞得"),
        "did_not_bid": _("未出价"),  # closed, without a bid of mine
        "final_price": _("成交价"),
        "me": _("我"),
        "ended": _("竞价已结束"),
        "paused": _("暂停中"),
        "starts_in": _("距开始"),
        "cancelled": _("本场竞价已作废。"),
        "sold": _("竞价结束：竞买号 %no 以 %price 竞得。"),
        "you_won": _("恭喜，您已竞得！"),
        "accepted": _("出价 %s 已被接受。"),
        "failed": _("出价未被接受。"),
        "network": _("网络异常，出价是否成功请以出价记录为准。"),
        "live": _("实时连接"),
        "connecting": _("正在连接…"),
        "reconnecting": _("连接中断，正在重连…"),
        "confirm_q": _("确认出价"),
        # the quick-bid buttons, labelled by the amount they bid (_quick)
        "bid_amount": _("出价 %s"),
        "quick_start": _("按起始价"),
        "quick_start_plus": _("起始价加 %n 个幅度"),
        "quick_plus": _("当前价加 %n 个幅度"),
        # 减价 (dutch): the step price is computed on the page from the server clock
        "dutch_price": _("当前价格"),
        "dutch_taken": _("应价"),
        "dutch_next": _("下一次降价"),
        "dutch_window_left": _("行权期剩余"),
        "dutch_lowest": _("已是最低一档"),
        "dutch_take": _("以当前价应价"),
        "dutch_preempt": _("按应价行使优先购买权"),
        "dutch_preempt_note": _(
            "已有竞买人以 %s 应价。优先购买权顺位高于当前应价人的竞买人可在行权期内按同一价格行使优先购买权。"
        ),
        "dutch_too_low": _("应价不得低于当前价格 %s。"),
        "dutch_above_start": _("应价不得高于起始价 %s。"),
        "dutch_not_multiple": _("应价须为起始价减去降价幅度 %s 的整数倍。"),
        "dutch_same_price": _("优先购买权行权期内只能按应价 %s 出价。"),
        "status": {
            "scheduled": _("未开始"),
            "running": _("竞价中"),
            "paused": _("已暂停"),
            "closed": _("已结束"),
            "cancelled": _("已作废"),
        },
        "phase": {
            "pending": _("等待开始"),
            "free": _("自由报价期"),
            "timed": _("限时报价期"),
            "open": _("竞价中"),
            "extended": _("延时中"),
            "sealed": _("一次报价（密封）"),
            "descending": _("减价中"),
            "preemption": _("优先购买权行权期"),
            "closed": _("已结束"),
            "paused": _("已暂停"),
            "cancelled": _("已作废"),
        },
    }


QUICK = (1, 2, 5)


def _quick(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The quick-bid buttons as auction.js labels them: the amount each bids and how it comes
    about. Before the first bid "+1" bids the start price itself (the first bid may equal
    it), so n increments above the current price become n − 1 above the start price."""
    texts = _texts()
    increment = Decimal(state.get("next_increment") or state.get("increment") or "0")
    current, start = state.get("current_price"), Decimal(state.get("start_price") or "0")
    out = []
    for n in QUICK:
        if current is None:
            amount = start + (n - 1) * increment
            how = texts["quick_start"] if n == 1 else texts["quick_start_plus"].replace("%n", str(n - 1))
        else:
            amount, how = Decimal(current) + n * increment, texts["quick_plus"].replace("%n", str(n))
        out.append({"n": n, "amount": amount, "how": how})
    return out


@require_GET
def auction(request: HttpRequest, pk: int) -> HttpResponse:
    """One auction live: price, my number and status, countdown, quick bids, history."""
    if not _visible(request).filter(pk=pk).exists():
        raise Http404
    try:
        state = selectors.auction_public(auction_id=pk, viewer=request.user)
    except AuctionNotFound as exc:
        raise Http404 from exc
    seq = int(state.get("bid_count") or 0)
    bids = selectors.bids_after(auction_id=pk, after_seq=max(0, seq - 50), viewer=request.user)
    config = {
        "id": pk,
        "api": f"/api/v1/auctions/{pk}",
        "bids": f"/api/v1/auctions/{pk}/bids",
        "events": f"/api/v1/auctions/{pk}/events",
        "csrf": get_token(request),
        "initial": state,
        "initial_bids": bids,
        "text": _texts(),
    }
    return render(
        request,
        "bidding/auction.html",
        {"a": state, "bids": list(reversed(bids)), "config": config, "quick": _quick(state)},
    )


@staff_required("bidding.view_auction")
@require_GET
def monitor(request: HttpRequest) -> HttpResponse:
    """监管: every live auction, updated from the all-auctions event stream."""
    rows = _rows(selectors.running_auctions(viewer=request.user), request)
    return render(
        request,
        "bidding/monitor.html",
        {
            "rows": rows,
            "can_pause": request.user.has_perm("bidding.pause_auction"),
            "config": {"events": "/api/v1/auctions/events", "text": _texts()},
        },
    )


def _pause_or_resume(request: HttpRequest, pk: int, *, pause: bool) -> HttpResponse:
    reason = request.POST.get("reason", "")
    try:
        if pause:
            engine.auction_pause(auction_id=pk, actor=request.user, reason=reason)
            messages.success(request, _("竞价 #%(id)s 已暂停。") % {"id": pk})
        else:
            engine.auction_resume(auction_id=pk, actor=request.user, reason=reason)
            messages.success(request, _("竞价 #%(id)s 已恢复。") % {"id": pk})
    except AuctionNotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, str(exc.as_dict().get("message", "")))
    target = request.POST.get("next", "")
    if target != reverse("bidding:auction", args=[pk]):
        target = reverse("bidding:monitor")
    return redirect(target)


@staff_required("bidding.pause_auction")
@require_POST
def auction_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _pause_or_resume(request, pk, pause=True)


@staff_required("bidding.pause_auction")
@require_POST
def auction_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _pause_or_resume(request, pk, pause=False)
