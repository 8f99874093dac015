"""Service-fee engine (服务费/佣金): tiered excess-over-band rates (差额定率累进).

`tiered_fee` is pure (no ORM): the amount is cut into bands, each part pays its band's
rate, and the working is returned band by band. The same result follows from the quick
deduction formula fee = A × r_k + K_k, where k is the band A falls in and
K_k = Σ_{j<k} (u_j − l_j)·r_j − l_k·r_k; `quick_deduction` computes K_k and the tests
prove both ways agree. `fee_compute` picks the schedule version in force and applies the
minimum, maximum, fixed fees and a discount (which may only reduce the exchange's own
tiered fee line, never deposits or the price).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from exchange.core import clock
from exchange.core.errors import InvalidInput, NotFound
from exchange.core.money import quantize_money
from exchange.settlement.models import FeeSchedule

ZERO = Decimal("0")


@dataclass(frozen=True)
class Band:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class BandWorking:
    """One line of the working: the part of the amount inside a band and what it pays."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    fee: Decimal


@dataclass
class FeeResult:
    """A computed fee with its working. `total` is what is charged (after the discount)."""

    amount: Decimal
    tiered: Decimal  # Σ band fees, exact then rounded to fen
    bands: list[BandWorking]
    rate: Decimal = ZERO  # r_k of the band the amount falls in
    quick_deduction: Decimal = ZERO  # K_k
    minimum: Decimal = ZERO
    maximum: Decimal | None = None
    minimum_applied: bool = False
    maximum_applied: bool = False
    service_fee: Decimal = ZERO  # the exchange's own fee line (tiered, after min/max)
    fixed: list[tuple[str, Decimal]] = field(default_factory=list)
    discount: Decimal = ZERO
    total: Decimal = ZERO
    schedule_id: int | None = None
    schedule_name: str = ""


def _check_bands(bands: Sequence[Band]) -> list[Band]:
    ordered = sorted(bands, key=lambda b: b.lower)
    if not ordered or ordered[0].lower != 0:
        raise ValueError("the first band must start at 0")
    for before, after in itertools.pairwise(ordered):
        if before.upper != after.lower:
            raise ValueError("bands must be contiguous")
    if ordered[-1].upper is not None:
        raise ValueError("the last band must be open-ended")
    return ordered


def band_working(amount: Decimal, bands: Sequence[Band]) -> list[BandWorking]:
    """Cut `amount` into the bands; each part pays its band's rate (exact, unrounded)."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    working = []
    for band in _check_bands(bands):
        if amount <= band.lower:
            break
        top = amount if band.upper is None else min(amount, band.upper)
        base = top - band.lower
        working.append(BandWorking(band.lower, band.upper, band.rate, base, base * band.rate))
    return working


def quick_deduction(amount: Decimal, bands: Sequence[Band]) -> tuple[Decimal, Decimal]:
    """(r_k, K_k) of the band `amount` falls in, so that fee = amount × r_k + K_k."""
    ordered = _check_bands(bands)
    k = 0
    for i, band in enumerate(ordered):
        if amount > band.lower or i == 0:
            k = i
    below = sum(((b.upper or ZERO) - b.lower) * b.rate for b in ordered[:k])
    return ordered[k].rate, below - ordered[k].lower * ordered[k].rate


def tiered_fee(
    amount: Decimal, bands: Sequence[Band], *, minimum: Decimal = ZERO, maximum: Decimal | None = None
) -> FeeResult:
    """The tiered fee of `amount` with its band-by-band working, then minimum/maximum."""
    working = band_working(amount, bands)
    exact = sum((w.fee for w in working), ZERO)
    rate, k = quick_deduction(amount, bands)
    tiered = quantize_money(exact)
    fee = tiered
    result = FeeResult(amount=amount, tiered=tiered, bands=working, rate=rate, quick_deduction=k)
    result.minimum, result.maximum = minimum, maximum
    if fee < minimum:
        fee, result.minimum_applied = quantize_money(minimum), True
    if maximum is not None and fee > maximum:
        fee, result.maximum_applied = quantize_money(maximum), True
    result.service_fee = fee
    result.total = fee
    return result


def schedule_in_force(*, category: str, method: str, side: str, on: dt.date) -> FeeSchedule:
    """The newest schedule version effective on `on`; a category-specific one beats the general one."""
    candidates = FeeSchedule.objects.filter(
        Q(category=category) | Q(category=""), method=method, side=side, effective_from__lte=on
    ).order_by("-effective_from")
    specific = [s for s in candidates if s.category == category and category]
    chosen = specific[0] if specific else next((s for s in candidates if s.category == ""), None)
    if chosen is None:
        raise NotFound(_("没有适用的收费标准。"), category=category, method=method, side=side)
    return chosen


def fee_compute(
    *,
    amount: Decimal,
    method: str,
    side: str,
    category: str = "",
    on: dt.date | None = None,
    discount: Decimal = ZERO,
) -> FeeResult:
    """The service fee one side pays on a deal of `amount` (yuan), with its working.

    Uses the schedule version in force on `on` (default today). The discount (member
    level, coupon) may reduce only the exchange's own tiered fee line and never below
    zero; fixed fees are added after it. Raises NotFound when no schedule applies and
    InvalidInput for a negative amount or discount.
    """
    if amount < 0 or discount < 0:
        raise InvalidInput(_("金额不能为负数。"))
    schedule = schedule_in_force(category=category, method=method, side=side, on=on or clock.today())
    bands = [Band(b.lower, b.upper, b.rate) for b in schedule.bands.all()]
    result = tiered_fee(quantize_money(amount), bands, minimum=schedule.minimum, maximum=schedule.maximum)
    result.schedule_id, result.schedule_name = schedule.pk, schedule.name
    result.discount = min(quantize_money(discount), result.service_fee)
    result.fixed = [(f.name, f.amount) for f in schedule.fixed_items.all()]
    result.total = result.service_fee - result.discount + sum((a for _n, a in result.fixed), ZERO)
    return result
