"""Handlers of settlement's signals."""

from __future__ import annotations

from typing import Any

from exchange.deals import conf
from exchange.deals.services.certificates import certificate_issue
from exchange.deals.services.closing import deal_funds_released
from exchange.deals.services.common import logger
from exchange.deals.services.payment import deal_paid

# --------------------------------------------------------------------------- signal handlers


def on_price_paid(sender: Any, *, project_id: int, plan_id: int, **kwargs: Any) -> None:
    """settlement.price_paid → PAID, 成交公告; then the certificate (if auto-issue).
    Runs after settlement's commit: a failure is logged and retried by the hourly job
    (`certificates_due_run`), never undoes the payment."""
    try:
        deal = deal_paid(project_id=project_id, plan_id=plan_id)
        if deal is not None and conf.certificate_auto_issue():
            certificate_issue(deal_id=deal.pk)
    except Exception:
        logger.exception("deals: price_paid handling failed for project %s", project_id)


def on_seller_released(sender: Any, *, project_id: int, plan_id: int, **kwargs: Any) -> None:
    try:
        deal_funds_released(project_id=project_id, plan_id=plan_id)
    except Exception:
        logger.exception("deals: seller_released handling failed for project %s", project_id)
