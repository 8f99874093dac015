"""JSON API of the listings app, mounted by exchange.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["listings"])
