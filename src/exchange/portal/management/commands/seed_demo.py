from typing import Any

from django.core.management.base import BaseCommand

from exchange.portal.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent: existing data is kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo()
        summary = ", ".join(f"{key} {count}" for key, count in created.items())
        self.stdout.write(f"demo data created: {summary}")
