"""Hypothesis: the fees a deal shows are the fee engine's, and deadlines count working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.core import workdays
from exchange.core.errors import NotFound
from exchange.deals import services
from exchange.settlement.fees import fee_compute

pytestmark = pytest.mark.django_db

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000000000"), places=2)
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    price=prices, method=st.sampled_from(["bidding", "agreement"]), category=st.sampled_from(["equity", "forest", ""])
)
def test_fees_shown_equal_the_fee_engine(price, method, category):
    on = dt.date(2026, 6, 1)
    shown = services.deal_fees(price=price, method=method, category=category, on=on)
    for side in ("buyer", "seller"):
        total, working = shown[side]
        try:
            engine = fee_compute(amount=price, method=method, side=side, category=category, on=on)
        except NotFound:  # no schedule for this method/side: nothing is charged, no working
            assert total == 0 and not working.get("bands")
            continue
        assert total == engine.total
        assert Decimal(working["total"]) == engine.total
        assert Decimal(working["tiered"]) == engine.tiered
        # the band-by-band lines add up to the tiered fee (each line rounded to the fen)
        lines = [Decimal(b["fee"]) for b in working["bands"]]
        assert abs(sum(lines, Decimal(0)) - engine.tiered) <= Decimal("0.01") * len(lines)
        # and the quick-deduction formula gives the same amount
        quick = price * Decimal(working["rate"]) + Decimal(working["quick_deduction"])
        assert abs(quick - engine.tiered) <= Decimal("0.01")
        bases = sum((Decimal(b["base"]) for b in working["bands"]), Decimal(0))
        assert bases == price


@settings(max_examples=80, deadline=None)
@given(day=days)
def test_sign_deadline_is_n_working_days_later(day):
    result = services.sign_deadline_for(day)
    assert workdays.is_workday(result.date)
    assert workdays.workdays_between(day, result.date) == 5
    assert result.date > day
    assert (result.date - day).days <= 5 + 11  # the longest holiday run (国庆 + 中秋) fits
