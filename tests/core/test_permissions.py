from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from exchange.core.errors import InvalidInput
from exchange.core.money import exact_money
from exchange.core.permissions import SYSTEM, require, require_staff, require_system, require_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user(phone="13700000001", email="p@example.com", password="x", name="员工")
    user.user_permissions.add(Permission.objects.get(codename="view_region"))
    return django_user_model.objects.get(pk=user.pk)


def test_an_active_user_with_the_permission_passes(staff):
    require(staff, "core.view_region")
    require_staff(staff, "core.view_region")
    require_user(staff)


def test_an_inactive_user_is_refused_whatever_it_holds(staff):
    staff.is_active = False
    with pytest.raises(PermissionDenied):
        require(staff, "core.view_region")
    with pytest.raises(PermissionDenied):
        require_user(staff)


def test_anonymous_and_missing_permission_are_refused(staff):
    with pytest.raises(PermissionDenied):
        require(AnonymousUser(), "core.view_region")
    with pytest.raises(PermissionDenied):
        require(staff, "core.change_region")


def test_the_system_actor_passes_only_where_allowed(staff):
    require(SYSTEM, "core.change_region")
    require_system(SYSTEM)
    with pytest.raises(PermissionDenied):
        require_staff(SYSTEM, "core.view_region")
    with pytest.raises(PermissionDenied):
        require_system(staff)
    with pytest.raises(PermissionDenied):
        require_user(SYSTEM)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15), max_value=10**15))
def test_exact_money_keeps_every_fen_amount(value):
    assert exact_money(value) == value
    if value > 0:
        assert exact_money(value, positive=True) == value


@pytest.mark.parametrize(
    "bad",
    [1.5, True, Decimal("NaN"), Decimal("Infinity"), Decimal("1.001"), "12", Decimal("1" * 17)],
)
def test_exact_money_refuses_what_is_not_an_exact_amount(bad):
    with pytest.raises(InvalidInput):
        exact_money(bad)


@pytest.mark.parametrize("value", [Decimal(0), Decimal("-1")])
def test_exact_money_positive_refuses_zero_and_negatives(value):
    with pytest.raises(InvalidInput):
        exact_money(value, positive=True)
    if value < 0:
        with pytest.raises(InvalidInput):
            exact_money(value, allow_negative=False)
