"""Booking, rescheduling, check-in, schedules and closures of the full-appointment mode.

Taking a place is race-safe on SQLite and PostgreSQL: the session row is locked
(``select_for_update``; on SQLite the IMMEDIATE transaction serialises writers) and the places are
counted inside the same transaction, so the last place is never given twice. Every refusal is a
translated ``ValidationError`` raised before anything is saved.
"""

from __future__ import annotations

import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, scope_for
from yilian.core.services import save_validated
from yilian.notices.services import notify_contact
from yilian.support import calendar

from .models import Booking, Closure, Schedule, Session, SessionType

# No 0/O, 1/I/L: a resident reads the code out over the phone or copies it from a screenshot.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 codes: not guessable, and the phone is asked for as well
MOBILE = re.compile(r"^1[3-9]\d{9}$")
NOT_FOUND = "No booking matches this code and phone number."


_SQLITE_WRITER = threading.Lock()


@contextmanager
def place_lock():
    """On SQLite, a process's bookings queue on a lock of its own before BEGIN IMMEDIATE.

    SQLite lets one writer in at a time and makes the others poll the file lock with growing sleeps
    (up to 100 ms each); when booking opens, that polling, not the work, is what residents wait for.
    Threads of one server process now take turns at once; other processes still meet at the file
    lock. PostgreSQL needs nothing of this: its row lock (select_for_update) queues waiters itself.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
        yield


@dataclass
class Result:
    obj: object
    created: bool


class SessionFull(ValidationError):
    """The clear "full" answer (the booking burst counts these)."""


# --------------------------------------------------------------------------------- values


def normalize_phone(raw) -> str:
    """A mainland mobile number, with spaces, dashes and a +86 prefix tolerated."""
    phone = re.sub(r"[\s\-()]", "", str(raw or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if not MOBILE.match(phone):
        raise ValidationError({"phone": _("Enter a mainland mobile number of 11 digits, e.g. 13812345678.")})
    return phone


def normalize_code(raw) -> str:
    return re.sub(r"[\s\-]", "", str(raw or "")).upper()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _unused_code() -> str:
    while True:
        code = new_code()
        if not Booking.objects.filter(code=code).exists():
            return code


def session_start(session: Session) -> datetime:
    return timezone.make_aware(datetime.combine(session.date, session.starts))


def session_end(session: Session) -> datetime:
    return timezone.make_aware(datetime.combine(session.date, session.ends))


def taken_places(session: Session) -> int:
    return session.bookings.filter(status__in=Booking.ACTIVE).count()


def closure_on(clinic_id: int, day: date) -> Closure | None:
    return Closure.objects.filter(clinic_id=clinic_id, start__lte=day, end__gte=day).first()


# ------------------------------------------------------------------------------- booking


def is_contracted(session: Session, phone: str) -> bool:
    """The resident with this phone has an active contract with the session's family-doctor team."""
    if not session.team_id:
        return False
    from yilian.familydoctor.models import Contract

    return Contract.objects.filter(team_id=session.team_id, status=Contract.Status.ACTIVE,
                                    resident__phone=phone, start__lte=session.date,
                                    end__gte=session.date).exists()


def _check_bookable(session: Session, *, walk_in: bool = False):
    if session.cancelled:
        raise ValidationError({"session": _("This session was cancelled.")})
    over = session.date < timezone.localdate() if walk_in else session_end(session) <= timezone.now()
    if over:
        raise ValidationError({"session": _("This session is over; choose a coming one.")})
    closure = closure_on(session.clinic_id, session.date)
    if closure is not None:
        raise ValidationError({"session": _("The clinic is closed on %(date)s: %(reason)s") % {
            "date": session.date.isoformat(), "reason": closure.reason}})


def _check_place(session: Session, *, priority: bool, walk_in: bool = False):
    """Counted under the session's lock. Contracted residents may also use the places kept for them."""
    if walk_in:
        return
    taken = session.bookings.filter(status__in=Booking.ACTIVE).aggregate(
        all=Count("pk"), open=Count("pk", filter=Q(priority=False)))
    if taken["all"] >= session.capacity:
        raise SessionFull({"session": _("This session is full; choose another one.")})
    open_places = session.capacity - session.priority_places
    if not priority and taken["open"] >= open_places:
        raise SessionFull({"session": _("This session is full; the remaining places are kept for the "
                                        "family-doctor team's contracted residents.")})


