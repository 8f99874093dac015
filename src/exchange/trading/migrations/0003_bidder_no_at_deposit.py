"""A 竞买人 holds a 竞买号 from the moment the deposit is confirmed (it used to be given only
when the auction was organised, so 我的受让申请 showed "—" in between). Give one to every
application already in `deposit_confirmed` without a number: random 4 digits, unique among
the numbers of its project's round (the auction keeps it)."""

import secrets

from django.db import migrations


def backfill(apps, schema_editor):
    Application = apps.get_model("trading", "Application")
    waiting = Application.objects.filter(status="deposit_confirmed", bidder_no="").order_by("pk")
    for app in waiting:
        taken = set(
            Application.objects.filter(project_id=app.project_id, round=app.round)
            .exclude(bidder_no="")
            .values_list("bidder_no", flat=True)
        )
        low = 1000 if len(taken) < 4000 else 100000  # more digits for a crowded round
        while True:
            number = str(low + secrets.randbelow(9 * low))
            if number not in taken:
                break
        Application.objects.filter(pk=app.pk).update(bidder_no=number)


class Migration(migrations.Migration):
    dependencies = [("trading", "0002_material_server_named_files")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
