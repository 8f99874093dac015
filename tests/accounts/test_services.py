from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core import mail

from exchange.accounts import services
from exchange.accounts.models import User, Verification
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from exchange.members.models import Message
from tests.factories import (
    EntityFactory,
    UserFactory,
    image_upload,
    registration,
    submit_verification,
    valid_resident_id,
    valid_uscc,
)

pytestmark = pytest.mark.django_db


_submit = submit_verification


def _register(**overrides):
    return services.member_register(**registration(**overrides))


# --- registration ----------------------------------------------------------------------


def test_register_creates_member_with_role_and_member_number():
    user = _register(email="Chen@Example.com")
    assert user.member_no == f"M{user.pk:08d}"
    assert user.email == "chen@example.com"
    assert list(user.groups.values_list("name", flat=True)) == ["意向受让方"]
    assert not user.is_staff
    assert user.check_password("Sx-exchange-88")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"password": "12345678"}, "password"),
        ({"role_keys": ["reviewer"]}, "roles"),  # a member cannot give themselves a staff role
        ({"role_keys": []}, "roles"),
        ({"name": "  "}, "name"),
        ({"member_type": "robot"}, "member_type"),
    ],
)
def test_register_rejects_bad_input_and_writes_nothing(overrides, field):
    with pytest.raises(InvalidInput) as err:
        _register(**overrides)
    assert err.value.data["field"] == field
    assert not User.objects.exists()


def test_register_with_a_taken_phone_or_email_creates_nothing_and_tells_the_owner():
    # given
    owner = UserFactory(phone="13912345678", email="taken@example.com")
    # when
    by_phone = _register(phone="13912345678", email="new@example.com")
    by_email = _register(phone="13912345679", email="TAKEN@example.com")
    # then: no account, no exception (the caller answers as for a success), one message a day
    assert by_phone is None and by_email is None
    assert User.objects.count() == 1
    messages = Message.objects.filter(recipient=owner, kind="account.register_attempt")
    assert messages.count() == 1
    assert "手机号码" in messages.get().subject


# --- verification submit ---------------------------------------------------------------------


def test_person_submits_verification():
    user = UserFactory()
    v = _submit(user)
    assert v.status == Verification.Status.PENDING
    assert v.id_number == valid_resident_id(7)
    assert v.document_front.name.startswith(f"verification/{user.pk}/")


def test_entity_submits_with_uscc_and_legal_representative():
    user = EntityFactory()
    v = _submit(
        user, name="测试实业有限公司", id_number=valid_uscc(42), document_back=None, legal_representative="张三"
    )
    assert v.member_type == "entity"


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "id_number": valid_resident_id(7)[:-1] + ("0" if valid_resident_id(7)[-1] != "0" else "1")
        },  # wrong check digit
        {"id_number": "14010519981301001X"},  # month 13
        {"id_number": "1234"},
        {"document_back": None},  # persons need both sides
        {"document_front": image_upload("x.gif", fmt="GIF")},
        {"name": ""},
    ],
)
def test_submit_rejects_bad_input_and_writes_nothing(overrides):
    user = UserFactory()
    with pytest.raises(InvalidInput):
        _submit(user, **overrides)
    assert not Verification.objects.exists()


def test_submit_refuses_text_renamed_as_image(settings):
    user = UserFactory()
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("id.png", b"not an image at all", content_type="image/png")
    with pytest.raises(InvalidInput):
        _submit(user, document_front=fake)
    assert not Verification.objects.exists()


