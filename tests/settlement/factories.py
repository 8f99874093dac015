"""Helpers for settlement tests: deposit instructions, statement files, finance staff."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exchange.settlement import services
from exchange.settlement.models import BankProfile, DepositInstruction
from tests.factories import UserFactory

HEADER = [
    "交易流水号",
    "交易日期",
    "交易时间",
    "贷方金额",
    "借方金额",
    "对方户名",
    "对方账号",
    "对方开户行",
    "收款子账号",
    "摘要",
]
_projects = itertools.count(1000)
QUALIFIED = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))  # a Monday; due Thursday 2026-03-05 17:00


GENERIC_COLUMNS = {
    "bank_txn_id": "交易流水号", "date": "交易日期", "time": "交易时间", "amount": "贷方金额", "debit": "借方金额",
    "payer_name": "对方户名", "payer_account": "对方账号", "payer_bank": "对方开户行", "virtual_account": "收款子账号",
    "remark": "摘要",
}  # fmt: skip


def generic_profile() -> BankProfile:
    """The profile migration 0002 seeds (re-created if a transactional test flushed it)."""
    profile, _created = BankProfile.objects.get_or_create(
        code="generic", defaults={"name": "通用格式（默认）", "columns": GENERIC_COLUMNS}
    )
    return profile


def instruction(
    *,
    member: Any = None,
    amount: Decimal = Decimal("50000.00"),
    project_id: int | None = None,
    qualified_at: dt.datetime = QUALIFIED,
) -> DepositInstruction:
    pid = project_id if project_id is not None else next(_projects)
    return services.deposit_instruction_create(
        project_id=pid,
        project_code=f"SXCQ-2026-{pid:04d}",
        project_title=f"测试项目{pid}",
        member=member or UserFactory(),
        amount=amount,
        qualified_at=qualified_at,
    )


def row(
    *,
    amount: Decimal | str,
    virtual_account: str = "",
    when: dt.datetime | None = None,
    payer: str = "陈明",
    payer_account: str = "6222021234567890123",
    txn: str = "",
    remark: str = "保证金",
    debit: str = "",
) -> list[str]:
    when = timezone.localtime(when or QUALIFIED + dt.timedelta(hours=2))
    return [
        txn,
        f"{when:%Y-%m-%d}",
        f"{when:%H:%M:%S}",
        str(amount),
        debit,
        payer,
        payer_account,
        "中国工商银行太原分行",
        virtual_account,
        remark,
    ]


def statement_bytes(rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def import_rows(rows: list[list[str]], *, actor: Any, encoding: str = "utf-8", name: str = "statement.csv") -> Any:
    return services.statement_import(
        profile_id=generic_profile().pk, file_name=name, data=statement_bytes(rows, encoding=encoding), actor=actor
    )


def finance(**kwargs: Any) -> Any:
    return UserFactory(role="finance", **kwargs)
