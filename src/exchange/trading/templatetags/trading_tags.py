"""The buyer's box on a project page ({% apply_box project %}) and in the member center."""

from __future__ import annotations

from typing import Any

from django import template

from exchange.listings.services import is_seller_side
from exchange.settlement import conf
from exchange.trading import selectors
from exchange.trading.models import ACTIVE_STATUSES
from exchange.trading.services import OPEN_FOR_APPLICATIONS, applicant_refusal

register = template.Library()


@register.inclusion_tag("trading/_apply_box_inner.html", takes_context=True)
def apply_box(context: Any, project: Any) -> dict[str, Any]:
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


@register.inclusion_tag("trading/_center_box_inner.html", takes_context=True)
def my_applications_box(context: Any) -> dict[str, Any]:
    user = context.get("user")
    apps = list(selectors.my_applications(user)[:5]) if user is not None and user.is_authenticated else []
    return {"applications": apps, "user": user}


@register.simple_tag
def deposit_terms() -> dict[str, Any]:
    """When and how a qualified buyer pays the deposit, and when it comes back, from the
    settlement rules (`{% deposit_terms as terms %}` on the project page): N working days
    after qualification before the cut-off, to a virtual sub-account of its own."""

    return {
        "due_workdays": conf.deposit_due_workdays(),
        "cutoff": conf.deposit_cutoff(),
        "refund_workdays": conf.refund_workdays(),
    }
