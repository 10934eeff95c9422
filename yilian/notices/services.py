"""The one notification service of the platform.

``notify`` puts a notice in users' inboxes (and copies essential ones to their e-mail address);
``notify_contact`` reaches people who are not users (residents) by SMS or e-mail. Every e-mail
and SMS is a :class:`Delivery` row with its status; it is sent by the worker after the event's
transaction commits, and a failure is retried with a growing delay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import sms
from .models import Delivery, Notice, OptOut

log = logging.getLogger(__name__)
RETRY_MINUTES = (1, 5, 15, 60, 240)  # after the 1st, 2nd, … failure


def notify(recipients: Iterable, *, kind: str, text: str, url: str = "", essential: bool = True,
           dedupe_key: str = "") -> list[Notice]:
    """Put a notice in each recipient's inbox (users or user ids); duplicates of ``dedupe_key`` are skipped.

    Call it inside the transaction of the event it reports, so a rolled-back event notifies nobody.
    """
    if not url.startswith("/") or url.startswith("//"):
        url = ""  # only links inside Yilian; never javascript: or another site
    user_ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not user_ids:
        return []
    rows = [Notice(recipient_id=uid, kind=kind, text=text[:500], url=url[:300], essential=essential,
                   dedupe_key=dedupe_key[:200]) for uid in user_ids]
    with transaction.atomic():
        if dedupe_key:
            seen = set(Notice.objects.filter(dedupe_key=dedupe_key[:200], recipient_id__in=user_ids)
                       .values_list("recipient_id", flat=True))
            rows = [n for n in rows if n.recipient_id not in seen]
        created = Notice.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        if essential and created:
            _copy_to_email(created, kind=kind, text=text, dedupe_key=dedupe_key)
    return created


def _copy_to_email(notices: list[Notice], *, kind, text, dedupe_key):
    emails = dict(get_user_model().objects.filter(pk__in=[n.recipient_id for n in notices])
                  .exclude(email="").values_list("pk", "email"))
    for notice in notices:
        if notice.recipient_id in emails:
            _queue(Delivery.Channel.EMAIL, emails[notice.recipient_id], kind=kind, text=text, essential=True,
                   dedupe_key=dedupe_key, notice=notice if notice.pk else None)


def notify_contact(*, phone: str = "", email: str = "", kind: str, text: str, subject: str = "",
                   essential: bool = True, dedupe_key: str = "") -> list[Delivery]:
    """Tell a person who has no login (a resident) by SMS and/or e-mail; sent once per ``dedupe_key``."""
    deliveries = []
    with transaction.atomic():
        for channel, address in ((Delivery.Channel.SMS, phone), (Delivery.Channel.EMAIL, email)):
            if address:
                delivery = _queue(channel, address, kind=kind, text=text, subject=subject, essential=essential,
                                  dedupe_key=dedupe_key)
                if delivery is not None:
                    deliveries.append(delivery)
    return deliveries


def _queue(channel, address, *, kind, text, essential, dedupe_key, subject="", notice=None) -> Delivery | None:
    if dedupe_key and Delivery.objects.filter(channel=channel, address=address, dedupe_key=dedupe_key[:200]).exists():
        return None
    delivery = Delivery.objects.create(channel=channel, address=address, kind=kind, text=text[:500],
                                       subject=subject[:200], essential=essential, dedupe_key=dedupe_key[:200],
                                       notice=notice)
    transaction.on_commit(_sweep_soon)
    return delivery


_sweep_lock = threading.Lock()
_last_sweep = -1e9


def _sweep_soon():
    """Have the worker send what is pending, in one task per second per process rather than one per message.

    When booking opens, hundreds of confirmations are committed per second; a queue write each would
    cost more than the booking. The sweep runs ``YILIAN_NOTICE_SWEEP_SECONDS`` later, so every message
    committed before a skipped enqueue is picked up by the sweep already queued.
    """
    global _last_sweep
    delay = settings.YILIAN_NOTICE_SWEEP_SECONDS
    with _sweep_lock:
        now = time.monotonic()
        if delay and now - _last_sweep < delay:
            return
        _last_sweep = now
    from .tasks import deliver_due  # tasks import this module

    task = deliver_due.using(run_after=timezone.now() + timedelta(seconds=delay)) if delay else deliver_due
    try:
        task.enqueue()
    except Exception:  # a queue that is down must not fail the booking; `deliver_notices` picks it up
        log.exception("could not enqueue the notice sweep")


def _enqueue(delivery_id: int, run_after=None):
    from .tasks import send_delivery  # tasks import this module

    task = send_delivery.using(run_after=run_after) if run_after else send_delivery
    try:
        task.enqueue(delivery_id)
    except Exception:  # a queue that is down must not fail the booking; `deliver_notices` picks it up
        log.exception("could not enqueue delivery %s", delivery_id)


# ----------------------------------------------------------------------------------- sending


def is_opted_out(channel: str, address: str) -> bool:
    return OptOut.objects.filter(channel=channel, address=address).exists()


def opt_out(channel: str, address: str) -> OptOut:
    return OptOut.objects.get_or_create(channel=channel, address=address)[0]


def delivery_send(delivery_id: int, now=None) -> Delivery:
    """Send one delivery now; on failure record the error and when to try again."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status not in (Delivery.Status.PENDING, Delivery.Status.FAILED):
            return delivery  # sent (or given up) by another worker: never twice
        if not delivery.essential and is_opted_out(delivery.channel, delivery.address):
            delivery.status = Delivery.Status.OPTED_OUT
            delivery.save(update_fields=["status"])
            return delivery
        delivery.attempts += 1
        try:
            delivery.provider_id = _transmit(delivery)[:100]
        except Exception as exc:  # SMTP and provider errors alike: log, then retry later
            _record_failure(delivery, exc, now)
        else:
            delivery.status, delivery.sent_at, delivery.last_error = Delivery.Status.SENT, now, ""
            delivery.next_attempt_at = None
        delivery.save()
    return delivery


def _transmit(delivery: Delivery) -> str:
    if delivery.channel == Delivery.Channel.SMS:
        return sms.get_backend().send(delivery.address, delivery.text)
    subject = delivery.subject or delivery.text[:60]
    send_mail(subject, delivery.text, settings.DEFAULT_FROM_EMAIL, [delivery.address])
    return ""


def _record_failure(delivery: Delivery, exc: Exception, now):
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
    log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, delivery.last_error)
    if delivery.attempts >= settings.YILIAN_NOTICE_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = Delivery.Status.GAVE_UP, None
        return
    delay = RETRY_MINUTES[min(delivery.attempts, len(RETRY_MINUTES)) - 1]
    delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, now + timedelta(minutes=delay)
    transaction.on_commit(lambda: _enqueue(delivery.pk, run_after=delivery.next_attempt_at))


def deliveries_due(now=None):
    """Pending deliveries and failed ones whose retry time has come (for the periodic sweep)."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=Delivery.Status.PENDING, created_at__lte=now) | Delivery.objects.filter(
        status=Delivery.Status.FAILED, next_attempt_at__lte=now)


def deliver_due(now=None) -> dict[str, int]:
    """Send what is due; returns counts by resulting status. Safe to run from cron and the worker at once."""
    counts: dict[str, int] = {}
    for pk in list(deliveries_due(now).order_by("pk").values_list("pk", flat=True)):
        status = delivery_send(pk, now).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def unread_count(user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()