def _check_not_booked(session: Session, phone: str, exclude_pk=None):
    others = session.bookings.filter(phone=phone, status__in=Booking.ACTIVE).exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"phone": _("This phone number already has a booking for this session.")})


def client_key_used(client_key) -> bool:
    return bool(client_key) and Booking.objects.filter(client_key=client_key).exists()


def _replay(client_key, session, phone) -> Result | None:
    earlier = Booking.objects.filter(client_key=client_key).first() if client_key else None
    if earlier is None:
        return None
    if earlier.session_id != session.pk or earlier.phone != phone:
        raise ValidationError({"client_key": _("This form was already used; reload the page.")})
    return Result(earlier, created=False)


def booking_create(*, by=None, session: Session, name: str, phone: str, reason: str = "",
                   client_key: str | None = None, channel: str = Booking.Channel.ONLINE) -> Result:
    """Take a place in a session. The same form sent again (same key) returns the first booking.

    ``by`` is None on the public pages; clinic staff book phone callers and register walk-ins
    (a walk-in has arrived already, and is a visit that was not booked).
    """
    phone = normalize_phone(phone)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter your name.")})
    if by is not None and not Session.objects.for_user(by, CHANGE).filter(pk=session.pk).exists():
        raise Http404
    walk_in = channel == Booking.Channel.WALK_IN
    if not walk_in and not client_key_used(client_key) and taken_places(session) >= session.capacity:
        # Answered without the write lock: when booking opens, most attempts come after the last place
        # went. Places only come back by cancellation, so "full" is true at this instant; the count
        # that gives a place is the one under the lock below.
        raise SessionFull({"session": _("This session is full; choose another one.")})
    replayed = _replay(client_key, session, phone)
    if replayed is not None:
        return replayed
    booking = _validated_booking(session, name=name, phone=phone, reason=reason, client_key=client_key,
                                 channel=channel, by=by)
    with place_lock(), transaction.atomic():
        # From here to the commit the session's row is locked and every other booking of it waits:
        # only what must be counted under the lock happens here, everything else was checked above.
        session = Session.objects.select_for_update().get(pk=session.pk)
        replayed = _replay(client_key, session, phone)
        if replayed is not None:
            return replayed
        if session.cancelled:  # cancelled by the clinic a moment ago
            raise ValidationError({"session": _("This session was cancelled.")})
        _check_not_booked(session, phone)
        _check_place(session, priority=booking.priority, walk_in=walk_in)
        booking.session = session
        try:
            with transaction.atomic():
                booking._history_user = by
                booking.save()
        except IntegrityError as exc:  # the same phone, or the same form, in a concurrent request
            replayed = _replay(client_key, session, phone)
            if replayed is not None:
                return replayed
            raise ValidationError({"phone": _("This phone number already has a booking for this session.")}) from exc
        if not walk_in:
            tell_resident(booking, "appointments.booked", _("%(clinic)s: booked %(when)s, %(what)s. Code %(code)s."))
    return Result(booking, created=True)


def _validated_booking(session: Session, *, name, phone, reason, client_key, channel, by) -> Booking:
    """The booking as it will be saved, checked before the session is locked. The uniqueness of the
    phone, code and form key is checked again by the database when it is saved."""
    walk_in = channel == Booking.Channel.WALK_IN
    _check_bookable(session, walk_in=walk_in)
    _check_not_booked(session, phone)
    now = timezone.now()
    booking = Booking(session=session, code=_unused_code(), name=name, phone=phone, channel=channel,
                      reason=(reason or "").strip(), client_key=client_key or None,
                      priority=is_contracted(session, phone),
                      status=Booking.Status.ARRIVED if walk_in else Booking.Status.BOOKED,
                      arrived_at=now if walk_in else None)
    booking.full_clean(validate_unique=False, validate_constraints=False)
    return booking


def tell_resident(booking: Booking, kind: str, template: str, *, essential: bool = True, dedupe: str = ""):
    session = booking.session
    text = template % {"clinic": session.clinic.display_name, "code": booking.code, "what": session.label,
                       "when": f"{session.date:%m-%d} {session.starts:%H:%M}"}
    notify_contact(phone=booking.phone, kind=kind, text=text, essential=essential,
                   dedupe_key=dedupe or f"{kind}:{booking.pk}:{session.pk}")


