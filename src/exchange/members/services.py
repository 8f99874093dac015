"""Members services: notifications (notify, notify_staff, read, preferences, deliveries)
and the blacklist (失信名单).

`notify` is called by every other app at each step that needs the customer. It writes the
in-site `Message` inside the caller's transaction (so a rolled-back step notifies nobody)
and enqueues one background task per other channel after commit; the task sends and
retries (see `delivery_attempt`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from exchange.core import audit, clock
from exchange.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from exchange.core.permissions import require
from exchange.core.text import without_forbidden
from exchange.members import conf
from exchange.members.channels import Outgoing, get_channel
from exchange.members.models import (
    OPTIONAL_CHANNELS,
    BlacklistEntry,
    Channel,
    Delivery,
    Message,
    Preference,
    kind_category,
)
from exchange.members.tasks import deliver

logger = logging.getLogger("exchange.members")

DeliveryStatus = Delivery.Status
_CHANNEL_KEYS = {c.value for c in Channel}
_OPTIONAL_KEYS = {c.value for c in OPTIONAL_CHANNELS}


def _user(recipient: Any) -> Any:
    User = get_user_model()
    if isinstance(recipient, User):
        return recipient
    try:
        return User.objects.get(pk=int(recipient))
    except (TypeError, ValueError, User.DoesNotExist) as exc:
        raise NotFound(_("收件人不存在。")) from exc


# --- notifications ----------------------------------------------------------------------------


def _fit_key(key: str) -> str:
    """A dedupe key that fits the column: long keys keep a prefix plus a hash of the whole."""
    if len(key) <= 150:
        return key
    return f"{key[:100]}#{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def notify(
    recipient: Any,
    *,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    channels: tuple[str, ...] = ("site", "email"),
    dedupe_key: str = "",
) -> Message | None:
    """Notify one user: an in-site message now, the other channels after commit.

    `recipient` is a User (or its id). `channels` are the channels this step wants; the
    site message is always written, e-mail/SMS/WeChat are skipped when the member switched
    them off for this kind's category (`Preference`) or cannot be reached on them.
    A `dedupe_key` already used for this recipient makes the call a no-op (returns None).
    """
    unknown = set(channels) - _CHANNEL_KEYS
    if unknown:
        raise InvalidInput(_("未知的通知渠道：%(c)s") % {"c": ", ".join(sorted(unknown))}, field="channels")
    subject = without_forbidden(subject)  # composed from titles: NFC, no invisible characters
    if not kind or not subject:
        raise InvalidInput(_("通知必须有类型和标题。"), field="subject")
    user = _user(recipient)
    dedupe_key = _fit_key(dedupe_key or "")
    with transaction.atomic():
        if dedupe_key and Message.objects.filter(recipient=user, dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():  # savepoint: a concurrent twin loses on the unique constraint
                message = Message.objects.create(
                    recipient=user,
                    kind=kind[:60],
                    subject=subject[:200],
                    body=body,
                    url=url[:500],
                    dedupe_key=dedupe_key,
                    created_at=clock.now(),
                )
        except IntegrityError:
            if dedupe_key:
                return None
            raise
        wanted = [c for c in dict.fromkeys(channels) if c in _OPTIONAL_KEYS]
        switched_off = set(
            Preference.objects.filter(
                member=user, category=message.category, channel__in=wanted, enabled=False
            ).values_list("channel", flat=True)
        )
        delivery_ids: list[int] = []
        for key in wanted:
            if key in switched_off:
                continue
            address = get_channel(key).address_for(user)
            if not address:
                continue
            delivery = Delivery.objects.create(message=message, channel=key, address=address, created_at=clock.now())
            delivery_ids.append(delivery.pk)
        if delivery_ids:
            transaction.on_commit(lambda: _enqueue_deliveries(delivery_ids))
    return message


def notify_staff(perm: str, *, kind: str, subject: str, body: str = "", url: str = "", dedupe_key: str = "") -> int:
    """Notify every active staff user holding `perm` ("app_label.codename") through a group
    or directly (superusers only when they hold it explicitly). Returns how many messages
    were created (recipients that already had `dedupe_key` are not counted)."""
    try:
        app_label, codename = perm.split(".", 1)
    except ValueError as exc:
        raise InvalidInput(_("权限格式应为 app_label.codename。"), field="perm") from exc
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    if permission is None:
        return 0
    User = get_user_model()
    staff = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
        .order_by("pk")
    )
    count = 0
    with transaction.atomic():
        for user in staff:
            if notify(user, kind=kind, subject=subject, body=body, url=url, dedupe_key=dedupe_key) is not None:
                count += 1
    return count


def _enqueue_deliveries(delivery_ids: Iterable[int]) -> None:
    for delivery_id in delivery_ids:
        try:
            deliver.enqueue(delivery_id=delivery_id)
        except Exception:  # the queue is down: the delivery stays queued, `deliveries_requeue` picks it up
            logger.exception("could not enqueue delivery %s", delivery_id)


def _enqueue_retry(delivery_id: int, attempt: int) -> None:
    try:
        task = deliver
        if task.get_backend().supports_defer and conf.retry_seconds() > 0:
            task = task.using(run_after=clock.now() + dt.timedelta(seconds=conf.retry_seconds() * attempt))
        task.enqueue(delivery_id=delivery_id)
    except Exception:
        logger.exception("could not enqueue retry of delivery %s", delivery_id)


def _absolute(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return conf.site_url() + url
    return url


SEND_LEASE = dt.timedelta(minutes=5)


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one queued delivery once (run by the `deliver` task). Returns the new status.

    The delivery is claimed in a short transaction (`claimed_until`: another task skips it
    meanwhile), sent outside any transaction (a slow SMTP server or gateway never holds a
    database lock), and the outcome recorded in a second short transaction. On failure the
    error is recorded and the delivery retried later, until NOTIFY_MAX_ATTEMPTS tries; then
    it is FAILED for good and shows in the staff queue "发送失败的通知"."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("message", "message__recipient")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return ""
        now = clock.now()
        if delivery.status != DeliveryStatus.QUEUED or (delivery.claimed_until and delivery.claimed_until > now):
            return str(delivery.status)
        delivery.attempts += 1
        delivery.claimed_until = now + SEND_LEASE
        delivery.save(update_fields=["attempts", "claimed_until"])
        message = delivery.message
        outgoing = Outgoing(
            address=delivery.address,
            subject=message.subject,
            body=message.body,
            url=_absolute(message.url),
            kind=message.kind,
        )
        channel_key, attempt = delivery.channel, delivery.attempts
    error = ""
    try:
        get_channel(channel_key).send(outgoing)
    except Exception as exc:  # any gateway failure counts as one failed try
        error = f"{type(exc).__name__}: {exc}"[:2000] or "error"
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.claimed_until = None
        retry = False
        if not error:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = clock.now()
            delivery.error = ""
        else:
            delivery.error = error
            if attempt >= conf.max_attempts():
                delivery.status = DeliveryStatus.FAILED
                delivery.failed_at = clock.now()
                logger.warning("delivery %s failed for good: %s", delivery.pk, error)
            else:
                retry = True
        delivery.save(update_fields=["claimed_until", "error", "status", "sent_at", "failed_at"])
        if retry:
            transaction.on_commit(lambda: _enqueue_retry(delivery_id, attempt))
        return str(delivery.status)


def delivery_resend(*, delivery_id: int, actor: Any) -> Delivery:
    """Staff: put a finally failed delivery back in the queue (attempts start again)."""
    require(actor, "members.resend_delivery")
    with transaction.atomic(), audit.action(actor, "delivery.resend", delivery=delivery_id):
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(_("投递记录不存在。"))
        if delivery.status != DeliveryStatus.FAILED:  # TRANSITIONS: only FAILED → QUEUED by staff
            raise IllegalTransition(_("只有发送失败的通知可以重新发送。"))
        delivery.status = DeliveryStatus.QUEUED
        delivery.attempts = 0
        delivery.failed_at = None
        delivery.claimed_until = None
        delivery.save(update_fields=["status", "attempts", "failed_at", "claimed_until"])
        transaction.on_commit(lambda: _enqueue_deliveries([delivery_id]))
    return delivery


def deliveries_requeue(*, older_than_seconds: int = 900) -> int:
    """Re-enqueue deliveries stuck in QUEUED (the queue was down when they were created,
    or a worker died mid-task). Run periodically by the clock."""
    cutoff = clock.now() - dt.timedelta(seconds=older_than_seconds)
    stuck = Delivery.objects.filter(status=DeliveryStatus.QUEUED, created_at__lt=cutoff).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=clock.now())
    )
    ids = list(stuck.values_list("pk", flat=True)[:500])
    _enqueue_deliveries(ids)
    return len(ids)


def message_read(*, user: Any, message_id: int) -> Message:
    """Mark one of the user's own messages read (idempotent). Someone else's: NotFound."""
    with transaction.atomic():
        message = Message.objects.filter(pk=message_id, recipient_id=getattr(user, "pk", None)).first()
        if message is None:
            raise NotFound(_("消息不存在。"))
        if message.read_at is None:
            message.read_at = clock.now()
            message.save(update_fields=["read_at"])
    return message


def messages_read_all(*, user: Any) -> int:
    """Mark every unread message of the user read; returns how many."""
    with transaction.atomic():
        return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=clock.now())


def preference_set(*, member: Any, category: str, channel: str, enabled: bool) -> Preference:
    """Switch one channel (email/sms/wechat — never the site message) on or off for a category."""
    if channel not in _OPTIONAL_KEYS:
        raise InvalidInput(_("站内消息不能关闭。"), field="channel")
    category = kind_category(category)
    if not category:
        raise InvalidInput(_("消息类别不能为空。"), field="category")
    with transaction.atomic(), audit.action(member, "preference.set", category=category, channel=channel):
        preference, _created = Preference.objects.update_or_create(
            member=member, category=category, channel=channel, defaults={"enabled": bool(enabled)}
        )
    return preference


# --- blacklist (失信名单) -------------------------------------------------------------------


def _overlapping(member: Any, starts_on: dt.date, ends_on: dt.date | None) -> Any:
    qs = BlacklistEntry.objects.filter(member=member, lifted_at__isnull=True)
    qs = qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        qs = qs.filter(starts_on__lte=ends_on)
    return qs


def blacklist_add_check(*, member: Any, reason: str, starts_on: dt.date, ends_on: dt.date | None) -> None:
    """The input rules of `blacklist_add` (the admin form shows them as field errors)."""
    if not (reason or "").strip():
        raise InvalidInput(_("请填写列入失信名单的原因。"), field="reason")
    if member.is_staff:
        raise InvalidInput(_("交易所员工不能列入失信名单。"), field="member")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(_("截止日期不能早于起始日期。"), field="ends_on")
    if _overlapping(member, starts_on, ends_on).exists():
        raise Conflict(_("该会员在此期间已在失信名单中。"), field="member")


def blacklist_add(
    *,
    member: Any,
    reason: str,
    actor: Any,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> BlacklistEntry:
    """Put a member on the 失信名单 from `starts_on` (default today) to `ends_on` (None =
    indefinitely). While active, applications are refused (`selectors.is_blacklisted`).
    Refused when an unlifted entry of the member already covers part of that period."""
    require(actor, "members.manage_blacklist")
    member = _user(member)
    reason = (reason or "").strip()
    starts_on = starts_on or clock.today()
    blacklist_add_check(member=member, reason=reason, starts_on=starts_on, ends_on=ends_on)
    with transaction.atomic(), audit.action(actor, "blacklist.add", member=member.pk, reason=reason):
        get_user_model().objects.select_for_update().filter(pk=member.pk).first()  # serialise adds per member
        if _overlapping(member, starts_on, ends_on).exists():
            raise Conflict(_("该会员在此期间已在失信名单中。"))
        entry = BlacklistEntry.objects.create(
            member=member,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=clock.now(),
        )
        until = ends_on.isoformat() if ends_on else _("无限期")
        notify(
            member,
            kind="account.blacklisted",
            subject=_("您已被列入失信名单"),
            body=_("自 %(start)s 起至 %(until)s，您的受让报名将被拒绝。原因：%(reason)s\n如有异议请联系交易所。")
            % {"start": starts_on.isoformat(), "until": until, "reason": reason},
            url=reverse("accounts:center"),
            dedupe_key=f"blacklist:{entry.pk}:add",
        )
    return entry


def blacklist_lift(*, entry_id: int, reason: str, actor: Any) -> BlacklistEntry:
    """Lift an entry early (from today on the member may apply again)."""
    require(actor, "members.manage_blacklist")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写解除原因。"), field="reason")
    with transaction.atomic(), audit.action(actor, "blacklist.lift", entry=entry_id, reason=reason):
        entry = BlacklistEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise NotFound(_("失信名单记录不存在。"))
        if entry.lifted_at is not None:
            raise IllegalTransition(_("该记录已解除。"))
        entry.lifted_at = clock.now()
        entry.lifted_on = clock.today()
        entry.lifted_by = actor if getattr(actor, "is_authenticated", False) else None
        entry.lift_reason = reason
        entry.save(update_fields=["lifted_at", "lifted_on", "lifted_by", "lift_reason"])
        notify(
            entry.member,
            kind="account.blacklist_lifted",
            subject=_("您已被移出失信名单"),
            body=_("您的失信记录已解除，可以重新报名参与项目交易。"),
            url=reverse("accounts:center"),
            dedupe_key=f"blacklist:{entry.pk}:lift",
        )
    return entry
