"""Notification categories: the part of a `kind` before the first dot.

Apps choose kinds freely ("application.qualified", "deposit.confirmed", "deal.opened"…);
members switch e-mail/SMS/WeChat per category on the preferences page, which lists the
categories below. A kind of an unlisted category still works (its channels stay on).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CATEGORIES: dict[str, object] = {
    "account": _("账户与实名认证"),
    "listing": _("挂牌项目"),
    "application": _("报名与资格审核"),
    "deposit": _("保证金"),
    "auction": _("竞价"),
    "deal": _("成交与合同"),
    "payment": _("价款与结算"),
    "staff": _("员工待办"),
}


def category_label(category: str) -> str:
    return str(CATEGORIES.get(category, category))
