"""JSON API of the bidding app, mounted by exchange.api."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["bidding"])
