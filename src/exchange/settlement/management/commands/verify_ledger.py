"""`manage.py verify_ledger`: check the whole ledger; exit 1 on any breach (for cron / CI)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from exchange.settlement.ledger import ledger_verify


class Command(BaseCommand):
    help = "核对账务：每张凭证借贷平衡、缓存余额等于分录合计、会员账户不为负、冻结不超过余额。"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = ledger_verify()
        self.stdout.write(report.text())
        self.stdout.write(f"({time.perf_counter() - started:.2f}s)")
        if not report.ok:
            sys.exit(1)
