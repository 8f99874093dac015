"""Demo data of the deals app, loaded by `seed_demo` after listings, settlement and bidding (idempotent)."""

from __future__ import annotations


def seed() -> dict[str, int]:
    return {}
