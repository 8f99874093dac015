"""Receivers of the other apps' events (connected in apps.py). Both signals are sent after
the sender's commit; each receiver runs its own transaction and is idempotent, and a
failure is logged (the periodic job catches up with missed auction results)."""

from __future__ import annotations

import logging
from typing import Any

from exchange.trading import services

log = logging.getLogger(__name__)


def on_deposit_confirmed(sender: Any, *, project_id: int, member_id: int, instruction_id: int, **kwargs: Any) -> None:
    try:
        services.deposit_confirmed_apply(project_id=project_id, member_id=member_id, instruction_id=instruction_id)
    except Exception:
        log.exception("trading: deposit %s of project %s could not be applied", instruction_id, project_id)


def on_auction_closed(sender: Any, *, auction_id: int, result: str, winner_user_id: Any, price: Any, **kw: Any) -> None:
    try:
        services.auction_result_apply(auction_id=auction_id, result=result, winner_user_id=winner_user_id, price=price)
    except Exception:
        log.exception("trading: result of auction %s could not be applied (the periodic job retries)", auction_id)
