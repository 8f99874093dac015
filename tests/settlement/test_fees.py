"""Service-fee engine: the published schedules' worked examples (长沙 2022, the judicial cap),
and quick deduction ≡ band-by-band."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core.errors import NotFound
from exchange.settlement import fees
from exchange.settlement.models import FeeBand, FeeFixedItem, FeeSchedule

WAN = D(10000)
CHANGSHA = [
    fees.Band(D(0), 3000 * WAN, D("0.0024")),
    fees.Band(3000 * WAN, 6000 * WAN, D("0.0020")),
    fees.Band(6000 * WAN, 10000 * WAN, D("0.0015")),
    fees.Band(10000 * WAN, 50000 * WAN, D("0.0007")),
    fees.Band(50000 * WAN, None, D("0.0003")),
]


def test_changsha_seller_side_80_million_pays_162000_with_its_working():
    result = fees.tiered_fee(8000 * WAN, CHANGSHA, minimum=D("3600"))
    assert result.total == D("162000.00")
    assert [w.fee for w in result.bands] == [D("72000"), D("60000"), D("30000")]  # 7.2 + 6 + 3 (万)
    assert result.rate == D("0.0015") and result.quick_deduction == D("42000")  # K = 4.2万
    assert 8000 * WAN * result.rate + result.quick_deduction == result.total


def test_minimum_fee_applies_to_small_deals():
    result = fees.tiered_fee(D("1000000"), CHANGSHA, minimum=D("3600"))  # 0.24% of 100万 = 2,400
    assert result.tiered == D("2400.00") and result.total == D("3600.00") and result.minimum_applied


JUDICIAL = [
    fees.Band(D(0), D(2_000_000), D("0.05")),
    fees.Band(D(2_000_000), D(10_000_000), D("0.03")),
    fees.Band(D(10_000_000), D(50_000_000), D("0.02")),
    fees.Band(D(50_000_000), D(100_000_000), D("0.01")),
    fees.Band(D(100_000_000), None, D("0.005")),
]


def test_judicial_commission_cap_on_80_million_is_1_44_million():
    assert fees.tiered_fee(D(80_000_000), JUDICIAL).total == D("1440000.00")


money = st.decimals(min_value=D("0"), max_value=D("9999999999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(amount=money)
def test_quick_deduction_formula_equals_band_by_band_sum(amount):
    for bands in (CHANGSHA, JUDICIAL):
        result = fees.tiered_fee(amount, bands)
        assert amount * result.rate + result.quick_deduction == sum(w.fee for w in result.bands)


@settings(max_examples=300, deadline=None)
@given(a=money, b=money)
def test_fee_is_monotone_in_the_amount(a, b):
    low, high = sorted((a, b))
    for bands in (CHANGSHA, JUDICIAL):
        assert (
            fees.tiered_fee(low, bands, minimum=D("3600")).total
            <= fees.tiered_fee(high, bands, minimum=D("3600")).total
        )


@pytest.mark.django_db
def test_fee_compute_uses_the_seeded_schedules_and_the_version_in_force():
    # the migration seeds the 长沙 2022 schedule for both sides and the judicial cap
    seller = fees.fee_compute(amount=8000 * WAN, method="bidding", side="seller", on=dt.date(2026, 1, 5))
    assert seller.total == D("162000.00") and len(seller.bands) == 3
    judicial = fees.fee_compute(amount=D(80_000_000), method="bidding", side="buyer", category="judicial")
    assert judicial.total == D("1440000.00")
    # a newer version takes over from its effective date only
    newer = FeeSchedule.objects.create(
        name="2027", method="bidding", side="seller", effective_from=dt.date(2027, 1, 1), minimum=D("5000")
    )
    FeeBand.objects.create(schedule=newer, lower=0, upper=None, rate=D("0.001"))
    FeeFixedItem.objects.create(schedule=newer, name="系统使用费", amount=D("500.00"))
    assert fees.fee_compute(amount=8000 * WAN, method="bidding", side="seller", on=dt.date(2026, 12, 31)).total == D(
        "162000.00"
    )
    later = fees.fee_compute(amount=8000 * WAN, method="bidding", side="seller", on=dt.date(2027, 1, 1))
    assert later.total == D("80500.00") and later.fixed == [("系统使用费", D("500.00"))]


@pytest.mark.django_db
def test_discount_reduces_only_the_exchanges_own_fee_line():
    result = fees.fee_compute(amount=D(1_000_000), method="bidding", side="seller", discount=D("5000"))
    assert result.service_fee == D("3600.00")  # the minimum
    assert result.discount == D("3600.00") and result.total == D("0.00")  # never below zero


@pytest.mark.django_db
def test_no_schedule_is_a_clear_error():
    with pytest.raises(NotFound):  # nothing seeded before 2022
        fees.fee_compute(amount=D(100), method="agreement", side="buyer", on=dt.date(2021, 12, 31))


@pytest.mark.django_db
@pytest.mark.parametrize("side", ["buyer", "seller"])
def test_agreement_deals_have_a_seeded_schedule_on_both_sides_worked_band_by_band(side):
    # 4,500万: 3,000万 × 0.24% + 1,500万 × 0.20% = 72,000 + 30,000
    result = fees.fee_compute(amount=4500 * WAN, method="agreement", side=side, on=dt.date(2026, 3, 2))
    assert [(w.base, w.rate) for w in result.bands] == [(3000 * WAN, D("0.0024")), (1500 * WAN, D("0.0020"))]
    assert result.total == D("102000.00") == sum(w.fee for w in result.bands)
    assert result.total == 4500 * WAN * result.rate + result.quick_deduction
    assert "协议转让" in result.schedule_name
    small = fees.fee_compute(amount=D(1_000_000), method="agreement", side=side)
    assert small.minimum_applied and small.total == D("3600.00")
