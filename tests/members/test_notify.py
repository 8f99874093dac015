"""notify / notify_staff: site message in the caller's transaction, deliveries after commit."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.db import transaction

from exchange.core.errors import InvalidInput
from exchange.members import selectors, services
from exchange.members.models import Delivery, Message
from tests.factories import UserFactory
from tests.members.factories import grant, reset_failing

pytestmark = pytest.mark.django_db


def test_notify_creates_site_message_and_queued_email(member):
    message = services.notify(
        member, kind="application.qualified", subject="资格确认通过", body="请缴纳保证金", url="/x/"
    )
    assert message is not None
    assert message.recipient == member and message.read_at is None
    delivery = Delivery.objects.get(message=message)
    assert delivery.channel == "email" and delivery.status == Delivery.Status.QUEUED
    assert delivery.address == member.email
    assert mail.outbox == []  # nothing sent before commit
    assert selectors.unread_count(member) == 1


def test_notify_accepts_a_user_id(member):
    assert services.notify(member.pk, kind="x.y", subject="s", channels=("site",)) is not None
    assert Message.objects.filter(recipient=member).count() == 1


def test_dedupe_key_makes_second_call_a_noop(member):
    first = services.notify(member, kind="deal.opened", subject="成交", dedupe_key="deal:1:opened")
    second = services.notify(member, kind="deal.opened", subject="成交", dedupe_key="deal:1:opened")
    assert first is not None and second is None
    assert Message.objects.filter(recipient=member).count() == 1
    # the same key for another recipient is a different message
    other = UserFactory()
    assert services.notify(other, kind="deal.opened", subject="成交", dedupe_key="deal:1:opened") is not None


def test_email_sent_on_commit_through_the_task(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.notify(
            member, kind="application.qualified", subject="资格确认通过", body="正文", url="/p/1/"
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "资格确认通过"
    assert mail.outbox[0].to == [member.email]
    assert "/p/1/" in mail.outbox[0].body
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1 and delivery.sent_at is not None


def test_rolled_back_transaction_sends_nothing(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.notify(member, kind="application.qualified", subject="资格确认通过")
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []
    assert not Message.objects.filter(recipient=member).exists()
    assert not Delivery.objects.exists()


def test_unknown_channel_is_refused(member):
    with pytest.raises(InvalidInput):
        services.notify(member, kind="x.y", subject="s", channels=("site", "fax"))


def test_console_sms_logs_the_text(member, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="exchange.members.channels")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.notify(
            member, kind="deposit.due", subject="请于3个工作日内缴纳保证金", url="/d/", channels=("site", "sms")
        )
    delivery = Delivery.objects.get(message=message)
    assert delivery.channel == "sms" and delivery.address == member.phone
    assert delivery.status == Delivery.Status.SENT
    assert f"SMS to {member.phone}: 【请于3个工作日内缴纳保证金】 /d/" in caplog.text


def test_console_wechat_logs(member, caplog, django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_SITE_URL = "https://demo.example.cn/"
    caplog.set_level(logging.INFO, logger="exchange.members.channels")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(member, kind="auction.start", subject="竞价即将开始", url="/a/1/", channels=("wechat",))
    assert "WeChat to" in caplog.text and "https://demo.example.cn/a/1/" in caplog.text
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_failure_is_retried_then_sent(member, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_SMS_BACKEND = "tests.members.factories.FailingSmsChannel"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    reset_failing(2)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.notify(member, kind="deposit.due", subject="缴纳保证金", channels=("sms",))
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 3 and delivery.error == ""


def test_failure_after_max_attempts_is_final_and_queued_for_staff(member, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_SMS_BACKEND = "tests.members.factories.FailingSmsChannel"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    failing = reset_failing(99)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.notify(member, kind="deposit.due", subject="缴纳保证金", channels=("sms",))
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3 and failing.calls == 3
    assert "gateway timeout" in delivery.error and delivery.failed_at is not None
    assert list(selectors.failed_deliveries()) == [delivery]
    # the site message is there regardless
    assert Message.objects.get(pk=message.pk).subject == "缴纳保证金"


def test_staff_resend_of_a_failed_delivery(member, settings, django_capture_on_commit_callbacks, staff_with_role):
    settings.NOTIFY_SMS_BACKEND = "tests.members.factories.FailingSmsChannel"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    reset_failing(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(member, kind="deposit.due", subject="缴纳保证金", channels=("sms",))
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    manager = grant(staff_with_role("manager"), "members.resend_delivery")
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_resend(delivery_id=delivery.pk, actor=manager)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_preferences_switch_channels_off_per_category_never_the_site(member, django_capture_on_commit_callbacks):
    services.preference_set(member=member, category="deposit", channel="email", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        m1 = services.notify(member, kind="deposit.due", subject="a", channels=("site", "email", "sms"))
        m2 = services.notify(member, kind="auction.start", subject="b", channels=("site", "email"))
    assert m1 is not None and m2 is not None
    assert sorted(Delivery.objects.filter(message=m1).values_list("channel", flat=True)) == ["sms"]
    assert list(Delivery.objects.filter(message=m2).values_list("channel", flat=True)) == ["email"]
    assert len(mail.outbox) == 1
    with pytest.raises(InvalidInput):
        services.preference_set(member=member, category="deposit", channel="site", enabled=False)
    services.preference_set(member=member, category="deposit", channel="email", enabled=True)
    m3 = services.notify(member, kind="deposit.due", subject="c")
    assert Delivery.objects.filter(message=m3, channel="email").exists()


def test_notify_staff_reaches_holders_of_the_permission(staff_with_role):
    reviewer = grant(staff_with_role("reviewer"), "members.manage_blacklist")
    manager = grant(staff_with_role("manager"), "members.manage_blacklist")
    finance = staff_with_role("finance")
    count = services.notify_staff(
        "members.manage_blacklist", kind="staff.review", subject="有新的报名待审核", url="/admin/", dedupe_key="k1"
    )
    assert count == 2
    assert set(Message.objects.values_list("recipient_id", flat=True)) == {reviewer.pk, manager.pk}
    assert not Message.objects.filter(recipient=finance).exists()
    assert services.notify_staff("members.manage_blacklist", kind="staff.review", subject="x", dedupe_key="k1") == 0
    assert services.notify_staff("nosuch.perm", kind="x", subject="y") == 0


def test_inactive_staff_are_not_notified(staff_with_role):
    reviewer = grant(staff_with_role("reviewer"), "members.manage_blacklist")
    reviewer.is_active = False
    reviewer.save()
    assert services.notify_staff("members.manage_blacklist", kind="x.y", subject="s") == 0


def test_read_and_read_all(member):
    m1 = services.notify(member, kind="x.y", subject="1", channels=("site",))
    services.notify(member, kind="x.y", subject="2", channels=("site",))
    assert m1 is not None
    services.message_read(user=member, message_id=m1.pk)
    assert selectors.unread_count(member) == 1
    assert services.messages_read_all(user=member) == 1
    assert selectors.unread_count(member) == 0


def test_settings_come_from_the_environment_too(monkeypatch, settings):
    from exchange.members import conf

    monkeypatch.setenv("NOTIFY_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("NOTIFY_SMS_BACKEND", "tests.members.factories.FailingSmsChannel")
    assert conf.max_attempts() == 7
    assert conf.sms_backend() == "tests.members.factories.FailingSmsChannel"
    settings.NOTIFY_MAX_ATTEMPTS = 2  # a Django setting wins
    assert conf.max_attempts() == 2


def test_sms_text_is_cut_to_the_limit(settings):
    from exchange.members.channels import Outgoing, sms_text

    settings.NOTIFY_SMS_MAX_CHARS = 20
    text = sms_text(Outgoing(address="1", subject="很长的标题" * 10, body="", url="/x/", kind="k"))
    assert len(text) == 20 and text.endswith("…") and text.startswith("【很长的标题")


def test_a_claimed_delivery_is_not_sent_twice(member):
    import datetime as dt

    from exchange.core import clock

    message = services.notify(member, kind="deposit.due", subject="x")
    delivery = Delivery.objects.get(message=message)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=clock.now() + dt.timedelta(minutes=1))
    assert services.delivery_attempt(delivery_id=delivery.pk) == "queued"
    assert mail.outbox == []
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=clock.now() - dt.timedelta(seconds=1))  # lease over
    assert services.delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert services.delivery_attempt(delivery_id=delivery.pk) == "sent"  # a stray second task: nothing
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.claimed_until is None and delivery.attempts == 1


def test_requeue_picks_up_stuck_deliveries(member, django_capture_on_commit_callbacks):
    import datetime as dt

    from exchange.core import clock

    message = services.notify(member, kind="deposit.due", subject="x")  # on_commit never ran: stuck
    with clock.frozen(clock.now() + dt.timedelta(minutes=20)):
        assert services.deliveries_requeue() == 1
    assert Delivery.objects.get(message=message).status == Delivery.Status.SENT
    assert services.deliveries_requeue() == 0


def test_long_dedupe_keys_do_not_collide(member):
    base = "deal.opened:" + "x" * 200
    assert services.notify(member, kind="deal.opened", subject="a", dedupe_key=base + ":1") is not None
    assert services.notify(member, kind="deal.opened", subject="b", dedupe_key=base + ":2") is not None
    assert services.notify(member, kind="deal.opened", subject="c", dedupe_key=base + ":2") is None
