"""Shared fixtures. Test runs use a fast password hasher (argon2 is slow by design)."""

from __future__ import annotations

import os

os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
