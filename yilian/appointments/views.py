"""Full-appointment mode: the residents' public, phone-first pages and the clinic's desk.

Public pages read the clinic and its sessions directly (residents have no scope) and show only what
the clinic publishes. A booking page opens only in the browser that made or found the booking (the
codes it knows are kept in its session), so a code alone shows nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, scope_for
from yilian.familydoctor.models import Team
from yilian.network.models import Institution
from yilian.support.forms_visits import add_service_error

from . import selectors, services
from .forms import BookingForm, ClosureForm, FindForm, PublishForm, ScheduleForm, StaffBookingForm
from .models import Booking, Schedule, Session, SessionType

MY_BOOKINGS = "yilian_bookings"
COOKIE_AGE = 120 * 24 * 3600  # a booking can be months ahead

# ----------------------------------------------------------------------------- public pages


def _public_clinic(clinic_id) -> Institution:
    return get_object_or_404(Institution.objects.select_related("region"), pk=clinic_id,
                             kind__in=Institution.GRASSROOTS_KINDS)


def _my_codes(request) -> list[str]:
    raw = request.get_signed_cookie(MY_BOOKINGS, default="", salt=MY_BOOKINGS, max_age=COOKIE_AGE)
    return [c for c in raw.split(",") if c]


def _remember(request, response, code):
    """A signed cookie, not a server session: no database write for a resident's browser."""
    codes = [c for c in _my_codes(request) if c != code][-19:]
    response.set_signed_cookie(MY_BOOKINGS, ",".join([*codes, code]), salt=MY_BOOKINGS, max_age=COOKIE_AGE,
                               httponly=True, samesite="Lax", secure=request.is_secure())
    return response


def _my_booking(request, clinic, code) -> Booking:
    code = services.normalize_code(code)
    if code not in _my_codes(request):
        raise Http404
    return get_object_or_404(Booking.objects.select_related("session__doctor", "session__team", "session__clinic"),
                             code=code, session__clinic=clinic)


def public_clinic(request, clinic_id):
    """The clinic's bookable sessions of the coming days, by type."""
    clinic = _public_clinic(clinic_id)
    kind = request.GET.get("type", "")
    kind = kind if kind in SessionType.values else ""
    sessions = services.open_sessions(clinic, session_type=kind)
    days = list(sessions.filter(left__gt=0).values_list("date", flat=True).distinct().order_by("date")[:14])
    day = _day(request.GET.get("day")) if request.GET.get("day") else (days[0] if days else timezone.localdate())
    return render(request, "appointments/public/clinic.html", {
        "clinic": clinic, "sessions": sessions.filter(date=day)[:100], "kind": kind, "types": SessionType.choices,
        "days": days, "day": day})


def public_book(request, clinic_id, session_id):
    session = get_object_or_404(Session.objects.select_related("clinic__region", "doctor__hospital", "team"),
                                pk=session_id, clinic_id=clinic_id, clinic__kind__in=Institution.GRASSROOTS_KINDS)
    form = BookingForm(request.POST or None)
    places_left = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.booking_create(session=session, **form.cleaned_data)
        except services.SessionFull as exc:
            add_service_error(form, exc)
            places_left = 0  # no need to count again
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _remember(request, redirect("public-appointment", clinic_id=clinic_id, code=result.obj.code),
                             result.obj.code)
    if places_left is None:
        places_left = max(session.capacity - services.taken_places(session), 0)
    return render(request, "appointments/public/book.html", {
        "clinic": session.clinic, "session": session, "form": form, "places_left": places_left})


def public_booking(request, clinic_id, code):
    clinic = _public_clinic(clinic_id)
    booking = _my_booking(request, clinic, code)
    return render(request, "appointments/public/booking.html", {"clinic": clinic, "booking": booking})


def public_find(request, clinic_id):
    """Code and phone open a booking; a wrong code and a wrong phone get the same answer."""
    clinic = _public_clinic(clinic_id)
    form = FindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_find(**form.cleaned_data)
            if booking.session.clinic_id != clinic.pk:
                raise ValidationError({"code": _(services.NOT_FOUND)})
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _remember(request, redirect("public-appointment", clinic_id=clinic.pk, code=booking.code),
                             booking.code)
    return render(request, "appointments/public/find.html", {"clinic": clinic, "form": form})


@require_POST
def public_cancel(request, clinic_id, code):
    clinic = _public_clinic(clinic_id)
    booking = _my_booking(request, clinic, code)
    try:
        services.booking_cancel(code=booking.code, phone=booking.phone)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Booking %(code)s is cancelled.") % {"code": booking.code})
    return redirect("public-appointment", clinic_id=clinic.pk, code=booking.code)


def public_reschedule(request, clinic_id, code):
    clinic = _public_clinic(clinic_id)
    booking = _my_booking(request, clinic, code)
    sessions = services.open_sessions(clinic, session_type=booking.session.session_type).exclude(
        pk=booking.session_id)[:100]
    if request.method == "POST":
        target = Session.objects.filter(pk=request.POST.get("session") or 0, clinic=clinic).first()
        try:
            if target is None:
                raise ValidationError(_("Choose a session."))
            services.booking_reschedule(code=booking.code, phone=booking.phone, session=target)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Booking %(code)s is moved.") % {"code": booking.code})
            return redirect("public-appointment", clinic_id=clinic.pk, code=booking.code)
    return render(request, "appointments/public/reschedule.html", {
        "clinic": clinic, "booking": booking, "sessions": sessions})


