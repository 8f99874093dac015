"""The reported holes, written against code that existed before the brokers app: these
import nothing of `exchange.brokers` at module level, so they ran (and failed) on the old code."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from exchange.accounts import services as accounts
from exchange.core.errors import DomainError
from exchange.listings import services as listings
from exchange.listings.models import Project
from tests.factories import UserFactory, registration
from tests.listings import factories as lf

pytestmark = pytest.mark.django_db


def test_partner_cannot_be_ticked_at_registration():
    # given a registration that ticks 合作商户
    # when it registers, then it is refused (broker status is granted by staff) and nothing is written
    before = (Group.objects.get(name="合作商户").user_set.count(), UserFactory._meta.model.objects.count())
    with pytest.raises(DomainError) as err:
        accounts.member_register(**registration(role_keys=["bidder", "partner"]))
    assert err.value.code == "invalid"
    assert (Group.objects.get(name="合作商户").user_set.count(), UserFactory._meta.model.objects.count()) == before


def test_the_registration_form_offers_no_partner_role():
    from exchange.accounts.forms import RegisterForm

    assert [k for k, _label in RegisterForm().fields["roles"].choices] == ["seller", "bidder"]


def test_a_partner_cannot_file_a_listing_for_any_seller():
    """A self-declared partner filed a listing naming any member as seller."""
    # given a member holding the 合作商户 role (as registration used to give) and any seller
    partner = UserFactory(role="partner")
    victim = lf.verified_seller()
    # when it files a listing naming that seller, then it is refused and nothing is written
    with pytest.raises(DomainError) as err:
        listings.project_create(actor=partner, seller=victim, **lf.project_data())
    assert err.value.code == "permission_denied"
    assert not Project.objects.filter(seller=victim).exists()


def test_a_partner_as_a_projects_broker_cannot_edit_or_submit_it_without_a_mandate():
    # given a seller's draft on which a partner is recorded as broker (no mandate)
    partner = UserFactory(role="partner")
    project = lf.draft()
    Project.objects.filter(pk=project.pk).update(broker=partner)
    # when the partner edits or submits it, then it is refused and nothing changes
    for call in (
        lambda: listings.project_update(project_id=project.pk, actor=partner, title="冒名修改"),
        lambda: listings.project_submit(project_id=project.pk, actor=partner),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "permission_denied"
    project.refresh_from_db()
    assert (project.title, project.status) == ("示范林场林地经营权转让", "draft")