def test_submit_refuses_oversize_image(settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    with pytest.raises(InvalidInput, match="不能超过"):
        _submit(UserFactory())
    assert not Verification.objects.exists()


def test_entity_needs_uscc_not_resident_id():
    with pytest.raises(InvalidInput):
        _submit(EntityFactory(), id_number=valid_resident_id(1), legal_representative="张三")


def test_second_submission_while_pending_is_refused():
    user = UserFactory()
    _submit(user)
    with pytest.raises(Conflict):
        _submit(user)
    assert Verification.objects.count() == 1


def test_staff_need_no_verification(reviewer):
    with pytest.raises(PermissionDenied):
        _submit(reviewer)


# --- review --------------------------------------------------------------------------------------


def test_approve_verifies_member_and_audits(reviewer, django_capture_on_commit_callbacks):
    v = _submit(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_approve(verification_id=v.pk, reviewer=reviewer)
    v.refresh_from_db()
    member = User.objects.get(pk=v.user_id)
    assert v.status == "approved" and v.reviewed_by == reviewer
    assert member.is_verified and member.real_name == "陈明" and member.id_number == valid_resident_id(7)
    entry = LogEntry.objects.get_for_object(v).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == reviewer
    assert entry.additional_data["action"] == "verification.approve"
    assert entry.changes_dict["status"] == ["pending", "approved"]
    assert len(mail.outbox) == 1 and "已通过" in mail.outbox[0].subject


def test_reject_keeps_member_unverified_and_records_reason(reviewer, django_capture_on_commit_callbacks):
    v = _submit(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_reject(verification_id=v.pk, reviewer=reviewer, reason="照片模糊")
    v.refresh_from_db()
    assert v.status == "rejected" and v.reject_reason == "照片模糊"
    assert not User.objects.get(pk=v.user_id).is_verified
    assert "照片模糊" in mail.outbox[0].body
    entry = LogEntry.objects.get_for_object(v).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.additional_data == {"action": "verification.reject", "reason": "照片模糊"}


def test_reject_needs_a_reason(reviewer):
    v = _submit(UserFactory())
    with pytest.raises(InvalidInput):
        services.verification_reject(verification_id=v.pk, reviewer=reviewer, reason="  ")
    v.refresh_from_db()
    assert v.status == "pending"


def test_decided_request_cannot_be_decided_again(reviewer):
    v = _submit(UserFactory())
    services.verification_reject(verification_id=v.pk, reviewer=reviewer, reason="照片模糊")
    with pytest.raises(IllegalTransition):
        services.verification_approve(verification_id=v.pk, reviewer=reviewer)
    v.refresh_from_db()
    assert v.status == "rejected"
    assert not User.objects.get(pk=v.user_id).is_verified


@pytest.mark.parametrize("role", ["finance", "service", "supervisor", "operations"])
def test_only_reviewing_roles_may_decide(staff_with_role, role):
    v = _submit(UserFactory())
    with pytest.raises(PermissionDenied):
        services.verification_approve(verification_id=v.pk, reviewer=staff_with_role(role))
    v.refresh_from_db()
    assert v.status == "pending"


def test_members_cannot_review_even_with_the_permission_string(member):
    v = _submit(UserFactory())
    with pytest.raises(PermissionDenied):
        services.verification_approve(verification_id=v.pk, reviewer=member)


def test_the_same_id_number_cannot_be_verified_for_two_accounts(reviewer):
    first = _submit(UserFactory())
    second = _submit(UserFactory())  # submitted before the first was approved
    services.verification_approve(verification_id=first.pk, reviewer=reviewer)
    with pytest.raises(Conflict):
        services.verification_approve(verification_id=second.pk, reviewer=reviewer)
    second.refresh_from_db()
    assert second.status == "pending"
    with pytest.raises(Conflict):
        _submit(UserFactory())


def test_rejected_member_may_submit_again(reviewer):
    user = UserFactory()
    v = _submit(user)
    services.verification_reject(verification_id=v.pk, reviewer=reviewer, reason="照片模糊")
    again = _submit(user)
    assert again.status == "pending"


# --- tokens ------------------------------------------------------------------------------------------


def test_token_authenticates_until_expiry(member):
    from datetime import timedelta

    from exchange.core import clock

    raw = services.api_token_issue(user=member)
    assert services.api_token_authenticate(raw=raw) == member
    assert services.api_token_authenticate(raw=raw + "x") is None
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert services.api_token_authenticate(raw=raw) is None


def test_token_use_is_stamped_at_most_every_five_minutes_and_inactive_users_are_refused(member):
    from datetime import timedelta

    from exchange.accounts.models import ApiToken
    from exchange.core import clock

    # given
    raw = services.api_token_issue(user=member)
    start = clock.now()
    # when / then: the first use stamps, a use a minute later does not, one six minutes later does
    with clock.frozen(start):
        user = services.api_token_authenticate(raw=raw)
    assert user is not None and user.pk == member.pk and user.date_joined == member.date_joined
    assert ApiToken.objects.get(user=member).last_used_at == start
    with clock.frozen(start + timedelta(minutes=1)):
        services.api_token_authenticate(raw=raw)
    assert ApiToken.objects.get(user=member).last_used_at == start
    with clock.frozen(start + timedelta(minutes=6)):
        services.api_token_authenticate(raw=raw)
    assert ApiToken.objects.get(user=member).last_used_at == start + timedelta(minutes=6)
    # and a deactivated member's token no longer works
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert services.api_token_authenticate(raw=raw) is None


def test_token_user_is_the_same_as_the_orm_loads_it_field_by_field(member):
    """The lookup builds the User from its own row with the backend's converters: every
    field (datetimes, booleans, decimals, choices…) must come out as the ORM's."""
    raw = services.api_token_issue(user=member)
    member.last_login = member.date_joined
    member.save()
    user = services.api_token_authenticate(raw=raw)
    expected = User.objects.get(pk=member.pk)
    assert user is not None and not user._state.adding and user._state.db == "default"
    for field in User._meta.concrete_fields:
        mine, orm = getattr(user, field.attname), getattr(expected, field.attname)
        assert (mine, type(mine)) == (orm, type(orm)), field.name
