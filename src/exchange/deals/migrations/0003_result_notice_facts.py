"""The 成交公告's published facts become a snapshot on the deal (deals.conf.result_notice_rule).

Deals whose notice was published before get the snapshot of what that notice said: the
target, valuation, floor, price, method and date, and the buyer only where it was named
(judicial sales); the bidder number is no longer part of what is published.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def snapshot_published(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    for deal in Deal.objects.filter(result_notice__isnull=False).select_related("project", "buyer"):
        if deal.result_notice_facts:
            continue
        fields = ["target", "valuation", "floor_price", "price", "kind", "deal_date"]
        if deal.publish_buyer_name:
            fields.append("buyer")
        values = {
            "target": deal.project_title,
            "valuation": str(deal.project.valuation),
            "floor_price": str(deal.project.floor_price),
            "price": str(deal.price),
            "kind": deal.kind,
            "deal_date": timezone.localdate(deal.opened_at).isoformat(),
            "buyer": deal.buyer.real_name or deal.buyer.name,
        }
        deal.result_notice_facts = {
            "fields": fields,
            "values": {key: values[key] for key in fields},
            "state_owned": False,
            "publicity_workdays": int(getattr(settings, "DEALS_RESULT_PUBLICITY_WORKDAYS", 5)),
        }
        deal.save(update_fields=["result_notice_facts"])


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0002_deal_verbose_names'),
        ('listings', '0004_state_owned_and_notice_withdrawal'),
    ]

    operations = [
        migrations.AddField(
            model_name='deal',
            name='result_notice_facts',
            field=models.JSONField(blank=True, default=dict, help_text='发布成交公告时按公示规则确定的公示项目及其内容；成交公告页面与成交公告列表均据此显示', verbose_name='成交公告公示内容'),
        ),
        migrations.AlterField(
            model_name='deal',
            name='publish_buyer_name',
            field=models.BooleanField(default=False, help_text='由成交公告公示规则决定（DEALS_RESULT_NOTICE_FIELDS）', verbose_name='成交公告公示受让方名称'),
        ),
        migrations.RunPython(snapshot_published, migrations.RunPython.noop),
    ]
