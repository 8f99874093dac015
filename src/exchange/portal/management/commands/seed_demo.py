from typing import Any

from django.core.management.base import BaseCommand

from exchange.portal.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent: existing data is kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo()
        self.stdout.write(f"demo data: {created['accounts']} accounts and {created['articles']} articles created")
