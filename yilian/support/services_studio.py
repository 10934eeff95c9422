"""The expert studio (支援专家工作室): residents book a visiting expert's session; the clinic runs it.

Bookings come from the public page (no login, ``by`` is None). Taking a place is race-safe: the
session row is locked (select_for_update; on SQLite the IMMEDIATE transaction serialises writers)
and the places are counted inside the same transaction.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.appointments import services as appointments
from yilian.appointments.models import SessionType
from yilian.appointments.services import (  # noqa: F401  (the studio's public names)
    CODE_ALPHABET,
    CODE_LENGTH,
    Result,
    booking_cancel,
    booking_create,
    booking_find,
    booking_mark,
    new_code,
    normalize_code,
    normalize_phone,
    session_end,
    session_start,
    taken_places,
)
from yilian.core.scoping import CHANGE, scope_for
from yilian.core.services import save_validated
from yilian.network.models import Institution, Pairing

from .models import Assignment, Booking, Doctor, ExpertSession

HORIZON_DAYS = 56  # the studio shows who comes in the next eight weeks


# ----------------------------------------------------------------------------- clinic side


def may_manage(user, clinic: Institution, doctor: Doctor) -> bool:
    """Clinic staff, the expert's hospital coordinator and the region's supervisors run sessions."""
    scope = scope_for(user)
    return (scope.is_admin or clinic.pk in scope.clinic_ids or doctor.hospital_id in scope.hospital_ids
            or any(clinic.region.path.startswith(p) for p in scope.region_paths))


def _plan_for(doctor: Doctor, clinic: Institution, day):
    """The assignment of the day at this clinic; a date off the plan is refused when there is a plan."""
    planned = Assignment.objects.filter(doctor=doctor, status=Assignment.Status.PLANNED)
    elsewhere = planned.filter(date=day).exclude(agreement__pairing__clinic=clinic).select_related(
        "agreement__pairing__clinic").first()
    if elsewhere is not None:
        raise ValidationError({"date": _("%(doctor)s is planned at %(clinic)s on %(date)s.") % {
            "doctor": doctor.name, "clinic": elsewhere.agreement.pairing.clinic.display_name, "date": day}})
    here = planned.filter(agreement__pairing__clinic=clinic)
    match = here.filter(date=day).first()
    if match is None:
        coming = list(here.filter(date__gte=timezone.localdate()).values_list("date", flat=True)[:5])
        if coming:
            raise ValidationError({"date": _(
                "%(doctor)s comes to %(clinic)s on %(dates)s; a session must be on one of these days.") % {
                "doctor": doctor.name, "clinic": clinic.display_name,
                "dates": ", ".join(d.isoformat() for d in coming)}})
    return match


def session_create(*, by, clinic: Institution, doctor: Doctor, date, starts, ends, capacity) -> ExpertSession:
    """Open a visiting expert's session for booking, on a day the expert is planned at the clinic."""
    if not may_manage(by, clinic, doctor):
        raise Http404
    if not clinic.is_grassroots:
        raise ValidationError({"clinic": _("Expert sessions are held at grassroots institutions.")})
    if not doctor.active:
        raise ValidationError({"doctor": _("%(doctor)s is no longer active.") % {"doctor": doctor.name}})
    if date and date < timezone.localdate():
        raise ValidationError({"date": _("A session cannot be in the past.")})
    if date and not Pairing.all_rows.filter(hospital_id=doctor.hospital_id, clinic=clinic).active_on(date).exists():
        raise ValidationError({"doctor": _("%(hospital)s does not support %(clinic)s on that date.") % {
            "hospital": doctor.hospital.display_name, "clinic": clinic.display_name}})
    if starts and ends and starts >= ends:
        raise ValidationError({"ends": _("The session ends before it starts.")})
    session = ExpertSession(clinic=clinic, doctor=doctor, date=date, starts=starts, ends=ends, capacity=capacity)
    session.assignment = _plan_for(doctor, clinic, date)
    overlapping = ExpertSession.objects.filter(doctor=doctor, date=date, cancelled=False,
                                               starts__lt=ends, ends__gt=starts).first()
    if overlapping is not None:
        raise ValidationError({"starts": _("%(doctor)s already has a session from %(start)s to %(end)s.") % {
            "doctor": doctor.name, "start": overlapping.starts.strftime("%H:%M"),
            "end": overlapping.ends.strftime("%H:%M")}})
    return save_validated(session, by)


def session_cancel(*, by, session: ExpertSession) -> int:
    """Cancel a session and its bookings; the residents booked are told by SMS. Returns how many."""
    if not ExpertSession.objects.for_user(by, CHANGE).filter(pk=session.pk).exists():
        raise Http404
    if session.cancelled:
        return 0
    with transaction.atomic():
        session.cancelled = True
        save_validated(session, by)
        bookings = list(session.bookings.filter(status=Booking.Status.BOOKED))
        for booking in bookings:
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = timezone.now()
            save_validated(booking, by)
            booking.session = session
            appointments.tell_resident(booking, "appointments.session-cancelled", _(
                "%(clinic)s: the session of %(when)s, %(what)s, is cancelled; booking %(code)s with it. "
                "Please book another time."))
    return len(bookings)


# ---------------------------------------------------------------------------- public reads


def coming_experts(clinic: Institution, today=None) -> list[dict]:
    """The experts planned at the clinic in the coming weeks, each with their next day there."""
    today = today or timezone.localdate()
    planned = (Assignment.objects.filter(agreement__pairing__clinic=clinic, status=Assignment.Status.PLANNED,
                                         date__gte=today, date__lte=today + timedelta(days=HORIZON_DAYS),
                                         doctor__active=True)
               .select_related("doctor__hospital").order_by("date", "doctor__name"))
    experts: dict[int, dict] = {}
    for assignment in planned:
        entry = experts.setdefault(assignment.doctor_id, {"doctor": assignment.doctor, "next": assignment.date,
                                                          "days": []})
        entry["days"].append(assignment.date)
    return list(experts.values())


def open_sessions(clinic: Institution, now=None):
    """Sessions residents may still book or see: not cancelled and not over, with the places taken."""
    now = timezone.localtime(now or timezone.now())
    return (ExpertSession.objects.filter(clinic=clinic, cancelled=False)
            .filter(Q(date__gt=now.date()) | Q(date=now.date(), ends__gt=now.time()))
            .select_related("doctor__hospital")
            .annotate(taken=Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE)))
            .annotate(left=F("capacity") - F("taken"))
            .order_by("date", "starts"))


def demo_open_sessions(today=None, days: int = 14, capacity: int = 10) -> int:
    """Demo: a morning session for every planned expert day of the coming two weeks (safe to run again)."""
    today = today or timezone.localdate()
    planned = (Assignment.objects.filter(status=Assignment.Status.PLANNED, date__gte=today,
                                         date__lte=today + timedelta(days=days), sessions__isnull=True)
               .select_related("agreement__pairing"))
    sessions = [ExpertSession(clinic_id=a.agreement.pairing.clinic_id, doctor_id=a.doctor_id, assignment=a,
                              date=a.date, starts=time(9, 0), ends=time(11, 30), capacity=capacity,
                              session_type=SessionType.VISITING_EXPERT)
                for a in planned]
    ExpertSession.objects.bulk_create(sessions)
    return len(sessions)
