"""`manage.py verify_auction <id> [<id> …]`: recompute the hash chain and the outcome."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.bidding.models import Auction
from exchange.bidding.verify import verify_auction


class Command(BaseCommand):
    help = "Recompute an auction's bid-log hash chain and outcome; exit 1 on any mismatch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("auction_ids", nargs="*", type=int)
        parser.add_argument("--all-closed", action="store_true", help="verify every closed auction")

    def handle(self, *args: Any, auction_ids: list[int], all_closed: bool, **options: Any) -> None:
        ids = list(auction_ids)
        if all_closed:
            ids += list(Auction.objects.filter(status="closed").values_list("pk", flat=True))
        if not ids:
            raise CommandError("give auction ids or --all-closed")
        failed = 0
        for auction_id in ids:
            if not Auction.objects.filter(pk=auction_id).exists():
                raise CommandError(f"auction {auction_id} does not exist")
            report = verify_auction(auction_id)
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            failed += not report.ok
        if failed:
            raise SystemExit(1)
