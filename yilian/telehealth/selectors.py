"""Reads of remote reading: the reading centre's worklist, the clinic's sent studies, the clock on an
open study and the supervisors' monthly turnaround figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from statistics import median

from django.db.models import Count
from django.utils import timezone

from yilian.core.scoping import scope_for

from .models import Report, Study, Urgency, target_minutes

LIST_RELATED = ("resident", "clinic", "centre", "claimed_by")


def worklist(user):
    """Open studies sent to the user's hospitals: most urgent first, then longest waiting."""
    scope = scope_for(user)
    rows = Study.objects.for_user(user).filter(status__in=Study.OPEN_STATES)
    if not scope.is_admin:
        rows = rows.filter(centre_id__in=scope.hospital_ids | scope.doctor_institution_ids)
    return rows.order_by("urgency", "sent_at", "pk")


def sent(user):
    scope = scope_for(user)
    return Study.objects.for_user(user).filter(clinic_id__in=scope.clinic_ids).order_by("-sent_at", "-pk")


@dataclass
class Clock:
    minutes: int
    target: int
    late: bool
    warn: bool


def clock(study: Study, now) -> Clock:
    end = study.reported_at or now
    minutes = max(0, int((end - study.sent_at).total_seconds() // 60))
    target = target_minutes(study.urgency)
    return Clock(minutes=minutes, target=target, late=minutes >= target, warn=minutes >= target * 0.8)


def _percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return None
    index = max(0, min(len(ordered) - 1, int(round(share * (len(ordered) - 1)))))
    return ordered[index]


def month_bounds(year: int, month: int):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(datetime(year, month, 1).date(), time.min), tz)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def monthly(user, year: int, month: int) -> dict:
    """Studies per clinic, median and 90th percentile turnaround per urgency, share within target,
    and every critical finding with what happened next."""
    start, end = month_bounds(year, month)
    studies = Study.objects.for_user(user).filter(sent_at__gte=start, sent_at__lt=end)
    per_clinic = list(studies.values("clinic__name").annotate(total=Count("pk"),
                                                               reported=Count("report")).order_by("-total"))
    per_urgency = []
    for urgency in Urgency:
        minutes = list(studies.filter(urgency=urgency, turnaround_minutes__isnull=False)
                       .values_list("turnaround_minutes", flat=True))
        target = target_minutes(urgency)
        per_urgency.append({
            "urgency": urgency.label, "target": target, "reported": len(minutes),
            "open": studies.filter(urgency=urgency, status__in=Study.OPEN_STATES).count(),
            "median": median(minutes) if minutes else None, "p90": _percentile(minutes, 0.9),
            "within": round(100 * sum(m <= target for m in minutes) / len(minutes)) if minutes else None})
    critical = (Report.objects.filter(study__in=studies, critical=True)
                .select_related("study__clinic", "study__resident", "referral").order_by("signed_at"))
    return {"per_clinic": per_clinic, "per_urgency": per_urgency, "critical": critical,
            "total": studies.count()}
