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


@pytest.fixture(autouse=True)
def _deals_grants(request):
    """Until exchange.accounts.roles.GRANT_APPS lists "deals" (integrator), merge the deals
    grants into the role groups for these tests."""
    from exchange.accounts import roles

    needs_db = "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db")
    if "deals" in roles.GRANT_APPS or not needs_db:
        yield
        return
    request.getfixturevalue("django_db_blocker")
    original = roles.GRANT_APPS
    roles.GRANT_APPS = (*original, "deals")
    roles.sync_roles()
    yield
    roles.GRANT_APPS = original
