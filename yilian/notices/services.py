"""The one way to tell users something: ``notify``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Notice


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
        return Notice.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))


def unread_count(user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()
