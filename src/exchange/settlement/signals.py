"""Events other apps react to. Sent after commit, with ids and amounts (never objects).

- deposit_confirmed(project_id, member_id, amount, instruction_id): the buyer becomes a bidder.
- deposit_refunded / deposit_converted (same arguments).
- deposit_forfeited(project_id, member_id, amount, instruction_id, reason, credit_event_id).
- price_paid(project_id, plan_id): price and fees fully in escrow.
- price_overdue(project_id, plan_id, member_id, instalment_seq).
- seller_released(project_id, plan_id, amount).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

deposit_confirmed = Signal()
deposit_refunded = Signal()
deposit_converted = Signal()
deposit_forfeited = Signal()
price_paid = Signal()
price_overdue = Signal()
seller_released = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender="settlement", **kwargs))
