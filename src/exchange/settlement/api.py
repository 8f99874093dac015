"""JSON API of the settlement app, mounted by exchange.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["settlement"])
