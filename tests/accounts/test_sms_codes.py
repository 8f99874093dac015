"""SMS verification codes (accounts/sms_codes.py, issue 15 item 2): bound to number and purpose,
short-lived, single-use, a few tries, stored as a keyed hash, limited per number, per address and
site-wide, and neutral — what is sent is decided by the task, never by the answer."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.accounts import sms_codes
from exchange.accounts.models import SmsCode
from exchange.core import clock
from exchange.core.errors import InvalidInput, RateLimited
from exchange.members.channels import latest_sms
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW, HOME, ATTACKER = "13911112222", "198.51.100.7", "203.0.113.66"
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _request(phone: str = NEW, purpose: str = "register", address: str = HOME, capture=None):
    if capture is None:
        return sms_codes.code_request(phone=phone, purpose=purpose, address=address)
    with capture(execute=True):  # the SMS leaves through a task enqueued on commit
        return sms_codes.code_request(phone=phone, purpose=purpose, address=address)


def _code_in(text: str | None) -> str:
    assert text, "no SMS was written"
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def no_pause(settings):
    settings.SMS_CODE_RESEND_SECONDS = 0  # tests of the counted limits, not of the resend pause


# --- what is sent, and to whom ---------------------------------------------------------------


def test_a_registration_code_goes_to_the_file_backend_and_works(django_capture_on_commit_callbacks):
    # when
    sent = _request(capture=django_capture_on_commit_callbacks)
    # then: the answer says where and for how long; the SMS file holds the code, which works once
    assert sent.phone_masked == "139****2222" and sent.expires_in == 300 and sent.resend_after == 60
    assert "139****2222" in sent.message and "5 分钟" in sent.message
    text = latest_sms(NEW)
    assert "会员注册" in text and "5 分钟内有效" in text
    code = _code_in(text)
    assert SmsCode.objects.get().outcome == SmsCode.Outcome.SENT
    assert sms_codes.consume(phone=NEW, purpose="register", code=code)
    assert not sms_codes.consume(phone=NEW, purpose="register", code=code)


def test_the_code_is_stored_only_as_a_keyed_hash():
    # given
    row = sms_codes.code_create(phone=NEW, purpose="login")
    code = sms_codes.code_text(row)
    # then: no column holds the code, and its plain hash is not the digest (10⁶ guesses would find it)
    values = [str(getattr(row, f.attname)) for f in SmsCode._meta.concrete_fields]
    assert not any(code in value for value in values if value != row.phone)
    assert row.digest != hashlib.sha256(code.encode()).hexdigest()
    assert len(row.digest) == 64 and len(row.salt) == 32


def test_the_task_queue_holds_the_row_id_not_the_code(settings, django_capture_on_commit_callbacks):
    # given: the real database queue (the worker's)
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # when
    _request(capture=django_capture_on_commit_callbacks)
    # then: the queued task carries the row's id; the code is nowhere in the queue's table
    row = SmsCode.objects.get()
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs == {"args": [], "kwargs": {"code_id": row.pk}}
    assert sms_codes.code_text(row) not in str(list(DBTaskResult.objects.values()))


def test_a_registered_number_gets_a_notice_instead_of_a_registration_code(django_capture_on_commit_callbacks):
    # given
    UserFactory(phone=NEW)
    # when
    sent = _request(capture=django_capture_on_commit_callbacks)
    # then: the same answer as for a new number; the phone gets "already registered", no code
    assert "已发送至 139****2222" in sent.message
    text = latest_sms(NEW)
    assert "已注册" in text and not re.search(r"\d{6}", text)
    assert SmsCode.objects.get().outcome == SmsCode.Outcome.NOTICE


@pytest.mark.parametrize("purpose", ["login", "reset"])
def test_login_and_reset_codes_go_only_to_active_member_accounts(purpose, django_capture_on_commit_callbacks, no_pause):
    # given: a member, a staff member, a deactivated member and a number without an account
    member = UserFactory(phone="13911110001")
    staff = UserFactory(phone="13911110002", role="reviewer")
    gone = UserFactory(phone="13911110003", is_active=False)
    answers = {
        phone: _request(phone, purpose, capture=django_capture_on_commit_callbacks)
        for phone in (member.phone, staff.phone, gone.phone, "13911110004")
    }
    # then: every number got the same words (bar the masked number) ...
    assert len({a.message.replace(a.phone_masked, "*") for a in answers.values()}) == 1
    assert "如果该手机号码已注册" in answers[member.phone].message
    # ... and only the member's phone a code
    assert _code_in(latest_sms(member.phone))
    for phone in (staff.phone, gone.phone, "13911110004"):
        assert latest_sms(phone) is None
    outcomes = dict(SmsCode.objects.values_list("phone", "outcome"))
    assert outcomes == {member.phone: "sent", staff.phone: "skipped", gone.phone: "skipped", "13911110004": "skipped"}


def test_a_failing_gateway_is_recorded_and_the_answer_is_unchanged(settings, django_capture_on_commit_callbacks):
    from tests.members.factories import reset_failing

    reset_failing(99)
    settings.NOTIFY_SMS_BACKEND = "tests.members.factories.FailingSmsChannel"
    sent = _request(capture=django_capture_on_commit_callbacks)
    assert sent.expires_in == 300
    assert SmsCode.objects.get().outcome == SmsCode.Outcome.FAILED


def test_a_repeated_task_sends_once(django_capture_on_commit_callbacks, tmp_path, settings):
    _request(capture=django_capture_on_commit_callbacks)
    row = SmsCode.objects.get()
    assert sms_codes.code_deliver(code_id=row.pk) == "claimed"
    assert len(list((tmp_path / "sms").glob("*.txt"))) == 1


def test_a_code_that_expired_before_the_task_ran_is_not_sent():
    row = sms_codes.code_create(phone=NEW, purpose="register")
    with clock.frozen(row.expires_at + timedelta(seconds=1)):
        assert sms_codes.code_deliver(code_id=row.pk) == SmsCode.Outcome.EXPIRED
    assert latest_sms(NEW) is None


# --- expiry, single use, attempts, purpose and number -----------------------------------------


def test_a_code_expires_after_five_minutes():
    row = sms_codes.code_create(phone=NEW, purpose="login")
    code = sms_codes.code_text(row)
    with clock.frozen(row.created_at + timedelta(seconds=300)):
        assert not sms_codes.consume(phone=NEW, purpose="login", code=code)
    with clock.frozen(row.created_at + timedelta(seconds=299)):
        assert sms_codes.consume(phone=NEW, purpose="login", code=code)


def test_a_code_is_used_once():
    code = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="reset"))
    assert sms_codes.consume(phone=NEW, purpose="reset", code=code)
    assert not sms_codes.consume(phone=NEW, purpose="reset", code=code)
    assert SmsCode.objects.get().used_at is not None


def test_five_wrong_tries_kill_the_code(settings):
    # given
    code = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="login"))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # when: five wrong codes
    for _ in range(settings.SMS_CODE_MAX_ATTEMPTS):
        assert not sms_codes.consume(phone=NEW, purpose="login", code=wrong)
    # then: the right one no longer works
    assert SmsCode.objects.get().attempts == 5
    assert not sms_codes.consume(phone=NEW, purpose="login", code=code)


def test_four_wrong_tries_leave_the_code_usable():
    code = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="login"))
    for wrong in ("000000", "abc", "", "1234567"):
        if wrong != code:
            sms_codes.consume(phone=NEW, purpose="login", code=wrong)
    assert sms_codes.consume(phone=NEW, purpose="login", code=code)


def test_a_code_is_bound_to_its_purpose_and_its_number():
    code = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="register"))
    assert not sms_codes.consume(phone=NEW, purpose="login", code=code)
    assert not sms_codes.consume(phone=NEW, purpose="reset", code=code)
    assert not sms_codes.consume(phone="13911113333", purpose="register", code=code)
    assert sms_codes.consume(phone=NEW, purpose="register", code=code)  # the tries above did not touch it


def test_a_new_code_replaces_the_earlier_one():
    first = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="login"))
    second = sms_codes.code_text(sms_codes.code_create(phone=NEW, purpose="login"))
    if first != second:
        assert not sms_codes.consume(phone=NEW, purpose="login", code=first)
    assert sms_codes.consume(phone=NEW, purpose="login", code=second)


@HYPOTHESIS
@given(guess=st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_any_wrong_six_digits_are_refused_and_counted(guess):
    SmsCode.objects.all().delete()
    row = sms_codes.code_create(phone=NEW, purpose="login")
    code = sms_codes.code_text(row)
    accepted = sms_codes.consume(phone=NEW, purpose="login", code=guess)
    row.refresh_from_db()
    assert accepted == (guess == code)
    assert row.attempts == (0 if accepted else 1)


@HYPOTHESIS
@given(
    issued=st.tuples(st.from_regex(r"1[3-9]\d{9}", fullmatch=True), st.sampled_from(sms_codes.Purpose.values)),
    tried=st.tuples(st.from_regex(r"1[3-9]\d{9}", fullmatch=True), st.sampled_from(sms_codes.Purpose.values)),
)
def test_a_code_opens_exactly_its_own_number_and_purpose(issued, tried):
    SmsCode.objects.all().delete()
    code = sms_codes.code_text(sms_codes.code_create(phone=issued[0], purpose=issued[1]))
    assert re.fullmatch(r"\d{6}", code)
    assert sms_codes.consume(phone=tried[0], purpose=tried[1], code=code) == (tried == issued)


# --- limits: resend pause, per number, per address, site-wide ---------------------------------


def test_a_number_waits_before_another_code():
    _request()
    with pytest.raises(RateLimited) as refused:
        _request(address=ATTACKER)
    assert 0 < refused.value.data["retry_after"] <= 60
    assert "秒后重新获取" in refused.value.message
    assert SmsCode.objects.count() == 1
    _request(phone="13911113333")  # another number is not held up


def test_codes_per_number_are_limited_whatever_the_address(settings, no_pause):
    # given: 3 codes an hour for a number
    settings.SMS_CODE_RATE_PER_NUMBER = "3/1h"
    for i in range(3):
        _request(address=f"203.0.113.{i + 1}")
    # when: a fourth, from yet another address
    with pytest.raises(RateLimited) as refused:
        _request(address="203.0.113.99")
    # then: refused with the wait, naming the number (not an account); nothing written
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert "该手机号码获取验证码过于频繁" in refused.value.message
    assert 0 < refused.value.data["retry_after"] <= 3600
    assert SmsCode.objects.count() == 3
    _request(phone="13911113333", address="203.0.113.99")  # another number still gets one


def test_codes_per_number_and_day_are_limited(settings, no_pause):
    settings.SMS_CODE_RATE_PER_NUMBER_DAY = "2/1d"
    _request(), _request()
    with pytest.raises(RateLimited) as refused:
        _request()
    assert "今日" in refused.value.message


def test_codes_per_address_are_limited_whatever_the_number(settings, no_pause):
    # given: 3 codes an hour from one address
    settings.SMS_CODE_RATE_PER_ADDRESS = "3/1h"
    for i in range(3):
        _request(phone=f"1391111000{i}", address=ATTACKER)
    # when: a fourth number from the same address
    with pytest.raises(RateLimited) as refused:
        _request(phone="13911110009", address=ATTACKER)
    # then
    assert "当前网络获取验证码过于频繁" in refused.value.message
    assert not SmsCode.objects.filter(phone="13911110009").exists()
    _request(phone="13911110009", address=HOME)  # the same number from elsewhere is served


def test_codes_site_wide_are_limited(settings, no_pause):
    settings.SMS_CODE_RATE_GLOBAL = "2/1h"
    _request(phone="13911110001", address="203.0.113.1")
    _request(phone="13911110002", address="203.0.113.2")
    with pytest.raises(RateLimited) as refused:
        _request(phone="13911110003", address="203.0.113.3")
    assert "验证码请求过于频繁" in refused.value.message


def test_the_limits_count_numbers_with_and_without_accounts_alike(settings, no_pause):
    settings.SMS_CODE_RATE_PER_NUMBER = "1/1h"
    UserFactory(phone="13911110001")
    _request("13911110001", "login")
    _request("13911110002", "login")
    refusals = []
    for phone in ("13911110001", "13911110002"):
        with pytest.raises(RateLimited) as refused:
            _request(phone, "login")
        refusals.append(refused.value.message)
    assert refusals[0] == refusals[1]


@pytest.mark.parametrize(
    ("phone", "purpose", "field"), [("1391111", "login", "phone"), ("13911112222", "admin", "purpose")]
)
def test_a_malformed_request_is_refused(phone, purpose, field):
    with pytest.raises(InvalidInput) as refused:
        _request(phone, purpose)
    assert refused.value.data["field"] == field
    assert not SmsCode.objects.exists()


# --- housekeeping ------------------------------------------------------------------------------


def test_codes_are_purged_a_day_after_they_expire():
    old = sms_codes.code_create(phone=NEW, purpose="login")
    SmsCode.objects.filter(pk=old.pk).update(expires_at=clock.now() - timedelta(days=1, minutes=1))
    fresh = sms_codes.code_create(phone=NEW, purpose="reset")
    from exchange.accounts.tasks import sms_codes_purge

    assert sms_codes_purge.call() == 1
    assert list(SmsCode.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_the_deploy_check_warns_about_a_development_sms_backend(settings, capsys):
    from exchange.members.checks import sms_gateway_configured

    settings.NOTIFY_SMS_BACKEND = "exchange.members.channels.FileSmsChannel"
    assert [w.id for w in sms_gateway_configured()] == ["exchange.W100"]
    settings.NOTIFY_SMS_BACKEND = "tests.accounts.test_sms_codes.GatewayChannel"
    assert sms_gateway_configured() == []


class GatewayChannel:  # stands for a real provider's class in the check above
    pass


def test_the_admin_shows_the_code_rows_without_secrets(admin_client):
    row = sms_codes.code_create(phone=NEW, purpose="login")
    html = admin_client.get(f"/admin/accounts/smscode/{row.pk}/change/").content.decode()
    assert "139****2222" in html
    assert row.digest not in html and row.salt not in html and sms_codes.code_text(row) not in html
    call_command("check")