def booking_find(*, code, phone) -> Booking:
    """The booking a resident names by code and phone; the same message for a wrong code or a wrong phone."""
    code = normalize_code(code)
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        phone = ""
    booking = Booking.objects.select_related("session__clinic", "session__doctor").filter(
        code=code, phone=phone).first() if code and phone else None
    if booking is None:
        raise ValidationError({"code": _(NOT_FOUND)})
    return booking


def _lock_booked(booking: Booking) -> Booking:
    booking = Booking.objects.select_for_update().select_related("session__clinic").get(pk=booking.pk)
    if booking.status == Booking.Status.CANCELLED:
        raise ValidationError({"code": _("This booking is already cancelled.")})
    if booking.status != Booking.Status.BOOKED:
        raise ValidationError({"code": _("This booking was checked in at the clinic; it can no longer be changed.")})
    if session_start(booking.session) <= timezone.now():
        raise ValidationError({"code": _("This session has already begun; the booking can no longer be "
                                          "changed online.")})
    return booking


def booking_cancel(*, by=None, code, phone) -> Booking:
    with transaction.atomic():
        booking = _lock_booked(booking_find(code=code, phone=phone))
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = timezone.now()
        return save_validated(booking, by)


def booking_reschedule(*, by=None, code, phone, session: Session) -> Booking:
    """Move a booking to another session of the same clinic; the code stays the same."""
    with transaction.atomic():
        booking = _lock_booked(booking_find(code=code, phone=phone))
        if session.clinic_id != booking.session.clinic_id:
            raise ValidationError({"session": _("Choose a session of the same clinic.")})
        if session.pk == booking.session_id:
            raise ValidationError({"session": _("The booking is already in this session.")})
        target = Session.objects.select_for_update().get(pk=session.pk)
        _check_bookable(target)
        _check_not_booked(target, booking.phone, exclude_pk=booking.pk)
        priority = is_contracted(target, booking.phone)
        _check_place(target, priority=priority)
        booking.session, booking.priority, booking.reminded_at = target, priority, None
        save_validated(booking, by)
        tell_resident(booking, "appointments.rescheduled",
                      _("%(clinic)s: booking %(code)s moved to %(when)s, %(what)s."))
    return booking


# ----------------------------------------------------------------------------- clinic side


def booking_mark(*, by, booking: Booking, status: str) -> Booking:
    """Check a resident in on arrival, or record a no-show, from the day of the session."""
    if not Booking.objects.for_user(by, CHANGE).filter(pk=booking.pk).exists() and not (
            booking.session.doctor_id and booking.session.doctor.user_id == by.pk):
        raise Http404
    if status not in (Booking.Status.ARRIVED, Booking.Status.NO_SHOW):
        raise ValidationError({"status": _("Mark the resident as arrived or as a no-show.")})
    if booking.status == Booking.Status.CANCELLED:
        raise ValidationError({"status": _("The resident cancelled this booking.")})
    if booking.session.date > timezone.localdate():
        raise ValidationError({"status": _("Arrivals are recorded from the day of the session.")})
    booking.status = status
    booking.arrived_at = timezone.now() if status == Booking.Status.ARRIVED else None
    return save_validated(booking, by)


def may_manage_clinic(user, clinic) -> bool:
    """The clinic's staff and the region's supervisors run its schedule."""
    scope = scope_for(user)
    return scope.is_admin or clinic.pk in scope.clinic_ids or any(
        clinic.region.path.startswith(p) for p in scope.region_paths)


def schedule_save(*, by, schedule: Schedule) -> Schedule:
    if not may_manage_clinic(by, schedule.clinic):
        raise Http404
    if not schedule.clinic.is_grassroots:
        raise ValidationError({"clinic": _("Appointments are for grassroots institutions.")})
    if schedule.session_type == SessionType.VISITING_EXPERT:
        raise ValidationError({"session_type": _("Visiting experts' sessions are opened in the expert studio.")})
    if schedule.team_id and schedule.team.clinic_id != schedule.clinic_id:
        raise ValidationError({"team": _("The team belongs to another clinic.")})
    if schedule.priority_places and not schedule.team_id:
        raise ValidationError({"priority_places": _("Places kept for contracted residents need a family-doctor "
                                                    "team.")})
    if not schedule.weekdays or set(schedule.weekdays) - set("1234567"):
        raise ValidationError({"weekdays": _("Use the digits 1 (Monday) to 7 (Sunday), e.g. 12345.")})
    return save_validated(schedule, by)


