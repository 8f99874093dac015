"""Bidding benchmark: the server as production runs it on this box, driven over HTTP.

    .venv/bin/python bench/bidding.py                              # SQLite, all scenarios
    .venv/bin/python bench/bidding.py --scenarios hot --seconds 20
    .venv/bin/python bench/bidding.py --database postgres://postgres@127.0.0.1:5432/exchange_bidding_bench \\
        --redis redis://127.0.0.1:6379/5                          # PostgreSQL + Redis fan-out

What it does (docs/benchmarks.md, "Bidding", has the figures and the machine):
1. a fresh database (a temporary SQLite file, or the PostgreSQL database named, dropped and
   re-created), migrated; drills created with the bidding services, bearer tokens issued
   (in this process, before the server starts);
2. SQL statements per accepted bid, counted in-process (CaptureQueriesContext) on a separate
   drill, on both paths a bid request can take: the native one (`bidding.api.bid_native`, what
   the scenarios' bearer-token bids take) and the real API view through Django's request stack
   (Django test client);
3. the server started as production runs it on one box (docs/operations.md §4–5): `--workers`
   single-worker app processes (each the `web:` line of the Procfile, on its own port)
   behind nginx `least_conn`, in their own process groups — or, `--front none`, the `web:`
   line alone with `--workers` uvicorn workers, as `make run` starts it;
4. scenarios, from this (separate) process:
   (a) `hot`: one English auction, 64 concurrent bidders on hand-written keep-alive
       connections (`RawBidConnection`), first as fast as the server answers (closed loop:
       the throughput ceiling), then at each of `--rates` requests/s on a fixed schedule
       (open loop: latency counted from the scheduled time); each bids the price it last
       saw + 1–2 increments, rejections counted;
   (b) `many`: 1,000 auctions in parallel, two bidders each, 128 requests in flight (aiohttp);
   (c) `watch`: 1,000 and 5,000 SSE watchers on one auction (authenticated with a bidder's
       token: a drill streams only to its bidders and staff) while bids are placed at a
       steady pace; latency = watcher receive time − the bid's server `accepted_at`;
   (crash): a bid storm like (a) during which every app process is SIGKILLed and restarted
       (nginx stays up; acknowledged bids must survive);
5. peak RSS of all server processes (sampled every 0.2 s from /proc), then the invariants:
   seq contiguous, prices strictly increasing, hash chain and outcome recomputed by
   `exchange.bidding.verify.verify_auction`, every acknowledged (201) bid present in the log.

Loopback only; it raises its own open-files limit to the hard limit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import logging
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


# --- environment and database ---------------------------------------------------------------
def prepare_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FAST_PASSWORD_HASHER", None)
    if args.database:
        env["DATABASE_URL"] = args.database
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env["REDIS_URL"] = args.redis or ""
    env["BIDDING_EVENTS_DIR"] = str(workdir / "ev")
    env["DEBUG"] = "false"
    env["LOG_LEVEL"] = "WARNING"
    env["PYTHONPATH"] = str(ROOT / "src")
    env["DJANGO_SETTINGS_MODULE"] = "exchange.settings"
    return env


def recreate_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict[str, str]) -> None:
    for k in ("DATABASE_URL", "REDIS_URL", "BIDDING_EVENTS_DIR", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "DEBUG"):
        os.environ[k] = env[k]
    # drills' practice accounts are hashed once per drill; 1,000 argon2 hashes would only slow
    # the setup (the bidders authenticate with bearer tokens; the server keeps argon2)
    os.environ["FAST_PASSWORD_HASHER"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # rejections are expected here


def make_drills(n: int, bidders: int, *, minutes: int = 120, **spec: Any) -> list[dict[str, Any]]:
    """n running English drills; returns [{auction_id, bidders: [{bidder_no, token}]}]."""
    from exchange.accounts import services as account_services
    from exchange.bidding import engine, rules, services
    from exchange.bidding.models import AuctionBidder
    from exchange.core import clock

    out = []
    for i in range(n):
        drill = services.drill_create(
            spec=services.AuctionSpec(
                title=f"基准测试标的 {i + 1}",
                mode=spec.get("mode", rules.ENGLISH),
                start_price=Decimal("100000.00"),
                increment=Decimal("100.00"),
                starts_at=clock.now(),
                duration=dt.timedelta(minutes=minutes),
                window_seconds=0,
                extension_seconds=0,
            ),
            bidders=bidders,
            actor=None,
        )
        engine.auction_open(auction_id=drill["auction_id"])
        people = AuctionBidder.objects.filter(auction_id=drill["auction_id"]).select_related("user")
        out.append(
            {
                "auction_id": drill["auction_id"],
                "bidders": [
                    {"bidder_no": b.bidder_no, "token": account_services.api_token_issue(user=b.user)} for b in people
                ],
            }
        )
    return out


def sql_per_bid(bids: int = 100) -> dict[str, float]:
    """Statements per accepted bid through the real API view (auth + engine + response)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    drill = make_drills(1, 2)[0]
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host outside a test run ("testserver" is not)
    counts, price = [], Decimal("100000.00")
    for i in range(bids):
        who = drill["bidders"][i % 2]
        with CaptureQueriesContext(connection) as ctx:
            r = client.post(
                f"/api/v1/auctions/{drill['auction_id']}/bids",
                data=json.dumps({"amount": f"{price:.2f}", "key": uuid.uuid4().hex}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {who['token']}",
            )
        if r.status_code != 201:
            raise SystemExit(f"SQL count: bid refused {r.status_code} {r.content[:200]!r}")
        counts.append(len(ctx.captured_queries))
        price += Decimal("100.00")
    sample = ctx.captured_queries
    # the CPU cost of one request in-process (no HTTP): what bounds the server's throughput
    t0 = time.perf_counter()
    for i in range(bids):
        who = drill["bidders"][i % 2]
        client.post(
            f"/api/v1/auctions/{drill['auction_id']}/bids",
            data=json.dumps({"amount": f"{price:.2f}", "key": uuid.uuid4().hex}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {who['token']}",
        )
        price += Decimal("100.00")
    accepted_ms = (time.perf_counter() - t0) / bids * 1000
    t0 = time.perf_counter()
    for _ in range(bids):
        client.post(
            f"/api/v1/auctions/{drill['auction_id']}/bids",
            data=json.dumps({"amount": "100000.00", "key": uuid.uuid4().hex}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {drill['bidders'][0]['token']}",
        )
    rejected_ms = (time.perf_counter() - t0) / bids * 1000
    native = native_sql_per_bid(drill, price, bids)
    return {
        "mean": statistics.mean(counts),
        "max": max(counts),
        "statements": [q["sql"][:60] for q in sample],
        "in_process_accepted_ms": round(accepted_ms, 2),
        "in_process_rejected_ms": round(rejected_ms, 2),
        **native,
    }


def native_sql_per_bid(drill: dict[str, Any], price: Decimal, bids: int) -> dict[str, Any]:
    """The same on the native path (exchange.asgi → bidding.api.bid_native, in a pool thread's
    way: wait=True), which every bearer-token bid of the scenarios below takes; each token's
    first use (a last-use write) is made before counting."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exchange.accounts import services as account_services
    from exchange.bidding.api import bid_native

    for who in drill["bidders"][:2]:
        account_services.api_token_authenticate(raw=who["token"])
    counts = []
    for i in range(bids):
        who = drill["bidders"][i % 2]
        payload = {"amount": f"{price:.2f}", "key": uuid.uuid4().hex}
        with CaptureQueriesContext(connection) as ctx:
            status, body = bid_native(auction_id=drill["auction_id"], token=who["token"], payload=payload)
        if status != 201:
            raise SystemExit(f"SQL count (native): bid refused {status} {body}")
        counts.append(len(ctx.captured_queries))
        price += Decimal("100.00")
    t0 = time.perf_counter()
    for _ in range(bids):
        payload = {"amount": "100000.00", "key": uuid.uuid4().hex}
        bid_native(auction_id=drill["auction_id"], token=drill["bidders"][0]["token"], payload=payload)
    return {
        "native_mean": statistics.mean(counts),
        "native_max": max(counts),
        "native_statements": [q["sql"][:60] for q in ctx.captured_queries],
        "native_in_process_rejected_ms": round((time.perf_counter() - t0) / bids * 1000, 2),
    }


# --- the server -------------------------------------------------------------------------------
GUNICORN = (  # the foundation's web line, for comparison (no event streams under it)
    ".venv/bin/gunicorn exchange.wsgi:application --pythonpath src --bind $WEB_BIND"
    " --workers $WEB_WORKERS --threads 4 --access-logfile - --graceful-timeout 5"
)


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each process (pid → s), from /proc."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return out


def rss_of(pids: list[int]) -> int:
    """Resident memory of the processes together, in bytes."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class Server:
    def __init__(
        self, env: dict[str, str], port: int, workers: int, kind: str = "procfile", log_name: str = "server.log"
    ) -> None:
        line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
        self.command = line.split(":", 1)[1].strip() if kind == "procfile" else GUNICORN
        self.env = {**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": str(workers)}
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self.rss_now = 0
        self._stop = threading.Event()
        self.log = open(Path(env["BIDDING_EVENTS_DIR"]).parent / log_name, "wb")  # noqa: SIM115

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["sh", "-c", self.command], cwd=ROOT, env=self.env, start_new_session=True, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not start; see server.log")
        time.sleep(1.5)  # all workers up
        threading.Thread(target=self._sample, daemon=True).start()

    def pids(self) -> list[int]:
        assert self.proc is not None
        try:
            pgid = os.getpgid(self.proc.pid)
        except ProcessLookupError:  # killed (crash scenario), not yet restarted
            return []
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = Path(f"/proc/{d}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                        out.append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time consumed so far by the server processes (load-independent)."""
        return sum(self.cpu_per_process().values())

    def cpu_per_process(self) -> dict[int, float]:
        """CPU seconds so far of each server process (pid → s): how evenly the work is spread."""
        return cpu_of(self.pids())

    def connections_per_process(self, port: int | None = None) -> list[int]:
        """Established client connections held by each server process (largest first): the
        workers share one listening socket and the kernel hands a burst of new connections
        to whichever accepts first, so 64 keep-alive bidders may split 44/20 — and the
        busier worker then sets the pace and the tail."""
        inodes: dict[str, int] = {}
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(path).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == (port or self.port) and parts[3] == "01":  # ESTABLISHED
                    inodes[parts[9]] = 0
        counts = []
        for pid in self.pids():
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            n = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
            if n:
                counts.append(n)
        return sorted(counts, reverse=True)

    def rss(self) -> int:
        return rss_of(self.pids())

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.rss_now = self.rss()
            self.peak_rss = max(self.peak_rss, self.rss_now)
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL every server process (the crash scenario)."""
        assert self.proc is not None
        os.killpg(os.getpgid(self.proc.pid), signal.SIGKILL)
        self.proc.wait(timeout=10)

    def reset_peak(self) -> None:
        self.peak_rss = self.rss()

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None:
            try:
                os.killpg(os.getpgid(self.proc.pid), signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(os.getpgid(self.proc.pid), signal.SIGKILL)
        self.log.close()


NGINX_CONF = """
worker_processes auto;
worker_rlimit_nofile 65536;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 30000; }}
http {{
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    access_log {work}/nginx-access.log combined buffer=64k flush=1s;
    upstream exchange_app {{
        least_conn;
{servers}
        keepalive 256;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        # nginx closes a client's keep-alive connection after 1,000 requests by default; the
        # hand-written load generator does not reconnect (a real client does), and a 40 s
        # closed-loop run sends ≈1,300 per bidder
        keepalive_requests 1000000;
        location ~ ^/api/v1/auctions/(\\d+/)?events$ {{
            proxy_pass http://exchange_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://exchange_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Port $remote_port;
            proxy_redirect off;
        }}
    }}
}}
"""


class Cluster:
    """The multi-process production topology of docs/operations.md §4–5 on one box: `n`
    single-worker app processes (the Procfile's web line, WEB_WORKERS=1, each on its own port)
    behind nginx with `least_conn`, which hands each request to the app process with the
    fewest requests in flight. The kernel's accept() cannot do that: with one listening
    socket shared by uvicorn's workers, a burst of keep-alive connections lands unevenly
    (44/20 of 64 in most runs) and the busier worker sets the tail. nginx keeps the access
    log; the app processes run without theirs (WEB_ACCESS_LOG=--no-access-log)."""

    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.port = port
        self.work = Path(env["BIDDING_EVENTS_DIR"]).parent
        quiet = {**env, "WEB_ACCESS_LOG": "--no-access-log"}
        self.apps = [Server(quiet, port + 1 + i, 1, log_name=f"server-{i + 1}.log") for i in range(workers)]
        servers = "\n".join(f"        server 127.0.0.1:{a.port} max_fails=0;" for a in self.apps)
        conf = self.work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=self.work, port=port, servers=servers))
        self.nginx_cmd = ["nginx", "-p", str(self.work), "-c", str(conf), "-g", "daemon off;"]
        self.nginx: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self._stop = threading.Event()

    def start(self) -> None:
        if shutil.which("nginx") is None:
            raise SystemExit("--front nginx needs nginx (Debian: apt-get install nginx)")
        if self.nginx is None:
            self.nginx = subprocess.Popen(self.nginx_cmd, start_new_session=True)
            threading.Thread(target=self._sample, daemon=True).start()
        for app in self.apps:
            app.start()

    def pids(self) -> list[int]:
        assert self.nginx is not None
        nginx = [self.nginx.pid, *_children(self.nginx.pid)]
        return nginx + [pid for app in self.apps if app.proc is not None for pid in app.pids()]

    def cpu_per_process(self) -> dict[int, float]:
        return cpu_of(self.pids())

    def cpu_seconds(self) -> float:
        return sum(self.cpu_per_process().values())

    def connections_per_process(self) -> list[int]:
        """nginx's upstream connections held by each app process (nginx spreads requests, not
        connections: see the CPU split for the balance)."""
        return [n for app in self.apps for n in app.connections_per_process()]

    def rss(self) -> int:
        return rss_of(self.pids())

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self.rss())
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL every app process (the crash scenario); nginx stays, as it would."""
        for app in self.apps:
            app.kill()

    def reset_peak(self) -> None:
        self.peak_rss = self.rss()

    def stop(self) -> None:
        self._stop.set()
        for app in self.apps:
            app.stop()
        if self.nginx is not None:
            os.killpg(os.getpgid(self.nginx.pid), signal.SIGTERM)
            self.nginx.wait(timeout=15)


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- load: bids -------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.accepted = 0
        self.rejected = 0
        self.errors = 0
        self.codes: Counter[str] = Counter()
        self.latency: list[float] = []
        self.acks: list[tuple[int, int, str, str, str]] = []  # auction, seq, amount, bidder_no, accepted_at

    def report(self, seconds: float, label: str) -> dict[str, Any]:
        total = self.accepted + self.rejected
        out = {
            "scenario": label,
            "requests_per_s": round(total / seconds),
            "accepted_per_s": round(self.accepted / seconds),
            "rejected_per_s": round(self.rejected / seconds),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": self.errors,
            "p50_ms": round(pct(self.latency, 0.5) * 1000, 1),
            "p99_ms": round(pct(self.latency, 0.99) * 1000, 1),
            "rejection_codes": dict(self.codes.most_common()),
        }
        print(
            f"  {label}: {out['requests_per_s']} bid req/s ({out['accepted_per_s']} accepted, "
            f"{out['rejected_per_s']} rejected), p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms, "
            f"errors {self.errors}, codes {out['rejection_codes']}"
        )
        return out


class RawBidConnection(asyncio.Protocol):
    """One bidder's keep-alive HTTP/1.1 connection, written by hand: the load generator shares
    the server's two cores, and aiohttp's client cost 0.43 ms of CPU per request against
    0.2–0.3 ms for this one (docs/benchmarks.md) — CPU a load generator on another machine
    would not take. It speaks just what the bid endpoint answers (Content-Length bodies) and
    reconnects after the server went away (crash scenario)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.transport: Any = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.buf = b""

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.transport is None or self.transport.is_closing():
            loop = asyncio.get_running_loop()
            await loop.create_connection(lambda: self, self.host, self.port)
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (path.encode(), self.host.encode(), token.encode(), len(body), body)
        )
        return await self.waiter

    def connection_made(self, transport: Any) -> None:
        self.transport, self.buf = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        length = None
        for line in self.buf[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:  # not what the bid endpoint sends
            self._fail(ConnectionError("response without Content-Length"))
            return
        if len(self.buf) < end + 4 + length:
            return
        status = int(self.buf[9:12])
        body, self.buf = self.buf[end + 4 : end + 4 + length], self.buf[end + 4 + length :]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(exc or ConnectionResetError("connection closed"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()
            self.transport = None


async def post_bid(
    session: Any,
    base: str,
    auction_id: int,
    bidder: dict[str, Any],
    amount: Decimal,
    tally: Tally,
    due: float | None = None,
) -> Any:
    t0 = time.perf_counter() if due is None else due
    try:
        if isinstance(session, RawBidConnection):
            payload = b'{"amount": "%s", "key": "%s"}' % (f"{amount:.2f}".encode(), uuid.uuid4().hex.encode())
            status, raw = await session.post(f"/api/v1/auctions/{auction_id}/bids", payload, bidder["token"])
            body = json.loads(raw) if raw.startswith(b"{") else {}  # nginx's 502 page while the app is down
        else:
            async with session.post(
                f"{base}/api/v1/auctions/{auction_id}/bids",
                json={"amount": f"{amount:.2f}", "key": uuid.uuid4().hex},
                headers={"Authorization": f"Bearer {bidder['token']}"},
            ) as r:
                body = await r.json(content_type=None)
                status = r.status
    except Exception as exc:  # connection reset etc.: counted, never hidden
        tally.errors += 1
        tally.codes[type(exc).__name__] += 1
        await asyncio.sleep(0.05)  # the server is down (crash scenario): do not spin
        return None, None
    tally.latency.append(time.perf_counter() - t0)
    if status == 201:
        tally.accepted += 1
        tally.acks.append((auction_id, body["seq"], body["amount"], body["bidder_no"], body["accepted_at"]))
    elif 400 <= status < 500:
        tally.rejected += 1
        tally.codes[body.get("code", str(status))] += 1
    else:
        tally.errors += 1
        tally.codes[str(status)] += 1
        if status >= 500:
            await asyncio.sleep(0.05)  # nginx answers 502 while the app is down: do not spin
    return status, body


async def hot(base: str, drill: dict[str, Any], seconds: float, rate: float = 0.0) -> Tally:
    """The bidders bid as fast as the server answers (closed loop: latency then only measures
    the queue of 64 bidders, ≈ 64 / throughput), or, with `rate`, together at that many
    requests per second on a fixed schedule (open loop: bidder i sends at i/rate, then every
    64/rate s; a request's latency counts from its scheduled time, so a server that falls
    behind is charged for the wait — no coordinated omission)."""

    tally = Tally()
    inc = Decimal("100.00")
    known = {"price": Decimal("100000.00") - inc}
    end = time.monotonic() + seconds
    n = len(drill["bidders"])
    start = time.perf_counter() + 0.05

    async def bidder(b: dict[str, Any], session: Any) -> None:
        i = drill["bidders"].index(b)
        k = 0
        while time.monotonic() < end:
            due = None
            if rate:
                due = start + (k * n + i) / rate
                k += 1
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
            amount = known["price"] + inc * random.choice((1, 1, 2))
            status, body = await post_bid(session, base, drill["auction_id"], b, amount, tally, due)
            if status == 201:
                known["price"] = max(known["price"], Decimal(body["amount"]))
            elif body and body.get("minimum"):
                known["price"] = max(known["price"], Decimal(body["minimum"]) - inc)

    host, port = base.removeprefix("http://").rsplit(":", 1)
    connections = [RawBidConnection(host, int(port)) for _ in drill["bidders"]]
    t0 = time.monotonic()
    await asyncio.gather(*(bidder(b, c) for b, c in zip(drill["bidders"], connections, strict=True)))
    tally.elapsed = time.monotonic() - t0  # type: ignore[attr-defined]
    for c in connections:
        if c.transport is not None:
            c.transport.close()
    return tally


async def many(base: str, drills: list[dict[str, Any]], seconds: float, in_flight: int) -> Tally:
    import aiohttp

    tally = Tally()
    inc = Decimal("100.00")
    end = time.monotonic() + seconds
    gate = asyncio.Semaphore(in_flight)

    async def auction(d: dict[str, Any], session: Any) -> None:
        price, turn = Decimal("100000.00"), 0
        while time.monotonic() < end:
            async with gate:
                status, body = await post_bid(session, base, d["auction_id"], d["bidders"][turn % 2], price, tally)
            if status == 201:
                price += inc
                turn += 1
            elif body and body.get("minimum"):
                price = Decimal(body["minimum"])

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.monotonic()
        await asyncio.gather(*(auction(d, session) for d in drills))
        tally.elapsed = time.monotonic() - t0  # type: ignore[attr-defined]
    return tally


async def crash(base: str, drill: dict[str, Any], seconds: float, server: Server | Cluster) -> tuple[Tally, float]:
    """A bid storm on one auction; a third of the way in, every server process is killed
    (SIGKILL) and the server restarted. Every acknowledged bid must be in the log."""

    async def killer() -> float:
        await asyncio.sleep(seconds / 3)
        server.kill()
        t0 = time.monotonic()
        await asyncio.to_thread(server.start)
        return time.monotonic() - t0

    storm, down = await asyncio.gather(hot(base, drill, seconds), killer())
    return storm, down


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_report(cpu: float, tally: Tally, client_cpu: float = 0.0) -> dict[str, float]:
    """Server CPU per request: what the throughput would be with both cores free for the
    server (the box is shared with the client and, here, with other work); and the load
    generator's own CPU per request (it runs on the same two cores)."""
    n = max(1, tally.accepted + tally.rejected)
    per = cpu / n * 1000
    client = client_cpu / n * 1000
    out = {
        "server_cpu_ms_per_request": round(per, 3),
        "capacity_2_free_cores_req_s": round(2000 / per) if per else 0,
        "client_cpu_ms_per_request": round(client, 3),
        "capacity_2_cores_with_client_req_s": round(2000 / (per + client)) if per + client else 0,
    }
    print(
        f"     server CPU {per:.3f} ms per request → ≈{out['capacity_2_free_cores_req_s']} req/s if both cores"
        f" were the server's; load generator {client:.3f} ms per request (server + client:"
        f" ≈{out['capacity_2_cores_with_client_req_s']} req/s on 2 cores)"
    )
    return out


# --- load: watchers ---------------------------------------------------------------------------


class WatcherProtocol(asyncio.Protocol):
    def __init__(self, board: dict[str, Any], path: str, token: str) -> None:
        self.board, self.path, self.token = board, path, token
        self.ready = asyncio.get_running_loop().create_future()
        self.buf = b""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {self.token}\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.ready.done():
            self.buf += data
            if b"event: state" in self.buf:
                self.ready.set_result(True)
                data = self.buf[self.buf.index(b"event: state") :]
                self.buf = b""
            else:
                return
        got = self.board["got"]
        i = data.find(b"id: ")
        while i >= 0:  # cheaper than a regex: 5,000 of these run per event in one process
            j = data.index(b"\n", i)
            seq = int(data[i + 4 : j])
            i = data.find(b"id: ", j)
            entry = got.get(seq)
            if entry is None:
                got[seq] = [1, now, [now]]
            else:
                entry[0] += 1
                entry[1] = max(entry[1], now)
                if len(entry[2]) < 20000:
                    entry[2].append(now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.board["lost"] += 1
        if not self.ready.done():
            self.ready.set_result(False)


async def watch(
    base: str, drill: dict[str, Any], watchers: int, bids: int, interval: float, server: Server | Cluster
) -> tuple[dict[str, Any], list[Any]]:
    import aiohttp

    loop = asyncio.get_running_loop()
    port = int(base.rsplit(":", 1)[1])
    board: dict[str, Any] = {"got": {}, "lost": 0}
    path = f"/api/v1/auctions/{drill['auction_id']}/events"  # a fresh drill: nothing to replay
    token = drill["bidders"][0]["token"]  # a drill streams to its bidders (and staff) only
    protocols: list[WatcherProtocol] = []
    t0 = time.monotonic()
    batch = 250
    for i in range(0, watchers, batch):
        made = await asyncio.gather(
            *(
                loop.create_connection(lambda: WatcherProtocol(board, path, token), "127.0.0.1", port)
                for _ in range(min(batch, watchers - i))
            )
        )
        protocols += [p for _t, p in made]
        await asyncio.gather(*(p.ready for p in protocols[i : i + batch]))
    connected = sum(1 for p in protocols if p.ready.result())
    connect_s = time.monotonic() - t0
    print(
        f"  {watchers} watchers connected in {connect_s:.1f} s ({connected} streaming); RSS {server.rss() / 2**20:.0f} MiB"
    )
    server.reset_peak()
    tally = Tally()
    inc = Decimal("100.00")
    price = Decimal("100000.00")
    async with aiohttp.ClientSession() as session:
        for i in range(bids):
            status, _body = await post_bid(session, base, drill["auction_id"], drill["bidders"][i % 2], price, tally)
            if status == 201:
                price += inc
            await asyncio.sleep(interval)
    await asyncio.sleep(2.0)
    last_latency, each_latency, complete = [], [], 0
    for _auction, seq, _amount, _no, accepted_at in tally.acks:
        at = dt.datetime.fromisoformat(accepted_at).timestamp()
        entry = board["got"].get(seq)
        if entry is None:
            continue
        complete += entry[0] >= connected
        last_latency.append(entry[1] - at)
        each_latency += [t - at for t in entry[2]]
    for p in protocols:
        p.transport.close()
    out = {
        "watchers": watchers,
        "streaming": connected,
        "connect_s": round(connect_s, 1),
        "bids": tally.accepted,
        "bids_seen_by_all": complete,
        "last_watcher_p50_ms": round(pct(last_latency, 0.5) * 1000, 1),
        "last_watcher_p99_ms": round(pct(last_latency, 0.99) * 1000, 1),
        "any_watcher_p50_ms": round(pct(each_latency, 0.5) * 1000, 1),
        "any_watcher_p99_ms": round(pct(each_latency, 0.99) * 1000, 1),
        "peak_rss_mib": round(server.peak_rss / 2**20),
        "dropped_connections": board["lost"],
    }
    print(
        f"  watch {watchers}: {complete}/{tally.accepted} bids reached all {connected} watchers; commit→last watcher "
        f"p50 {out['last_watcher_p50_ms']} ms p99 {out['last_watcher_p99_ms']} ms; commit→a watcher p50 "
        f"{out['any_watcher_p50_ms']} ms p99 {out['any_watcher_p99_ms']} ms; peak RSS {out['peak_rss_mib']} MiB"
    )
    await asyncio.sleep(1.0)
    return out, tally.acks


# --- invariants -------------------------------------------------------------------------------
def check_invariants(auction_ids: list[int], acks: list[tuple[int, int, str, str, str]]) -> dict[str, Any]:
    from exchange.bidding.models import Bid
    from exchange.bidding.verify import verify_auction

    problems: list[str] = []
    logs: dict[int, dict[int, tuple[str, str]]] = {}
    for aid in auction_ids:
        rows = list(Bid.objects.filter(auction_id=aid).order_by("seq").values_list("seq", "amount", "bidder_no"))
        if [r[0] for r in rows] != list(range(1, len(rows) + 1)):
            problems.append(f"auction {aid}: seq not contiguous")
        if any(b[1] <= a[1] for a, b in itertools.pairwise(rows)):
            problems.append(f"auction {aid}: prices not strictly increasing")
        report = verify_auction(aid)
        if not report.ok:
            problems.append(f"auction {aid}: chain/outcome check failed: {report.as_dict()}")
        logs[aid] = {r[0]: (f"{r[1]:.2f}", r[2]) for r in rows}
    missing = sum(1 for aid, seq, amount, no, _at in acks if logs.get(aid, {}).get(seq) != (amount, no))
    if missing:
        problems.append(f"{missing} acknowledged bids missing or different in the log")
    bids = sum(len(v) for v in logs.values())
    print(
        f"  invariants over {len(auction_ids)} auctions, {bids} bids, {len(acks)} acknowledged: "
        + ("OK" if not problems else "; ".join(problems[:5]))
    )
    return {"auctions": len(auction_ids), "bids": bids, "acknowledged": len(acks), "problems": problems}


# --- main -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--redis", default="", help="Redis URL for the event fan-out (default: Unix datagrams)")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--server", choices=["procfile", "gunicorn"], default="procfile", help="gunicorn: compare bids only"
    )
    parser.add_argument(
        "--front",
        choices=["nginx", "none"],
        default="nginx" if shutil.which("nginx") else "none",
        help="nginx: --workers single-worker app processes behind nginx least_conn (production, docs/operations.md);"
        " none: the web line alone with --workers uvicorn workers (make run). Default: nginx when installed",
    )
    parser.add_argument(
        "--rates", default="1000,1500,2000", help="hot: also run at these fixed request rates (open loop); '' = none"
    )
    parser.add_argument("--scenarios", default="hot,many,crash,watch")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bidders", type=int, default=64)
    parser.add_argument("--auctions", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=128)
    parser.add_argument("--watchers", default="1000,5000")
    parser.add_argument("--watch-bids", type=int, default=40)
    parser.add_argument("--watch-interval", type=float, default=0.25)
    parser.add_argument("--json", default="", help="write the results here")
    args = parser.parse_args()

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    scenarios = set(args.scenarios.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="bench-bidding-"))
    env = prepare_env(args, workdir)
    if args.database:
        recreate_postgres(args.database)
    results: dict[str, Any] = {
        "database": "postgresql" if args.database else "sqlite",
        "fan_out": "redis" if args.redis else "unix-datagram",
        "cpus": os.cpu_count(),
        "nofile": hard,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_before": os.getloadavg(),
    }
    print(f"== bidding benchmark: {results['database']}, fan-out {results['fan_out']}, workdir {workdir}")
    t = time.monotonic()
    django_setup(env)
    results["sql_per_accepted_bid"] = sql_per_bid()
    q = results["sql_per_accepted_bid"]
    print(
        f"  SQL statements per accepted bid (API request, token auth and BEGIN/COMMIT included): native path"
        f" (bearer-token bids, as the scenarios send them) {q['native_mean']:.1f} (max {q['native_max']}),"
        f" through Django's request stack {q['mean']:.1f} (max {q['max']}); in-process (no HTTP) one request"
        f" costs {q['in_process_accepted_ms']} ms accepted, {q['in_process_rejected_ms']} ms rejected"
        f" (Django test client), {q['native_in_process_rejected_ms']} ms rejected (native)"
    )
    hot_drill = make_drills(1, args.bidders)[0] if "hot" in scenarios else None
    many_drills = make_drills(args.auctions, 2) if "many" in scenarios else []
    crash_drill = make_drills(1, args.bidders)[0] if "crash" in scenarios else None
    watch_counts = [int(x) for x in args.watchers.split(",") if x] if "watch" in scenarios else []
    watch_drills = make_drills(len(watch_counts), 2) if watch_counts else []
    print(f"  setup {time.monotonic() - t:.1f} s")
    from django.db import connections

    connections.close_all()

    server: Server | Cluster
    if args.front == "nginx" and args.server == "procfile":
        server = Cluster(env, args.port, args.workers)
    else:
        server = Server(env, args.port, args.workers, args.server)
    results["front"] = args.front if args.server == "procfile" else "none"
    server.start()
    base = f"http://127.0.0.1:{args.port}"
    acks: list[tuple[int, int, str, str, str]] = []
    try:
        front = f"{args.workers} app processes behind nginx" if isinstance(server, Cluster) else "uvicorn alone"
        print(f"  server up ({front}): {len(server.pids())} processes, RSS {server.rss() / 2**20:.0f} MiB")
        if hot_drill:
            results["hot_paced"] = []
            for rate in [0.0] + [float(r) for r in args.rates.split(",") if r]:
                server.reset_peak()
                cpu0, client0 = server.cpu_seconds(), client_cpu_seconds()
                per0 = server.cpu_per_process()
                split: list[list[int]] = []
                timer = threading.Timer(args.seconds / 2, lambda s=split: s.append(server.connections_per_process()))
                timer.start()
                tally = asyncio.run(hot(base, hot_drill, args.seconds, rate))
                timer.cancel()
                how = f"at {rate:.0f} req/s offered" if rate else "as fast as answered"
                out = tally.report(tally.elapsed, f"(a) hot auction, {args.bidders} bidders, {how}")  # type: ignore[attr-defined]
                out["offered_req_s"] = rate or None
                out["connections_per_worker"] = split[0] if split else []
                per = server.cpu_per_process()
                out["cpu_split_s"] = sorted(
                    (round(per[p] - per0.get(p, 0.0), 1) for p in per if per[p] - per0.get(p, 0.0) >= 0.1),
                    reverse=True,
                )
                print(
                    f"     connections per app process: {out['connections_per_worker']};"
                    f" CPU seconds per server process: {out['cpu_split_s']}"
                )
                out["peak_rss_mib"] = round(server.peak_rss / 2**20)
                out.update(cpu_report(server.cpu_seconds() - cpu0, tally, client_cpu_seconds() - client0))
                acks += tally.acks
                if rate:
                    results["hot_paced"].append(out)
                else:
                    results["hot"] = out
        if many_drills:
            server.reset_peak()
            cpu0, client0 = server.cpu_seconds(), client_cpu_seconds()
            tally = asyncio.run(many(base, many_drills, args.seconds, args.in_flight))
            results["many"] = tally.report(
                tally.elapsed,  # type: ignore[attr-defined]
                f"(b) {len(many_drills)} auctions in parallel, {args.in_flight} in flight",
            )
            results["many"]["peak_rss_mib"] = round(server.peak_rss / 2**20)
            results["many"].update(cpu_report(server.cpu_seconds() - cpu0, tally, client_cpu_seconds() - client0))
            acks += tally.acks
        if crash_drill:
            tally, down = asyncio.run(crash(base, crash_drill, args.seconds, server))
            results["crash"] = tally.report(tally.elapsed, "(crash) hot auction, server killed and restarted")  # type: ignore[attr-defined]
            results["crash"]["restart_s"] = round(down, 1)
            print(f"  server SIGKILLed and restarted in {down:.1f} s; failed requests meanwhile: {tally.errors}")
            acks += tally.acks
        results["watch"] = []
        for n, drill in zip(watch_counts, watch_drills, strict=True):
            out, more = asyncio.run(watch(base, drill, n, args.watch_bids, args.watch_interval, server))
            results["watch"].append(out)
            acks += more
    finally:
        server.stop()
    ids = [d["auction_id"] for d in [x for x in (hot_drill, crash_drill) if x] + many_drills + watch_drills]
    results["loadavg_after"] = os.getloadavg()
    print(f"  load average before {results['loadavg_before']}, after {results['loadavg_after']}")
    results["invariants"] = check_invariants(ids, acks)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    if not args.database:
        shutil.rmtree(workdir, ignore_errors=True)
    if results["invariants"]["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
