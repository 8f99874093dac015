"""The demo data covers every category and every state of the listings app."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from exchange.listings.categories import Category
from exchange.listings.models import Project, Status
from exchange.listings.services import TRADE_MOVES

pytestmark = pytest.mark.django_db


def test_demo_has_every_category_and_state_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    assert set(Project.objects.values_list("category", flat=True)) == set(Category.values)
    # the trading outcomes (竞价中, 已成交, 流拍, 交易完成) are seeded by the trading apps' demo
    assert set(Project.objects.values_list("status", flat=True)) >= set(Status.values) - TRADE_MOVES
    count = Project.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Project.objects.count() == count
