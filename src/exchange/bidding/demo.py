"""Demo data of the bidding app, loaded by `seed_demo` after accounts (idempotent)."""

from __future__ import annotations


def seed() -> dict[str, int]:
    """Create the demo objects that are missing; return counts of what was created."""
    return {}
