"""`manage.py drill`: a practice auction (竞价演练) with N invited practice bidders; prints JSON
with the auction's full address (`--url`, else the configured site address)."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.bidding import rules, services
from exchange.core.errors import DomainError

DEFAULT_SITE = "http://127.0.0.1:8000"  # where `make run` serves


class Command(BaseCommand):
    help = (
        'Create a practice auction of any mode with N invited bidders; prints {"auction_id", "url", '
        '"bidders": [{"username", "password", "bidder_no"}]}; "url" is the full address of the auction.'
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
        parser.add_argument(
            "--url",
            default="",
            help=f"the site's address, e.g. https://jy.example.cn (default: NOTIFY_SITE_URL, else {DEFAULT_SITE})",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        site = site_origin(opts.pop("url"))
        try:
            spec = services.drill_spec(**opts)  # every number checked there (services.DRILL_LIMITS)
            result = services.drill_create(spec=spec, bidders=opts["bidders"], actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        result["url"] = site + result["url"]
        self.stdout.write(json.dumps(result, ensure_ascii=False))


def site_origin(option: str) -> str:
    """The origin put before the auction's path: --url, else the site address configured for
    links in notifications (NOTIFY_SITE_URL, a setting or the environment), else `make run`'s."""
    configured = getattr(settings, "NOTIFY_SITE_URL", "") or os.environ.get("NOTIFY_SITE_URL", "")
    origin = (option or configured or DEFAULT_SITE).strip().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"--url must be an http(s) address such as https://jy.example.cn, not {origin!r}")
    return origin
