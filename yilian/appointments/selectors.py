"""The measures of full-appointment mode (全预约就诊模式).

A visit is a booking whose resident arrived: booked ahead (online or by phone) or registered at the
desk as a walk-in. The booked-visit share is booked visits / all visits; the no-show rate is
no-shows / (arrivals + no-shows) of bookings made ahead.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from .models import Booking

ARRIVED = Q(status=Booking.Status.ARRIVED)
BOOKED_AHEAD = Q(channel__in=Booking.BOOKED_AHEAD)


def _visits(institution_ids, start: date, end: date):
    rows = Booking.objects.filter(session__date__gte=start, session__date__lte=end)
    return rows.filter(session__clinic_id__in=list(institution_ids)) if institution_ids is not None else rows


def _share(booked: int, visits: int) -> float | None:
    return round(booked / visits, 4) if visits else None


def booked_visit_share(institution_ids, start: date, end: date) -> dict[int, dict]:
    """Per institution: ``{"visits": n, "booked": m, "share": m / n or None}`` for sessions from start to end.

    The "full appointment" indicator (seed 001: all grassroots institutions in appointment mode) reads
    it; an institution without visits is absent. ``institution_ids=None`` means every institution.
    """
    figures = (_visits(institution_ids, start, end).filter(ARRIVED).values("session__clinic_id")
               .annotate(visits=Count("pk"), booked=Count("pk", filter=BOOKED_AHEAD)))
    return {row["session__clinic_id"]: {"visits": row["visits"], "booked": row["booked"],
                                        "share": _share(row["booked"], row["visits"])} for row in figures}


def booked_visit_share_by_month(institution_ids, start: date, end: date) -> list[dict]:
    """Rows of clinic, month, visits, booked visits and share, oldest month first."""
    figures = (_visits(institution_ids, start, end).filter(ARRIVED)
               .annotate(month=TruncMonth("session__date"))
               .values("session__clinic_id", "session__clinic__name", "month")
               .annotate(visits=Count("pk"), booked=Count("pk", filter=BOOKED_AHEAD))
               .order_by("session__clinic__name", "month"))
    return [{"clinic_id": r["session__clinic_id"], "clinic": r["session__clinic__name"], "month": r["month"],
             "visits": r["visits"], "booked": r["booked"], "share": _share(r["booked"], r["visits"])}
            for r in figures]


def no_show_rate(institution_ids, start: date, end: date) -> list[dict]:
    """Rows of clinic, session type, bookings that came due, no-shows and their rate."""
    due = Q(status__in=[Booking.Status.ARRIVED, Booking.Status.NO_SHOW])
    figures = (_visits(institution_ids, start, end).filter(due & BOOKED_AHEAD)
               .values("session__clinic_id", "session__clinic__name", "session__session_type")
               .annotate(due=Count("pk"), no_show=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)))
               .order_by("session__clinic__name", "session__session_type"))
    return [{"clinic_id": r["session__clinic_id"], "clinic": r["session__clinic__name"],
             "session_type": r["session__session_type"], "due": r["due"], "no_show": r["no_show"],
             "rate": _share(r["no_show"], r["due"])} for r in figures]
