"""The buyer's boxes trading adds to other apps' pages (declared on TradingConfig.panels):
the apply box on a project page and "my applications" in the member center."""

from __future__ import annotations

from typing import Any

from exchange.listings.services import is_seller_side
from exchange.trading import selectors
from exchange.trading.models import ACTIVE_STATUSES
from exchange.trading.services import OPEN_FOR_APPLICATIONS, applicant_refusal


def apply_box(context: Any) -> dict[str, Any]:
    """Slot listings.project_side: 我要受让/报名, the member's status; seller and staff counts."""
    project = context["project"]
    user = context.get("user")
    app = None
    if user is not None and user.is_authenticated and not user.is_staff:
        app = selectors.application_for(project.pk, user.pk)
    is_seller = bool(user is not None and is_seller_side(project, user))
    return {
        "project": project,
        "user": user,
        "app": app,
        "active": app is not None and app.status in ACTIVE_STATUSES,
        "open": project.status in OPEN_FOR_APPLICATIONS,
        # blacklisted, barred after a default, not verified…: said before the form, not after it
        "refusal": applicant_refusal(project, user) if user is not None and not is_seller else "",
        "is_seller": is_seller,
        # staff see the round's counts; the seller only how many applications await its opinion
        "counts": selectors.project_counts(project.pk) if user is not None and user.is_staff else None,
        "awaiting": selectors.awaiting_seller_opinion(project).count() if is_seller else 0,
        "request": context.get("request"),
        "perms": context.get("perms"),
    }


def my_applications(context: Any) -> dict[str, Any]:
    """Slot accounts.center_main: the member's latest applications."""
    user = context.get("user")
    apps = list(selectors.my_applications(user)[:5]) if user is not None and user.is_authenticated else []
    return {"applications": apps, "user": user}
