"""Demo data of the members app, loaded by `seed_demo` after listings, settlement and bidding (idempotent).

- A few realistic messages for 陈明 (13900000011) and 刘芳 (13900000012), some read.
- The demo account 某失信商贸有限公司 (13900000019) on the 失信名单, listed by 张经理 for
  refusing to sign after winning an auction.
Messages are site-only here (no e-mail is sent while seeding) and carry `demo:` dedupe keys.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from exchange.core import clock
from exchange.members import selectors, services
from exchange.members.models import Message

User = get_user_model()

BLACKLISTED_PHONE = "13900000019"
BLACKLIST_REASON = "在“SXCQ-2025-0187 太原市某商铺租赁权”项目竞得后，未在规定期限内签订交易合同（悔拍），保证金已扣除。自列入之日起一年内不得报名受让。"


def _url(name: str) -> str:
    try:
        return reverse(name)
    except Exception:  # an app's page not there yet: link to the member center
        return reverse("accounts:center")


def _messages() -> dict[str, list[tuple[str, str, str, str, int, bool]]]:
    """phone → [(kind, subject, body, url, hours ago, read)]."""
    center = _url("accounts:center")
    statement = _url("settlement:member_statement")
    hall = _url("portal:project_hall")
    return {
        "13900000011": [
            (
                "account.verified",
                "实名认证已通过",
                "陈明，您好：您提交的实名认证已审核通过，现在可以报名参与项目交易。",
                center,
                120,
                True,
            ),
            (
                "application.qualified",
                "受让资格确认通过：SXCQ-2026-0001",
                "您报名的“太原市某国有企业100%股权转让”项目已通过受让资格审核，请在3个工作日内（截止17:00前）将保证金 500,000.00 元转入您的专属虚拟子账号。",
                statement,
                30,
                True,
            ),
            (
                "deposit.confirmed",
                "保证金已到账：SXCQ-2026-0001",
                "我们已收到您缴纳的保证金 500,000.00 元，该款项在交易期间冻结。竞价开始前您将收到竞价号和竞价时间。",
                statement,
                6,
                False,
            ),
            (
                "auction.scheduled",
                "网络竞价即将开始",
                "您已取得竞价资格，竞价将于明天 10:00 开始，请提前登录竞价大厅并确认网络环境。",
                hall,
                2,
                False,
            ),
        ],
        "13900000012": [
            (
                "account.verified",
                "实名认证已通过",
                "刘芳，您好：您提交的实名认证已审核通过，现在可以报名参与项目交易。",
                center,
                150,
                True,
            ),
            (
                "application.qualified",
                "受让资格确认通过：SXCQ-2026-0001",
                "您报名的项目已通过受让资格审核，请按缴款通知在规定时间内缴纳保证金。",
                statement,
                28,
                False,
            ),
            (
                "deposit.due",
                "保证金缴纳提醒",
                "您的保证金将于明天 17:00 截止缴纳，逾期未到账将视为放弃受让资格。",
                statement,
                3,
                False,
            ),
        ],
    }


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the demo objects that are missing; return counts of what was created."""
    made = {"messages": 0, "blacklist": 0}
    now = clock.now()
    for phone, rows in _messages().items():
        user = User.objects.filter(phone=phone).first()
        if user is None:
            continue
        for i, (kind, subject, body, url, hours_ago, read) in enumerate(rows):
            message = services.notify(
                user, kind=kind, subject=subject, body=body, url=url, channels=("site",), dedupe_key=f"demo:{i}"
            )
            if message is None:
                continue
            at = now - dt.timedelta(hours=hours_ago)
            Message.objects.filter(pk=message.pk).update(
                created_at=at, read_at=at + dt.timedelta(minutes=25) if read else None
            )
            made["messages"] += 1
    # the account itself is one of the demo accounts every app's demo data builds on
    member = User.objects.filter(phone=BLACKLISTED_PHONE).first()
    if member is not None and not selectors.is_blacklisted(member) and not member.blacklist_entries.exists():
        manager = User.objects.filter(phone="13800000003").first()
        today = clock.today()
        services.blacklist_add(
            member=member,
            reason=BLACKLIST_REASON,
            starts_on=today - dt.timedelta(days=20),
            ends_on=today - dt.timedelta(days=20) + dt.timedelta(days=365),
            actor=None,
        )
        if manager is not None:
            member.blacklist_entries.update(created_by=manager)
        made["blacklist"] += 1
    return {k: v for k, v in made.items() if v}
