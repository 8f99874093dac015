"""Create the role groups of the seed's organisation (permissions: roles.sync_roles after migrate)."""

from django.db import migrations

ROLE_NAMES = ["转让方", "意向受让方", "合作商户", "业务审核", "结算", "部门经理", "运营", "推广", "技术/美工", "客服", "文案", "监管"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
