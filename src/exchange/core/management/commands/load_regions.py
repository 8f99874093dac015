from typing import Any

from django.core.management.base import BaseCommand

from exchange.core.regions import regions_load


class Command(BaseCommand):
    help = "Load or refresh China's administrative regions (province/city/county)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = regions_load()
        self.stdout.write(f"regions: {created} created")
