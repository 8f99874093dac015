"""The settlement sheet of a project (PDF) and the member's own statement (page and PDF)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from exchange.core import clock
from exchange.core.permissions import staff_required
from exchange.settlement import conf, selectors
from exchange.settlement.models import (
    Account,
)
from exchange.settlement.views.common import pdf_response


@staff_required("settlement.view_posting")
def project_sheet(request: HttpRequest, project_id: int) -> HttpResponse:
    data = selectors.project_settlement(project_id)
    if not data["deposits"] and not data["plan"] and not data["entries"]:
        raise Http404
    context = {**data, "now": clock.now(), "bank": conf.settlement_bank()}
    return pdf_response("settlement/pdf/project_sheet.html", context, f"settlement-{data['code']}")


def _member_context(request: HttpRequest) -> dict[str, Any]:
    entries = list(selectors.member_entries(request.user))
    return {
        "member": request.user,
        "deposits": selectors.member_deposits(request.user),
        "entries": entries,
        "accounts": Account.objects.filter(owner_id=request.user.pk).order_by("pk"),
        "now": clock.now(),
        "bank": conf.settlement_bank(),
    }


@login_required
def member_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "settlement/member_statement.html", _member_context(request))


@login_required
def member_statement_pdf(request: HttpRequest) -> HttpResponse:
    return pdf_response("settlement/pdf/member_statement.html", _member_context(request), "statement")
