"""The bidding tests keep sealed quotes (bidding/sealed.py) in a folder of the test run, not
in the checkout's var/sealed (their server and command processes inherit it)."""

from __future__ import annotations

import os
import tempfile

import pytest

VAULT = os.environ.setdefault("BIDDING_SEALED_DIR", tempfile.mkdtemp(prefix="sealed-vault-"))


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.BIDDING_SEALED_DIR = VAULT
