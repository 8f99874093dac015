"""Demo data of the settlement app, loaded by `seed_demo` after accounts (idempotent).

Deposit instructions for two demo projects (ids and codes as plain values: settlement
does not import listings), one bank statement uploaded and confirmed the way finance does it
(its original file kept, opened from 导入记录) with two exceptions (a partial and an unknown
payment), and a refund batch prepared by the system administrator that waits for
李结算's approval (four-eyes) — so every finance page has something to show.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from exchange.accounts.models import User
from exchange.core import clock
from exchange.settlement import services
from exchange.settlement.models import BankProfile, DepositInstruction, StatementImport

DEMO_FILE = "演示-工行对账单.csv"
PREPARER_PHONE = "13800000010"  # 陈出纳 prepares the demo batch: four-eyes needs a second person
PROJECTS = [
    (9001, "SXCQ-2026-0001", "太原市某国有企业100%股权转让", Decimal("500000.00")),
    (9002, "SXCQ-2026-0002", "晋中市榆次区商业房产转让", Decimal("200000.00")),
]
HEADER = "交易流水号,交易日期,交易时间,贷方金额,借方金额,对方户名,对方账号,对方开户行,收款子账号,摘要"


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the demo objects that are missing; return counts of what was created."""
    if StatementImport.objects.filter(file_name=DEMO_FILE).exists():
        return {}
    buyers = {u.phone: u for u in User.objects.filter(phone__in=["13900000011", "13900000012", "13900000013"])}
    finance = User.objects.filter(phone="13800000002").first()
    if len(buyers) < 3 or finance is None:
        return {}
    preparer = User.objects.filter(phone=PREPARER_PHONE).first() or finance
    now = clock.now()
    qualified = now - dt.timedelta(days=1)
    plan = [
        (buyers["13900000011"], PROJECTS[0]),
        (buyers["13900000012"], PROJECTS[0]),
        (buyers["13900000013"], PROJECTS[1]),
        (buyers["13900000011"], PROJECTS[1]),
    ]
    made = [
        services.deposit_instruction_create(
            project_id=pid,
            project_code=code,
            project_title=title,
            member=member,
            amount=amount,
            qualified_at=qualified,
        )
        for member, (pid, code, title, amount) in plan
    ]
    local = timezone.localtime(now)
    day, at = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
    rows = [
        f"ICBC0001,{day},{at},500000.00,,陈明,6222020502001234567,中国工商银行太原迎泽支行,{made[0].virtual_account},保证金",
        f"ICBC0002,{day},{at},500000.00,,刘芳,6217000130012345678,中国建设银行太原分行,{made[1].virtual_account},保证金",
        f"ICBC0003,{day},{at},199000.00,,晋中恒泰实业有限公司,0502130009024412345,中国工商银行晋中分行,{made[2].virtual_account},竞买保证金",
        f"ICBC0004,{day},{at},3000.00,,王建国,6228480010012345678,中国农业银行太原分行,,货款",
    ]
    data = ("\r\n".join([HEADER, *rows]) + "\r\n").encode("gbk")
    # the two steps finance takes on 导入对账单: upload (kept, previewed), then confirm
    upload = services.statement_upload_create(
        profile_id=BankProfile.objects.get(code="generic").pk,
        upload=SimpleUploadedFile(DEMO_FILE, data, content_type="text/csv"),
        actor=finance,
    )
    services.statement_upload_confirm(upload_id=upload.pk, actor=finance)
    loser = DepositInstruction.objects.get(pk=made[1].pk)
    services.deposit_refund(instruction_id=loser.pk, actor=finance, reason="未成交竞买人保证金退还")
    if preparer != finance:  # 李结算 approves it (the approver may not be the preparer)
        services.payment_batch_prepare(actor=preparer)
    return {"deposit instructions": len(made), "statement lines": len(rows), "payment batches": 1}
