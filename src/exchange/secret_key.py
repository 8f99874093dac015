"""The signing key (SECRET_KEY): from the environment, or generated once per installation.

No key ships with the code. When `SECRET_KEY` is not set, the first process that starts
generates 64 random bytes (URL-safe text) into `SECRET_KEY_FILE` (default `var/secret_key`,
git-ignored, mode 0600) and every later process reads it; concurrent first starts (web
workers, worker and clock start together) agree on one key because the file appears
atomically (a hard link of a finished temporary file, which fails if another got there first).

A key that is known or weak — the placeholder older versions shipped, Django's
`django-insecure-` keys, fewer than 50 characters — is refused unless DEBUG is on.
Standard library only: imported by settings.py before Django is configured.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Keys that were public at some point (shipped as defaults): never valid outside DEBUG.
PUBLIC_KEYS = frozenset({"dev-only-insecure-key-change-me-in-production-0123456789"})
MIN_LENGTH = 50


class InsecureSecretKey(Exception):
    pass


def installation_key(path: Path) -> str:
    """The key in `path`, generated there first if the file does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(64) + "\n")
    try:
        os.link(temporary, path)  # atomic; FileExistsError when another process was first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise InsecureSecretKey(f"{path} is empty: delete it to have a new key generated, or set SECRET_KEY")
    return key


def check(key: str, *, debug: bool) -> str:
    """The key itself, or InsecureSecretKey when it is public or weak and DEBUG is off."""
    weak = key in PUBLIC_KEYS or key.startswith("django-insecure-") or len(key) < MIN_LENGTH
    if weak and not debug:
        raise InsecureSecretKey(
            "SECRET_KEY 不安全（公开的默认值或少于 50 个字符）。删除该设置即可为本机自动生成密钥，或设置一个随机值："
            'python3 -c "import secrets; print(secrets.token_urlsafe(64))"\n'
            "SECRET_KEY is public or weak (a shipped default, or under 50 characters): unset it to have one "
            "generated for this installation, or set a random one."
        )
    return key
