"""`manage.py drill`: a practice auction (竞价演练) with N invited practice bidders; prints JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.bidding import rules, services
from exchange.core.errors import DomainError


class Command(BaseCommand):
    help = (
        'Create a practice auction of any mode with N invited bidders; prints {"auction_id", "url", '
        '"bidders": [{"username", "password", "bidder_no"}]}.'
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--mode", choices=rules.MODES, default=rules.ENGLISH)
        parser.add_argument("--title", default="")
        parser.add_argument("--bidders", type=int, default=2)
        parser.add_argument("--start-price", default="100000.00")
        parser.add_argument("--increment", default="1000.00")
        parser.add_argument("--duration", type=int, default=300, help="seconds (english, proxy, sealed)")
        parser.add_argument("--free-seconds", type=int, default=120, help="dynamic: free period")
        parser.add_argument("--countdown", type=int, default=60, help="dynamic: T seconds")
        parser.add_argument("--window", type=int, default=None, help="english/proxy: W seconds")
        parser.add_argument("--extension", type=int, default=None, help="english/proxy: E seconds")
        parser.add_argument("--dutch-tick", default="1000.00")
        parser.add_argument("--dutch-interval", type=int, default=10)
        parser.add_argument("--dutch-floor", default=None)
        parser.add_argument(
            "--preemption-seconds", type=int, default=None, help="dutch: pre-emption window after a take"
        )
        parser.add_argument("--start-delay", type=int, default=0, help="seconds until it opens")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            spec = services.drill_spec(**opts)  # every number checked there (services.DRILL_LIMITS)
            result = services.drill_create(spec=spec, bidders=opts["bidders"], actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
