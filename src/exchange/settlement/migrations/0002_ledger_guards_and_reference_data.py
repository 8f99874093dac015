"""Database guards of the insert-only ledger, and the reference data settlement needs.

- Triggers refuse UPDATE of postings and entries (both databases) and DELETE (PostgreSQL;
  on SQLite Django's test flush deletes rows, so there the model/queryset guards refuse
  deletes). TRUNCATE is not a row operation and stays possible for test databases.
- Bank statement profiles: `generic` (the documented default layout) and `icbc`.
- Fee schedules: the 长沙 2022 network-bidding schedule (差额定率累进) for both sides, and the
  judicial commission cap (2004, buyer side, category `judicial`).
"""

import datetime
from decimal import Decimal

from django.db import migrations

TABLES = ("settlement_posting", "settlement_entry")


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger records are insert-only'); END;"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                "CREATE OR REPLACE FUNCTION settlement_insert_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'ledger records are insert-only'; END; $$ LANGUAGE plpgsql;"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION settlement_insert_only();"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table};")


GENERIC = {
    "bank_txn_id": "交易流水号",
    "date": "交易日期",
    "time": "交易时间",
    "amount": "贷方金额",
    "debit": "借方金额",
    "payer_name": "对方户名",
    "payer_account": "对方账号",
    "payer_bank": "对方开户行",
    "virtual_account": "收款子账号",
    "remark": "摘要",
}
ICBC = {
    "bank_txn_id": "凭证号",
    "date": "交易日期",
    "time": "交易时间",
    "amount": "贷方发生额",
    "debit": "借方发生额",
    "payer_name": "对方单位名称",
    "payer_account": "对方账号",
    "payer_bank": "对方行名",
    "virtual_account": "子账号",
    "remark": "用途",
}
WAN = Decimal(10000)
CHANGSHA = [(0, 3000, "0.0024"), (3000, 6000, "0.0020"), (6000, 10000, "0.0015"), (10000, 50000, "0.0007"),
            (50000, None, "0.0003")]
JUDICIAL = [(0, 200, "0.05"), (200, 1000, "0.03"), (1000, 5000, "0.02"), (5000, 10000, "0.01"), (10000, None, "0.005")]


def seed(apps, schema_editor):
    BankProfile = apps.get_model("settlement", "BankProfile")
    FeeSchedule = apps.get_model("settlement", "FeeSchedule")
    FeeBand = apps.get_model("settlement", "FeeBand")
    BankProfile.objects.get_or_create(code="generic", defaults={"name": "通用格式（默认）", "columns": GENERIC})
    BankProfile.objects.get_or_create(
        code="icbc",
        defaults={"name": "中国工商银行", "columns": ICBC, "date_format": "%Y%m%d", "header_contains": "凭证号"},
    )
    start = datetime.date(2022, 1, 1)
    for side in ("seller", "buyer"):
        schedule, created = FeeSchedule.objects.get_or_create(
            category="", method="bidding", side=side, effective_from=start,
            defaults={"name": "网络竞价服务费（2022）", "minimum": Decimal("3600.00"),
                      "notes": "差额定率累进，参照长沙联合产权交易所 2022 年收费标准"},
        )
        if created:
            for lower, upper, rate in CHANGSHA:
                FeeBand.objects.create(schedule=schedule, lower=lower * WAN, upper=upper and upper * WAN,
                                       rate=Decimal(rate))
    judicial, created = FeeSchedule.objects.get_or_create(
        category="judicial", method="bidding", side="buyer", effective_from=datetime.date(2004, 1, 1),
        defaults={"name": "司法拍卖佣金上限（2004）", "notes": "最高人民法院规定的拍卖佣金上限，仅向买受人收取"},
    )
    if created:
        for lower, upper, rate in JUDICIAL:
            FeeBand.objects.create(schedule=judicial, lower=lower * WAN, upper=upper and upper * WAN,
                                   rate=Decimal(rate))


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
