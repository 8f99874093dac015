"""Throughput and latency of the public pages of a running server (`make run` first).

    .venv/bin/python bench/http_pages.py --base http://127.0.0.1:8000 --seconds 10 --concurrency 8

Sends GET requests from N threads for a bounded time to loopback only and prints, per
path, requests/s and latency percentiles. Standard library only, so it measures the server
rather than a client library.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import threading
import time
from urllib.parse import urlsplit

PATHS = ["/", "/healthz", "/news/", "/accounts/login/", "/api/v1/ref/regions?parent=140000"]


def run(base: str, path: str, seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    parts = urlsplit(base)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("benchmarks target this machine only (loopback)")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), errors, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(f"{'path':<40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for path in PATHS:
        count, errors, lat = run(args.base, path, args.seconds, args.concurrency)
        if not lat:
            print(f"{path:<40} no successful request ({errors} errors)")
            continue
        q = statistics.quantiles(sorted(lat), n=100)
        print(
            f"{path:<40} {count / args.seconds:>8.0f} {q[49] * 1000:>8.1f} {q[94] * 1000:>8.1f} {q[98] * 1000:>8.1f} {errors:>7}"
        )


if __name__ == "__main__":
    main()
