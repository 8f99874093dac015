"""Applying, withdrawing and the bad inputs of §7: each refused with a stable code and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import clock
from exchange.core.errors import DomainError
from exchange.listings import services as listings
from exchange.settlement.models import DepositInstruction
from exchange.trading import commitment, services
from exchange.trading.models import Application, Material, Status
from exchange.trading.services import Partner
from tests.trading import factories as f

pytestmark = pytest.mark.django_db


def _refused(code: str, call, *args, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    before = (Application.objects.count(), Material.objects.count(), DepositInstruction.objects.count())
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    assert err.value.code == code, err.value.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)  # a Chinese message
    assert (Application.objects.count(), Material.objects.count(), DepositInstruction.objects.count()) == before
    return err.value


def test_verified_member_applies_with_materials_and_commitment():
    # given
    project = f.project()
    user = f.buyer(entity=True)
    # when
    app = f.apply(project, user, bid_floor=Decimal("1050000.00"))
    # then
    assert app.status == Status.SUBMITTED and app.round == project.round
    assert sorted(app.materials.values_list("kind", flat=True)) == sorted(
        ["id_proof", "credit_proof", "internal_decision"]
    )
    assert app.review_due_at is not None and app.review_due_at > app.submitted_at
    # the commitment letter accepted online: its text (project and buyer named), version, digest, time
    assert app.commitment_method == "online" and app.commitment_version == "2026-02"
    assert project.title in app.commitment_text and user.real_name in app.commitment_text
    assert app.commitment_sha256 == commitment.digest(app.commitment_text)
    assert app.commitment_accepted_at == app.submitted_at


def test_a_person_is_not_asked_for_internal_decision_documents():
    project = f.project()
    user = f.buyer()
    assert "internal_decision" not in f.materials(project, user)
    assert f.apply(project, user).status == Status.SUBMITTED


def test_applying_twice_is_refused():
    project = f.project()
    user = f.buyer()
    f.apply(project, user)
    _refused("already_applied", f.apply, project, user)


def test_unverified_member_is_refused():
    project = f.project()
    _refused("not_verified", f.apply, project, f.buyer(verified=False))


def test_blacklisted_member_is_refused(monkeypatch):
    project = f.project()
    user = f.buyer()
    monkeypatch.setattr("exchange.members.selectors.is_blacklisted", lambda u, on=None: u.pk == user.pk)
    monkeypatch.setattr("exchange.members.selectors.blacklist_reason", lambda u: "保证金被没收两次")
    err = _refused("blacklisted", f.apply, project, user)
    assert "保证金被没收两次" in err.message


def test_barred_member_is_refused(monkeypatch):
    project = f.project()
    user = f.buyer()
    monkeypatch.setattr("exchange.deals.selectors.barred_member_ids", lambda pid: {user.pk})
    _refused("barred", f.apply, project, user)


def test_seller_cannot_apply_to_own_project():
    project = f.project()
    _refused("own_project", f.apply, project, project.seller)


def test_pre_disclosure_and_suspension_are_outside_the_window():
    # a project in pre-disclosure is not yet open
    pre = f.lf.approved("capital_increase", buyer_conditions=f.CONDITIONS)
    with clock.frozen(f.lf.at(pre.pre_start)):
        listings.listings_tick()
    pre.refresh_from_db()
    assert pre.status == "pre_disclosure"
    err = _refused("registration_closed", f.apply, pre, f.buyer())
    assert "预披露" in err.message
    # a suspended project takes no applications
    project = f.project()
    manager = f.UserFactory(role="manager")
    listings.project_suspend(
        project_id=project.pk,
        actor=manager,
        reason="权属纠纷",
        until=clock.today() + __import__("datetime").timedelta(days=10),
    )
    project.refresh_from_db()
    err = _refused("registration_closed", f.apply, project, f.buyer())
    assert "中止" in err.message


def test_after_the_disclosure_end_is_outside_the_window():
    project = f.ended(f.project())
    _refused("registration_closed", f.apply, project, f.buyer())


def test_missing_material_is_refused():
    project = f.project()
    user = f.buyer()
    files = f.materials(project, user)
    files.pop("credit_proof")
    err = _refused("material_rejected", f.apply, project, user, materials=files)
    assert "资信证明" in err.message and err.data["field"] == "credit_proof"


def test_material_of_the_wrong_type_is_refused_by_content():
    project = f.project()
    user = f.buyer()
    files = f.materials(project, user)
    files["id_proof"] = SimpleUploadedFile("执照.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    err = _refused("material_rejected", f.apply, project, user, materials=files)
    assert "内容" in err.message
    files = f.materials(project, user)
    files["id_proof"] = SimpleUploadedFile("执照.exe", b"%PDF-1.4 x", content_type="application/pdf")
    _refused("material_rejected", f.apply, project, user, materials=files)


def test_commitment_must_be_accepted_online_or_filed_signed():
    project = f.project()
    err = _refused("invalid", f.apply, project, f.buyer(), commitment_accepted=False)
    assert err.data["field"] == "commitment" and "下载模板" in err.message


def test_the_signed_commitment_letter_may_be_filed_instead():
    project = f.project()
    user = f.buyer()
    files = {**f.materials(project, user), "commitment": f.pdf("承诺函（已签字）.pdf")}
    app = f.apply(project, user, materials=files, commitment_accepted=False)
    assert app.commitment_method == "upload" and app.commitment_text == "" and app.commitment_sha256 == ""
    assert app.materials.get(kind="commitment").original_name == "承诺函（已签字）.pdf"


def test_a_changed_commitment_text_must_be_read_again():
    project = f.project()
    user = f.buyer()
    shown = commitment.letter(project, user)
    _refused("commitment_changed", f.apply, project, user, commitment_sha256="0" * 64)
    assert f.apply(project, user, commitment_sha256=shown.sha256).commitment_sha256 == shown.sha256


def test_bid_floor_below_the_transfer_floor_is_refused():
    project = f.project()
    err = _refused("bid_floor_too_low", f.apply, project, f.buyer(), bid_floor=project.floor_price - Decimal("0.01"))
    assert err.data["floor"] == str(project.floor_price)
    _refused("bid_floor_too_low", f.apply, project, f.buyer(), bid_floor=None)
    assert f.apply(project, f.buyer(), bid_floor=project.floor_price).bid_floor == project.floor_price


def test_consortium_only_where_allowed_and_shares_sum_to_100():
    project = f.project()
    partners = [
        Partner("甲公司", "91140100MA0000001X", Decimal("60")),
        Partner("乙公司", "91140100MA0000002X", Decimal("40")),
    ]
    _refused("consortium_invalid", f.apply, project, f.buyer(), consortium=partners)
    services.terms_update(project_id=project.pk, actor=f.reviewer(), allow_consortium=True)
    bad = [partners[0], Partner("乙公司", "91140100MA0000002X", Decimal("39.99"))]
    err = _refused("consortium_invalid", f.apply, project, f.buyer(), consortium=bad)
    assert "100%" in err.message
    app = f.apply(project, f.buyer(), consortium=partners)
    assert app.is_consortium and list(app.consortium.values_list("share", flat=True)) == [Decimal("60"), Decimal("40")]


shares = st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2), min_size=2, max_size=6)


@given(shares)
@settings(max_examples=200, deadline=None)
def test_consortium_shares_accepted_exactly_when_they_sum_to_100(values):
    partners = [Partner(f"成员{i}", f"ID{i}", v) for i, v in enumerate(values)]
    if sum(values) == Decimal(100):
        assert [p.share for p in services.check_consortium(partners)] == values
    else:
        with pytest.raises(services.ConsortiumInvalid):
            services.check_consortium(partners)


def test_withdraw_before_qualification_is_free_and_allows_a_new_application():
    project = f.project()
    user = f.buyer()
    app = f.apply(project, user)
    services.application_withdraw(application_id=app.pk, actor=user, reason="另有安排")
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN and app.closed_reason == "另有安排"
    assert f.apply(project, user).status == Status.SUBMITTED


def test_withdrawing_someone_elses_application_is_refused():
    # given someone else's application
    project = f.project()
    app = f.apply(project)
    # when another member withdraws it, then the answer is the one for a missing application
    # (not_found, "受让申请不存在。"): no existence oracle
    err = _refused("not_found", services.application_withdraw, application_id=app.pk, actor=f.buyer())
    missing = _refused("not_found", services.application_withdraw, application_id=app.pk + 999, actor=f.buyer())
    assert err.message == missing.message
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_withdraw_after_the_deposit_forfeits_it():
    project = f.project()
    app = f.bidder(project)
    services.application_withdraw(application_id=app.pk, actor=app.applicant)
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    assert DepositInstruction.objects.get(pk=app.deposit_instruction_id).status == "forfeited"
    # and the member cannot come back in this round
    _refused("already_applied", f.apply, project, app.applicant)


def test_application_for_returns_the_current_round():
    from exchange.trading.selectors import application_for

    project = f.project()
    app = f.apply(project)
    assert application_for(project.pk, app.applicant_id) == app
    assert application_for(project.pk, f.buyer().pk) is None
