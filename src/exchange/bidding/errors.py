"""Typed rejections of the bidding engine: one stable code per rule, a Chinese message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.bidding import rules
from exchange.core.errors import Conflict, DomainError, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from exchange.core.money import format_yuan


class BidRejected(DomainError):
    """A bid the rules refused. `code` is the rule's reason code; nothing was written."""

    status = 409
    default_message = gettext_lazy("出价未被接受。")


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    default_message = gettext_lazy("出价金额格式不正确：请输入大于零、最多两位小数的数字。")


class KeyReused(Conflict):
    code = "key_reused"
    default_message = gettext_lazy("该幂等键已用于另一金额的出价，请使用新的键重新出价。")


class AuctionNotFound(NotFound):
    code = "auction_not_found"
    default_message = gettext_lazy("竞价会不存在。")


class ReasonRequired(InvalidInput):
    code = "reason_required"
    default_message = gettext_lazy("请填写原因。")


class AuctionStateError(IllegalTransition):
    code = "illegal_transition"


class LogNotPublic(PermissionDenied):
    code = "log_not_public"
    default_message = gettext_lazy("竞价结束后才公开出价记录。")


_STATUS = {
    rules.BID_TOO_LOW: 422,
    rules.NOT_MULTIPLE: 422,
    rules.ABOVE_MAX: 422,
    rules.INVALID_AMOUNT: 422,
    rules.NOT_QUALIFIED: 403,
    rules.SELF_RAISE: 409,
    rules.NOT_OPEN: 409,
    rules.IS_PAUSED: 409,
    rules.IS_CLOSED: 409,
    rules.SEALED_ALREADY_BID: 409,
    rules.PREEMPTION_ONLY: 409,
}


def _message(decision: rules.Decision) -> str:
    """The Chinese message of a rejection (only that one is translated: a hot auction
    answers thousands of rejections a second)."""
    reason = decision.reason
    if reason == rules.BID_TOO_LOW:
        return _("出价低于最低可出价 %(min)s。") % {"min": _yuan(decision.minimum)}
    if reason == rules.NOT_MULTIPLE:
        return _("出价须为当前价加整数倍加价幅度（最低 %(min)s）。") % {"min": _yuan(decision.minimum)}
    if reason == rules.ABOVE_MAX:
        return _("出价高于上限 %(max)s。") % {"max": _yuan(decision.maximum)}
    if reason == rules.INVALID_AMOUNT:
        return _("出价金额格式不正确：请输入大于零、最多两位小数的数字。")
    if reason == rules.NOT_QUALIFIED:
        return _("您不是本场竞价的竞买人，不能出价。")
    if reason == rules.SELF_RAISE:
        return _("您已是最高出价者，不能自行加价。")
    if reason == rules.NOT_OPEN:
        return _("竞价尚未开始。")
    if reason == rules.IS_PAUSED:
        return _("竞价已暂停，请等待恢复。")
    if reason == rules.IS_CLOSED:
        return _("竞价已结束。")
    if reason == rules.SEALED_ALREADY_BID:
        return _("一次报价每人只能报价一次，您已报价。")
    if reason == rules.PREEMPTION_ONLY:
        if decision.minimum is not None:
            return _("优先购买权行权期内只能按应价 %(price)s 出价。") % {"price": _yuan(decision.minimum)}
        return _("已有竞买人应价，现为优先购买权行权期：只有优先购买权顺位高于当前应价人的竞买人可以按同一价格出价。")
    return _("出价未被接受。")


def _yuan(value: Decimal | None) -> str:
    return format_yuan(value) if value is not None else ""


def rejection(decision: rules.Decision) -> BidRejected:
    """The error for a rejected decision, with its code, HTTP status and the minimum if any."""
    data: dict[str, Any] = {}
    if decision.minimum is not None:
        data["minimum"] = _money(decision.minimum)
    if decision.maximum is not None:
        data["maximum"] = _money(decision.maximum)
    err = BidRejected(_message(decision), **data)
    err.code = decision.reason  # type: ignore[misc]  # the rule's stable code
    err.status = _STATUS.get(decision.reason, 409)  # type: ignore[misc]
    return err


def _money(value: Decimal) -> str:
    return f"{value:.2f}"
