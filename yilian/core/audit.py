"""Writing the audit log: every read, reveal, export, import and write of personal data.

Services and views call ``record`` (one object) or ``record_many`` (exports, imports) inside the
transaction of the work they describe. An audited object may define:

- ``audit_summary()``: a short, masked description (``张** 5201**********1234``);
- ``audit_region_path()``: the region path of its institution, which decides which supervisors
  see the entry.

Summaries pass through ``masking.redact`` as a safety net: a full ID or mobile number never lands
in the log even if a caller forgets to mask it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from yilian.core.masking import redact
from yilian.core.models import AuditEntry

Action = AuditEntry.Action

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass(frozen=True)
class Origin:
    """Where an action came from: the request id (ours or the proxy's) and the client address."""

    request_id: str = ""
    ip: str | None = None


def origin_of(request) -> Origin:
    """The request's id (X-Request-ID if a proxy set a sane one, else one of ours) and address."""
    if request is None:
        return Origin()
    cached = getattr(request, "_audit_origin", None)
    if cached is None:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        cached = Origin(request_id=request_id, ip=request.META.get("REMOTE_ADDR") or None)
        request._audit_origin = cached
    return cached


def _entry(user, action, obj=None, *, summary=None, reason="", origin=None, at=None,
           object_type=None, object_id=None, region_path=None) -> AuditEntry:
    origin = origin or Origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if summary is None:
            summary = obj.audit_summary() if hasattr(obj, "audit_summary") else ""
        if region_path is None and hasattr(obj, "audit_region_path"):
            region_path = obj.audit_region_path()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry(
        at=at or timezone.now(),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        summary=redact(summary or "")[:255],
        reason=redact(reason or "")[:255],
        region_path=region_path or "",
        request_id=origin.request_id,
        ip=origin.ip,
    )


def record(user, action, obj=None, **kwargs) -> AuditEntry:
    """Write one entry now. kwargs: summary, reason, origin, object_type, object_id, region_path."""
    entry = _entry(user, action, obj, **kwargs)
    entry.save()
    return entry


def record_many(user, action, objects: Iterable, *, summary_of=None, region_path_of=None, reason="",
                origin=None, batch_size: int = 2000) -> int:
    """One entry per object, written in bulk (exports, imports); all share one timestamp.

    ``summary_of`` and ``region_path_of`` (callables on an object) replace the objects' own methods,
    e.g. to avoid a query per object.
    """
    at = timezone.now()
    entries = [
        _entry(user, action, obj, summary=summary_of(obj) if summary_of else None, reason=reason, origin=origin,
               at=at, region_path=region_path_of(obj) if region_path_of else None)
        for obj in objects
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)
