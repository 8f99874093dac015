"""Manual postings by finance (corrections, bank charges)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from exchange.core.errors import DomainError
from exchange.core.money import parse_money
from exchange.core.permissions import staff_required
from exchange.core.widgets import MoneyInput
from exchange.settlement import services
from exchange.settlement.models import (
    Account,
)


class ManualPostingForm(forms.Form):
    debit = forms.ModelChoiceField(label=gettext_lazy("借方账户"), queryset=Account.objects.filter(owner=None))
    credit = forms.ModelChoiceField(label=gettext_lazy("贷方账户"), queryset=Account.objects.filter(owner=None))
    amount = forms.CharField(label=gettext_lazy("金额（元）"), widget=MoneyInput)
    memo = forms.CharField(label=gettext_lazy("摘要"), max_length=300)
    key = forms.CharField(widget=forms.HiddenInput)


@require_http_methods(["GET", "POST"])
@staff_required("settlement.post_manual_posting")
def manual_posting(request: HttpRequest) -> HttpResponse:
    form = ManualPostingForm(request.POST or None, initial={"key": secrets.token_hex(8)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = parse_money(data["amount"])
            posting = services.manual_posting_create(
                actor=request.user,
                key=data["key"],
                memo=data["memo"],
                lines=[(data["debit"].pk, amount), (data["credit"].pk, -amount)],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已记账：凭证 #%(id)s") % {"id": posting.pk})
            return redirect("settlement:trial_balance")
    return render(request, "settlement/manual_posting.html", {"form": form})
