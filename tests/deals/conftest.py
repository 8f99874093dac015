"""Deals tests rely on settlement's reference data (fee schedules, bank profiles)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def _reference_data(request):
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("django_db_blocker")
    for name in ("0002_ledger_guards_and_reference_data", "0004_agreement_fee_schedules"):
        importlib.import_module(f"exchange.settlement.migrations.{name}").seed(apps, None)
