"""Validators never fail in an unexpected way; concurrent decisions cannot both win."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import close_old_connections, connection
from hypothesis import given
from hypothesis import strategies as st

from exchange.accounts import services
from exchange.accounts.models import User, Verification
from exchange.accounts.validators import clean_resident_id, clean_uscc
from exchange.core.errors import DomainError, InvalidInput
from tests.factories import UserFactory, submit_verification, valid_resident_id, valid_uscc

ID_ALPHABET = st.sampled_from("0123456789Xx ABCDEFGHJKLMNPQRTUWY-")


@given(st.one_of(st.text(max_size=25), st.text(alphabet=ID_ALPHABET, min_size=15, max_size=20)))
def test_resident_id_validator_accepts_or_says_why(text):
    try:
        cleaned = clean_resident_id(text)
    except InvalidInput as exc:
        assert exc.data["field"] == "id_number" and "身份证号码无效" in exc.message  # noqa: PT017 — any text: accept or say why
    else:
        assert len(cleaned) == 18 and cleaned == cleaned.upper()


@given(st.one_of(st.text(max_size=25), st.text(alphabet=ID_ALPHABET, min_size=15, max_size=20)))
def test_uscc_validator_accepts_or_says_why(text):
    try:
        cleaned = clean_uscc(text)
    except InvalidInput as exc:
        assert "统一社会信用代码无效" in exc.message  # noqa: PT017
    else:
        assert len(cleaned) == 18


@given(st.integers(min_value=0, max_value=10**6))
def test_generated_numbers_are_valid(seq):
    assert clean_resident_id(valid_resident_id(seq)) == valid_resident_id(seq)
    assert clean_uscc(valid_uscc(seq)) == valid_uscc(seq)


@given(position=st.integers(min_value=0, max_value=16), digit=st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(position, digit):
    number = valid_resident_id(5)
    changed = number[:position] + str((int(number[position]) + digit) % 10) + number[position + 1 :]
    with pytest.raises(InvalidInput):
        clean_resident_id(changed)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two-connection race test: PostgreSQL pass only (the SQLite test database is a shared in-memory one)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_deciding_at_once_cannot_both_win():
    """Real race on PostgreSQL (row lock) — approve and reject the same request in two threads."""
    member = UserFactory()
    first, second = UserFactory(role="reviewer"), UserFactory(role="manager")
    v = submit_verification(member, seq=8)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(action) -> None:
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(
            target=decide, args=(lambda: services.verification_approve(verification_id=v.pk, reviewer=first),)
        ),
        threading.Thread(
            target=decide,
            args=(lambda: services.verification_reject(verification_id=v.pk, reviewer=second, reason="照片模糊"),),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["illegal_transition", "ok"]
    v.refresh_from_db()
    member.refresh_from_db()
    assert (v.status == "approved") == member.is_verified
    assert Verification.objects.filter(user=member).count() == 1
    assert User.objects.filter(id_number=valid_resident_id(8)).count() == (1 if v.status == "approved" else 0)
