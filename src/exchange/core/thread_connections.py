"""Database connections held by the threads of a pool."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor


def close_thread_connections(executor: ThreadPoolExecutor, threads: int) -> None:
    """Close the database connections held by every thread of `executor` (tests and
    shutdown: a pooled thread keeps its connection open between requests)."""
    from django.db import connections

    barrier = threading.Barrier(threads, timeout=5)

    def close() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # each thread takes exactly one of these tasks

    for future in [executor.submit(close) for _ in range(threads)]:
        future.result(timeout=10)
