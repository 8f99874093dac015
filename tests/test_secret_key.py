"""The signing key: generated once per installation, never a public default (exchange/secret_key.py)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exchange import secret_key

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "dev-only-insecure-key-change-me-in-production-0123456789"


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter, as a server process does."""
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")}
    environment.update({"SECRET_KEY_FILE": str(tmp_path / "secret_key"), "PYTHONPATH": str(ROOT / "src"), **env})
    code = (
        "import json; from exchange import settings as s;"
        "print(json.dumps({'key': s.SECRET_KEY, 'hosts': s.ALLOWED_HOSTS}))"
    )
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, cwd=ROOT)


def test_an_installation_without_a_key_gets_its_own(tmp_path):
    # when the settings load with no SECRET_KEY, twice
    first, second = _settings(tmp_path), _settings(tmp_path)
    # then a random key was generated once, kept private, and used by both
    assert first.returncode == 0, first.stderr
    key = json.loads(first.stdout)["key"]
    assert key == json.loads(second.stdout)["key"] == (tmp_path / "secret_key").read_text().strip()
    assert key != PUBLIC and len(key) >= 80
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_the_public_default_is_refused_outside_debug(tmp_path):
    refused = _settings(tmp_path, SECRET_KEY=PUBLIC)
    assert refused.returncode != 0 and "SECRET_KEY 不安全" in refused.stderr
    assert not (tmp_path / "secret_key").exists()
    assert _settings(tmp_path, SECRET_KEY=PUBLIC, DEBUG="true").returncode == 0


def test_testserver_is_not_an_allowed_host_by_default(tmp_path):
    assert json.loads(_settings(tmp_path).stdout)["hosts"] == ["127.0.0.1", "localhost"]


@pytest.mark.parametrize("key", [PUBLIC, "django-insecure-" + "x" * 60, "short-but-random-9f8e7d"])
def test_weak_keys_are_refused_unless_debug(key):
    with pytest.raises(secret_key.InsecureSecretKey):
        secret_key.check(key, debug=False)
    assert secret_key.check(key, debug=True) == key


def _key_in(path: str, queue) -> None:
    queue.put(secret_key.installation_key(Path(path)))


def test_processes_starting_together_agree_on_one_key(tmp_path):
    # given eight processes (web workers, worker, clock) starting at once on a new installation
    path = tmp_path / "var" / "secret_key"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_key_in, args=(str(path), queue)) for _ in range(8)]
    for process in processes:
        process.start()
    keys = {queue.get(timeout=30) for _ in processes}
    for process in processes:
        process.join(timeout=30)
    # then they all use the same key and no temporary file is left behind
    assert keys == {path.read_text().strip()}
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_an_emptied_key_file_is_an_error_not_an_empty_key(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(secret_key.InsecureSecretKey):
        secret_key.installation_key(tmp_path / "secret_key")
