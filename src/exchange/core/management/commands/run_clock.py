"""The clock: a loop that enqueues the time-driven jobs of `core.schedule` when due."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from exchange.core import schedule
from exchange.core.tasks import heartbeat_record


class Command(BaseCommand):
    help = "Run the clock loop: enqueue periodic jobs when they are due (Ctrl-C to stop)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tick", type=float, default=0.5, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, tick: float, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        jobs = schedule.jobs()
        self.stdout.write(f"clock: {len(jobs)} jobs: " + ", ".join(f"{j.name}/{j.seconds:g}s" for j in jobs))
        next_due = {j.name: 0.0 for j in jobs}
        last_beat = 0.0
        while not stopping:
            now = time.monotonic()
            for job in jobs:
                if now >= next_due[job.name]:
                    next_due[job.name] = now + job.seconds
                    try:
                        schedule.run_job(job)
                    except Exception as exc:  # one failing job must not stop the clock
                        self.stderr.write(f"clock: job {job.name} failed: {exc!r}")
            if now - last_beat >= 10:
                last_beat = now
                heartbeat_record(process="clock", detail=f"{len(jobs)} jobs")
            if once:
                break
            close_old_connections()  # a long-running process drops broken/expired connections
            time.sleep(tick)
        self.stdout.write("clock: stopped")
