"""Background jobs of the accounts app (run by the worker: `manage.py db_worker`)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

from exchange.accounts import sms_codes
from exchange.accounts.models import Verification


@task()
def notify_verification_decided(*, verification_id: int) -> None:
    """E-mail the member the outcome of their real-name verification."""
    verification = Verification.objects.select_related("user").get(pk=verification_id)
    user = verification.user
    if verification.status == Verification.Status.APPROVED:
        subject = _("实名认证已通过")
        body = _("%(name)s，您好：\n\n您提交的实名认证已审核通过，现在可以报名参与项目交易。") % {"name": user.name}
    else:
        subject = _("实名认证未通过")
        body = _("%(name)s，您好：\n\n您提交的实名认证未通过审核，原因：%(reason)s\n请修改后重新提交。") % {
            "name": user.name,
            "reason": verification.reject_reason,
        }
    send_mail(subject, body, None, [user.email])


@task()
def sms_code_send(*, code_id: int) -> str:
    """Send the SMS of a verification code (its argument is the row's id: the code itself is
    never in the queue, the task derives it; accounts.sms_codes)."""

    return sms_codes.code_deliver(code_id=code_id)


@task()
def sms_codes_purge() -> int:
    """Delete SMS codes that expired more than a day ago (the clock runs this hourly)."""

    return sms_codes.codes_purge()
