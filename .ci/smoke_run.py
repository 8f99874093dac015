"""CI: the README's first command, as a newcomer runs it, then a restart.

    python3 .ci/smoke_run.py [--port N] [--timeout 300]

1. `make run PORT=N` in its own session: in a fresh clone it builds .venv from the lock files
   (pinned installer, hashes checked), migrates SQLite, collects static files, loads the demo
   data and serves web + worker + clock.
2. Waits for GET /healthz (200, database reachable), then fetches the home page (Chinese), the
   login page, the back office's login page and the API docs, and every /static/ asset those
   link: each must be a hashed name that the server actually serves.
3. Stops it the way Ctrl-C does (SIGINT to the process group) and checks nothing is left.
4. Restarts it with `make start` — serving only, what a supervisor runs after a crash — and
   times it until /healthz answers; stops it again.

Prints the timings; exits non-zero with the tail of the platform's log on the first failure.
Standard library only (it runs with the machine's Python, before the venv exists).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/accounts/login/", "/admin/login/", "/api/v1/docs")
ASSET = re.compile(r"""(?:href|src)=["'](/static/[^"'?#]+)""")
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")  # ManifestStaticFilesStorage's names
STOP_SECONDS = 30


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, timeout: float = 10) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


class Platform:
    """One `make` command serving the platform, in its own process group."""

    def __init__(self, target: str, port: int, log_path: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.log_file = log_path.open("ab")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", target, f"PORT={port}"],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float) -> float:
        """Seconds from the start until /healthz says ok."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SmokeFailure(f"exited with status {self.process.returncode} before /healthz answered")
            try:
                status, body, _ = get(self.base + "/healthz", timeout=2)
            except (OSError, urllib.error.URLError):
                status, body = 0, b""
            if status == 200:
                health = json.loads(body)
                if health.get("status") != "ok" or health.get("database") is not True:
                    raise SmokeFailure(f"/healthz answered {health}")
                return time.monotonic() - self.started
            time.sleep(0.2)
        raise SmokeFailure(f"/healthz did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """SIGINT to the whole group, as Ctrl-C in a terminal; then nothing may be left."""
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_SECONDS)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                self.log_file.close()
                return
            time.sleep(0.2)
        os.killpg(group, signal.SIGKILL)
        self.log_file.close()
        raise SmokeFailure(f"processes were still running {STOP_SECONDS} s after Ctrl-C (killed)")


def check_pages(base: str) -> int:
    """Fetch the pages and every asset they link; returns the number of assets checked."""
    assets: set[str] = set()
    for path in PAGES:
        status, body, kind = get(base + path)
        if status != 200 or "text/html" not in kind:
            raise SmokeFailure(f"GET {path}: {status} {kind}")
        html = body.decode("utf-8")
        if path == "/" and 'lang="zh-hans"' not in html:
            raise SmokeFailure('the home page is not marked lang="zh-hans"')
        assets.update(ASSET.findall(html))
    if not assets:
        raise SmokeFailure("the pages link no /static/ assets")
    for asset in sorted(assets):
        if not HASHED.search(asset):
            raise SmokeFailure(f"{asset} is not a hashed name (collectstatic's manifest not in use?)")
        status, body, _ = get(base + asset)
        if status != 200 or not body:
            raise SmokeFailure(f"GET {asset}: {status}, {len(body)} bytes")
    return len(assets)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--timeout", type=float, default=300, help="seconds `make run` may take to answer")
    args = parser.parse_args()
    port = args.port or free_port()
    fresh = not (ROOT / ".venv").exists()
    log_path = Path(tempfile.mkstemp(prefix="smoke-run-", suffix=".log")[1])
    log(
        f"make run PORT={port} ({'fresh clone: no .venv yet' if fresh else '.venv exists: not from scratch'});"
        f" log: {log_path}"
    )
    platform: Platform | None = None
    try:
        platform = Platform("run", port, log_path)
        first = platform.wait_healthy(args.timeout)
        log(f"make run: /healthz answered after {first:.1f} s")
        checked = check_pages(platform.base)
        log(f"pages {', '.join(PAGES)} and {checked} static assets: 200")
        platform.stop()
        log("stopped with Ctrl-C (SIGINT): no process left")
        platform = Platform("start", port, log_path)
        again = platform.wait_healthy(60)
        log(f"make start (restart of the set-up platform): /healthz answered after {again:.1f} s")
        check_pages(platform.base)
        platform.stop()
        platform = None
    except (SmokeFailure, OSError, ValueError) as error:
        log(f"FAILED: {error}")
        if platform is not None and platform.process.poll() is None:
            try:
                platform.stop()
            except SmokeFailure as stop_error:
                log(str(stop_error))
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(f"    {line}" for line in tail), file=sys.stderr)
        return 1
    log("smoke run passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