# ------------------------------------------------------------------------- the clinic's desk


def _day(raw):
    try:
        return parse_date(raw or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _managed_clinics(user):
    """Grassroots institutions whose schedule the user runs: their own clinic, their region's."""
    scope = scope_for(user)
    clinics = Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS)
    if scope.is_admin:
        return clinics
    q = Q(pk__in=scope.clinic_ids)
    for path in scope.region_paths:
        q |= Q(region__path__startswith=path)
    return clinics.filter(q)


@login_required
def desk(request):
    """The day's sessions of the clinic: who is booked, check-in, and booking for callers and walk-ins."""
    day = _day(request.GET.get("date"))
    clinics = _managed_clinics(request.user).order_by("name")
    clinic = _chosen_clinic(request, clinics)
    sessions = (Session.objects.for_user(request.user, CHANGE).filter(date=day, clinic=clinic)
                .exclude(session_type=SessionType.VISITING_EXPERT)
                .select_related("clinic", "team")
                .prefetch_related(Prefetch("bookings", queryset=Booking.objects.order_by("status", "created_at")))
                .order_by("clinic__name", "starts"))
    form = StaffBookingForm(request.POST or None, sessions=sessions.filter(cancelled=False))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.booking_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Booked: code %(code)s.") % {"code": result.obj.code})
            return redirect(f"{request.path}?clinic={clinic.pk}&date={day.isoformat()}")
    return render(request, "appointments/desk.html", {
        "day": day, "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "sessions": sessions, "form": form, "clinic": clinic, "clinics": clinics[:200]})


def _chosen_clinic(request, clinics):
    """The clinic of ?clinic= among those the user runs (any other is 404, never silently the user's
    own); without one, the first of them (a clinic's staff has one)."""
    raw = request.GET.get("clinic", "").strip()
    if not raw:
        return clinics.first()
    chosen = clinics.filter(pk=int(raw)).first() if raw.isdigit() else None
    if chosen is None:
        raise Http404
    return chosen


@login_required
@require_POST
def mark(request, pk):
    booking = Booking.objects.select_related("session__doctor").get_for_user_or_404(request.user, CHANGE, pk=pk)
    try:
        services.booking_mark(by=request.user, booking=booking, status=request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    clinic_id = booking.session.clinic_id
    # back to that clinic's desk; an expert's hospital may mark a booking at a clinic it does not run
    clinic = f"clinic={clinic_id}&" if _managed_clinics(request.user).filter(pk=clinic_id).exists() else ""
    return redirect(f"{reverse('appointment-desk')}?{clinic}date={booking.session.date.isoformat()}")


@login_required
def schedules(request):
    clinics = _managed_clinics(request.user)
    if not clinics.exists():
        raise Http404
    form = ScheduleForm(request.POST or None, clinics=clinics, teams=Team.objects.filter(clinic__in=clinics))
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_save(by=request.user, schedule=form.instance)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Schedule saved; publish it to open its slots."))
            return redirect("appointment-schedules")
    rows = Schedule.objects.for_user(request.user).select_related("clinic", "team")
    today = timezone.localdate()
    return render(request, "appointments/schedules.html", {
        "form": form, "schedules": rows, "closure_form": ClosureForm(clinics=clinics),
        "publish_form": PublishForm(initial={"start": today, "end": today + timedelta(days=13)})})


@login_required
@require_POST
def publish(request, pk):
    schedule = Schedule.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        count = services.schedule_publish(by=request.user, schedule=schedule, **form.cleaned_data)
        messages.success(request, _("%(n)s slots opened for booking.") % {"n": count})
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("appointment-schedules")


@login_required
@require_POST
def closure_new(request):
    form = ClosureForm(request.POST, clinics=_managed_clinics(request.user))
    if form.is_valid():
        try:
            told = services.closure_create(by=request.user, closure=form.instance)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Closure saved; %(n)s booked residents are told.") % {"n": told})
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("appointment-schedules")


@login_required
def measure(request):
    """全预约: the share of visits that were booked, by clinic and month; no-shows by clinic and session type."""
    today = timezone.localdate()
    start = _day(request.GET.get("start")) if request.GET.get("start") else today.replace(day=1) - timedelta(days=150)
    end = _day(request.GET.get("end")) if request.GET.get("end") else today
    clinic_ids = list(Institution.objects.for_user(request.user).filter(
        kind__in=Institution.GRASSROOTS_KINDS).values_list("pk", flat=True))
    types = dict(SessionType.choices)
    no_shows = [{**row, "type_label": types.get(row["session_type"], row["session_type"])}
                for row in selectors.no_show_rate(clinic_ids, start, end)]
    return render(request, "appointments/measure.html", {
        "start": start, "end": end, "shares": selectors.booked_visit_share_by_month(clinic_ids, start, end),
        "no_shows": no_shows})