def _slots(schedule: Schedule):
    start = datetime.combine(date.min, schedule.starts)
    step = timedelta(minutes=schedule.slot_minutes)
    while (start + step).time() <= schedule.ends and start + step > start:
        yield start.time(), (start + step).time()
        start += step


def schedule_publish(*, by=None, schedule: Schedule, start: date, end: date) -> int:
    """Open the schedule's slots on the working days (official calendar) between start and end.

    Closure days are skipped; slots that exist already are left alone, so publishing again is safe.
    """
    if by is not None and not Schedule.objects.for_user(by, CHANGE).filter(pk=schedule.pk).exists():
        raise Http404
    start = max(start, timezone.localdate())
    closed = list(Closure.objects.filter(clinic_id=schedule.clinic_id, start__lte=end, end__gte=start))
    existing = set(schedule.sessions.filter(date__gte=start, date__lte=end).values_list("date", "starts"))
    rows = []
    for day in calendar.workdays(start, end):
        if str(day.isoweekday()) not in schedule.weekdays or any(c.start <= day <= c.end for c in closed):
            continue
        rows += [Session(clinic_id=schedule.clinic_id, session_type=schedule.session_type, schedule=schedule,
                         team_id=schedule.team_id, date=day, starts=s, ends=e, capacity=schedule.capacity,
                         priority_places=schedule.priority_places)
                 for s, e in _slots(schedule) if (day, s) not in existing]
    Session.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def closure_create(*, by, closure: Closure) -> int:
    """Close a clinic for some days: its sessions are cancelled and the residents booked are told."""
    if not may_manage_clinic(by, closure.clinic):
        raise Http404
    if closure.start and closure.start < timezone.localdate():
        raise ValidationError({"start": _("A closure cannot start in the past.")})
    with transaction.atomic():
        save_validated(closure, by)
        sessions = Session.objects.filter(clinic_id=closure.clinic_id, date__gte=closure.start,
                                          date__lte=closure.end, cancelled=False)
        told = 0
        for booking in Booking.objects.filter(session__in=sessions, status=Booking.Status.BOOKED).select_related(
                "session__clinic"):
            booking.status, booking.cancelled_at = Booking.Status.CANCELLED, timezone.now()
            save_validated(booking, by)
            tell_resident(booking, "appointments.closed", _(
                "%(clinic)s is closed on %(when)s; booking %(code)s is cancelled. Please book another day."))
            told += 1
        sessions.update(cancelled=True)
    return told


# ------------------------------------------------------------------------------ reminders


def send_reminders(day: date | None = None) -> int:
    """Remind everyone booked for ``day`` (tomorrow by default). Safe to run again: once per booking."""
    day = day or timezone.localdate() + timedelta(days=1)
    due = Booking.objects.filter(session__date=day, session__cancelled=False, status=Booking.Status.BOOKED,
                                 reminded_at__isnull=True).select_related("session__clinic", "session__doctor")
    count = 0
    for booking in due:
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                    reminded_at=timezone.now()) == 0:
                continue  # another run took it
            tell_resident(booking, "appointments.reminder",
                          _("Reminder: %(clinic)s, %(when)s, %(what)s. Code %(code)s."),
                          dedupe=f"appointments.reminder:{booking.pk}:{day.isoformat()}")
            count += 1
    return count


# ----------------------------------------------------------------------------- public reads


def open_sessions(clinic, now=None, session_type: str = ""):
    """Sessions residents may still book or see: not cancelled and not over, with the places left."""
    now = timezone.localtime(now or timezone.now())
    rows = (Session.objects.filter(clinic=clinic, cancelled=False)
            .filter(Q(date__gt=now.date()) | Q(date=now.date(), ends__gt=now.time()))
            .select_related("doctor__hospital", "team")
            .annotate(taken=Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE)))
            .annotate(left=F("capacity") - F("taken"))
            .order_by("date", "starts"))
    return rows.filter(session_type=session_type) if session_type else rows
