"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there)."""

GRANTS: dict[str, tuple[str, ...]] = {}
