"""`{% deposit_terms %}` for the project page (the buyer's boxes are panels: trading/panels.py)."""

from __future__ import annotations

from typing import Any

from django import template

from exchange.settlement import conf

register = template.Library()


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
