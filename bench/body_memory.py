"""Memory of a web worker under large and slow request bodies (security review, item 6).

    .venv/bin/python bench/body_memory.py                 # 8 connections, 60 MB each
    .venv/bin/python bench/body_memory.py --connections 16 --megabytes 60 --seconds 8

Starts the `web:` line of the Procfile (uvicorn, one worker, the site's protocol) on a free
loopback port with a fresh SQLite database, then for each scenario opens `--connections`
connections at once that each announce and send `--megabytes` of body, paced to take about
`--seconds`, and samples the worker's RSS (/proc, every 0.1 s). Prints, per scenario: the
RSS before, the peak, the answers. Scenarios:
- `healthz`: POST /healthz (not an upload route), no credentials — the review's attack;
- `upload-anonymous`: POST /api/v1/me/verification without credentials;
- `upload-token`: the same with a valid bearer token, a real multipart body of two 4.5 MB
  PNG images each (the route's limit is 11 MB): accepted, spooled to disk.

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send_body(port: int, head: bytes, body_size: int, seconds: float, payload: bytes | None, out: list[str]) -> None:
    """One connection: the head, then the body in 64 KiB pieces paced over `seconds`."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=seconds + 30)
        sock.sendall(head)
        piece = 64 * 1024
        pieces = max(1, body_size // piece)
        started = time.monotonic()
        sent = 0
        data = payload if payload is not None else b"a" * body_size
        sock.setblocking(True)
        for i in range(pieces + 1):
            chunk = data[sent : sent + piece]
            if not chunk:
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break  # the server closed: refused
            sent += len(chunk)
            delay = started + seconds * (i + 1) / pieces - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        sock.settimeout(30)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        except OSError:
            pass
        sock.close()
        status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "reset"
        out.append(f"{status} after {sent / MB:.1f} MB")
    except OSError as exc:
        out.append(f"error {exc}")


def multipart(token_fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "----bench" + os.urandom(8).hex()
    parts = []
    for k, v in token_fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, v in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{k}.png"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + v
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def noise_png(megabytes: float) -> bytes:
    from PIL import Image

    side = int((megabytes * MB / 3) ** 0.5)
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--megabytes", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="body-memory-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "FAST_PASSWORD_HASHER": "1",
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
    }
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    token = subprocess.run(
        [py, "manage.py", "shell", "-c",
         "from tests.factories import UserFactory; from exchange.accounts import services; "
         "print(services.api_token_issue(user=UserFactory()))"],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/uvicorn"), "exchange.asgi:application", "--app-dir", "src", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--loop", "uvloop", "--http", "exchange.server.http_protocol:HttpProtocol",
         "--no-access-log"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        # warm up: a few ordinary requests, so the baseline includes a served request
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
            s.close()
        size = args.megabytes * MB
        images = noise_png(4.5), noise_png(4.5)
        upload, upload_type = multipart(
            {"name": "陈明", "id_number": "11010519491231002X"},
            {"document_front": images[0], "document_back": images[1]},
        )
        scenarios = [
            ("healthz", f"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n\r\n".encode(), size, None),
            ("upload-anonymous", f"POST /api/v1/me/verification HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
             "Content-Type: multipart/form-data; boundary=x\r\n\r\n".encode(), size, None),
            ("upload-token", f"POST /api/v1/me/verification HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(upload)}\r\n"
             f"Authorization: Bearer {token}\r\nContent-Type: {upload_type}\r\n\r\n".encode(), len(upload), upload),
        ]  # fmt: skip
        for name, head, body_size, payload in scenarios:
            time.sleep(1)
            before = rss_kb(server.pid)
            peak = before
            answers: list[str] = []
            threads = [
                threading.Thread(target=send_body, args=(port, head, body_size, args.seconds, payload, answers))
                for _ in range(args.connections)
            ]
            for t in threads:
                t.start()
            stop = time.monotonic() + args.seconds + 60
            while any(t.is_alive() for t in threads) and time.monotonic() < stop:
                peak = max(peak, rss_kb(server.pid))
                time.sleep(0.1)
            for t in threads:
                t.join(timeout=5)
            summary = ", ".join(sorted(set(answers)))
            print(
                f"{name:17} {args.connections} × {body_size / MB:.1f} MB over {args.seconds:.0f} s: "
                f"RSS {before / 1024:.0f} → peak {peak / 1024:.0f} MB (+{(peak - before) / 1024:.0f}); answers: {summary}",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
