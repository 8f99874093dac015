"""Amount inputs carry the mark that js/format.js gives a live ¥ / 万 / 大写 line (issue 15, item 11)."""

from __future__ import annotations

import pytest

from exchange.core.widgets import MoneyInput, MoneyNumberInput


def test_money_widgets_render_the_preview_mark():
    text = MoneyInput().render("amount", "2350000")
    assert 'data-money-preview=""' in text and 'inputmode="decimal"' in text and 'type="text"' in text
    number = MoneyNumberInput(attrs={"min": "0"}).render("floor_price", "2350000.00")
    assert 'data-money-preview=""' in number and 'type="number"' in number and 'step="0.01"' in number


@pytest.mark.django_db
def test_the_amount_fields_of_the_forms_use_them():
    from exchange.listings.forms import ProjectForm
    from exchange.settlement.views import ManualPostingForm
    from exchange.trading.views import ApplyForm, TermsForm

    listing = ProjectForm(category="equity")
    for name in ("valuation", "floor_price", "deposit_amount"):
        assert "data-money-preview" in str(listing[name]), name
    assert "data-money-preview" in str(ApplyForm()["bid_floor"])
    assert "data-money-preview" in str(TermsForm()["increment"])
    assert "data-money-preview" in str(ManualPostingForm()["amount"])
