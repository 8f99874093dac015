"""Fee schedules for agreement deals (协议转让), both sides — the demo's configurable defaults.

Many exchanges charge 协议转让 on the same excess-over-band table as network bidding, so
the seed uses the 长沙 2022 bands of migration 0002 (minimum ¥3,600). Finance edits them
in the back office (收费标准) or adds a newer version; `seed` is idempotent (tests call it
again after a transactional test flushed the tables).
"""

import datetime
from decimal import Decimal

from django.db import migrations

WAN = Decimal(10000)
BANDS = [(0, 3000, "0.0024"), (3000, 6000, "0.0020"), (6000, 10000, "0.0015"), (10000, 50000, "0.0007"),
         (50000, None, "0.0003")]  # fmt: skip


def seed(apps, schema_editor):
    FeeSchedule = apps.get_model("settlement", "FeeSchedule")
    FeeBand = apps.get_model("settlement", "FeeBand")
    for side in ("seller", "buyer"):
        schedule, created = FeeSchedule.objects.get_or_create(
            category="",
            method="agreement",
            side=side,
            effective_from=datetime.date(2022, 1, 1),
            defaults={
                "name": "协议转让服务费（2022）",
                "minimum": Decimal("3600.00"),
                "notes": "演示默认值，可在后台修改：差额定率累进，与网络竞价同表（参照长沙联合产权交易所 2022 年收费标准）",
            },
        )
        if created:
            for lower, upper, rate in BANDS:
                FeeBand.objects.create(
                    schedule=schedule, lower=lower * WAN, upper=upper and upper * WAN, rate=Decimal(rate)
                )


def unseed(apps, schema_editor):
    FeeSchedule = apps.get_model("settlement", "FeeSchedule")
    FeeSchedule.objects.filter(
        category="", method="agreement", effective_from=datetime.date(2022, 1, 1), name="协议转让服务费（2022）"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("settlement", "0003_price_by_statement_and_defaults")]

    operations = [migrations.RunPython(seed, unseed)]
