"""合作商户 (partner/broker) used to be ticked by anyone at registration. From now on it is
granted only when staff approve a broker-status request: members who hold the role without
an approved request lose it (they may apply with their firm's documents)."""

from django.db import migrations


def drop_unreviewed_partners(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    BrokerApplication = apps.get_model("brokers", "BrokerApplication")
    group = Group.objects.filter(name="合作商户").first()
    if group is None:
        return
    approved = BrokerApplication.objects.filter(status="approved").values_list("user_id", flat=True)
    through = apps.get_model("accounts", "User").groups.through
    through.objects.filter(group_id=group.pk).exclude(user_id__in=approved).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("brokers", "0001_broker_status_and_mandates"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_unreviewed_partners, migrations.RunPython.noop)]
