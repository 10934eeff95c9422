"""The expert studio: public pages for residents (no login, no JavaScript needed) and the clinic's side.

The public pages read the clinic, its experts and sessions directly (residents have no scope) and
show only what the clinic publishes: the expert's name, title, specialty, hospital and days.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, scope_for
from yilian.network.models import Institution, Pairing

from . import services_studio as services
from .forms_visits import KeyedForm, add_service_error
from .models import Assignment, Booking, Doctor, ExpertSession

# ------------------------------------------------------------------------------------ forms


class BookingForm(KeyedForm):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    reason = forms.CharField(label=gettext_lazy("Reason for the visit"), max_length=200, required=False)

    def clean_phone(self):
        try:
            return services.normalize_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["phone"]) from exc


class CancelForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Booking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))
    phone = forms.CharField(label=gettext_lazy("Mobile number used for the booking"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class SessionForm(forms.Form):
    clinic = forms.ModelChoiceField(label=gettext_lazy("Clinic"), queryset=Institution.objects.none())
    doctor = forms.ModelChoiceField(label=gettext_lazy("Expert"), queryset=Doctor.objects.none())
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    starts = forms.TimeField(label=gettext_lazy("Starts"), widget=TimeInput(format="%H:%M"))
    ends = forms.TimeField(label=gettext_lazy("Ends"), widget=TimeInput(format="%H:%M"))
    capacity = forms.IntegerField(label=gettext_lazy("Places"), min_value=1, max_value=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = _managed_clinics(user)
        self.fields["clinic"].queryset = clinics
        hospitals = Pairing.all_rows.filter(clinic__in=clinics).values("hospital_id")
        self.fields["doctor"].queryset = Doctor.objects.for_user(user).filter(
            active=True, hospital_id__in=hospitals).select_related("hospital").order_by("hospital__name", "name")


def _managed_clinics(user):
    """Grassroots institutions where the user may open sessions: their own, their hospital's, their region's."""
    scope = scope_for(user)
    clinics = Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS)
    if scope.is_admin:
        return clinics
    q = Q(pk__in=scope.clinic_ids) | Q(pk__in=Pairing.all_rows.filter(
        hospital_id__in=scope.hospital_ids).values("clinic_id"))
    for path in scope.region_paths:
        q |= Q(region__path__startswith=path)
    return clinics.filter(q)


# ----------------------------------------------------------------------------- public pages


def _public_clinic(clinic_id) -> Institution:
    return get_object_or_404(Institution.objects.select_related("region"), pk=clinic_id,
                             kind__in=Institution.GRASSROOTS_KINDS)


def studio(request, clinic_id):
    """支援专家工作室: who comes when, and the sessions residents may book."""
    clinic = _public_clinic(clinic_id)
    return render(request, "support/studio/studio.html", {
        "clinic": clinic, "experts": services.coming_experts(clinic), "sessions": services.open_sessions(clinic),
    })


def _public_session(clinic, session_id) -> ExpertSession:
    return get_object_or_404(ExpertSession.objects.select_related("doctor__hospital", "clinic"),
                             pk=session_id, clinic=clinic)


def book(request, clinic_id, session_id):
    clinic = _public_clinic(clinic_id)
    session = _public_session(clinic, session_id)
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.booking_create(session=session, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("studio-booked", clinic_id=clinic.pk, code=result.obj.code)
    return render(request, "support/studio/book.html", {
        "clinic": clinic, "session": session, "form": form,
        "places_left": max(session.capacity - services.taken_places(session), 0),
    })


def booked(request, clinic_id, code):
    """The booking's code and details; the phone and name are masked (the code alone is no secret of them)."""
    clinic = _public_clinic(clinic_id)
    booking = get_object_or_404(Booking.objects.select_related("session__doctor__hospital"),
                                code=services.normalize_code(code), session__clinic=clinic)
    return render(request, "support/studio/booked.html", {"clinic": clinic, "booking": booking})


def cancel(request, clinic_id):
    clinic = _public_clinic(clinic_id)
    form = CancelForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_find(**form.cleaned_data)
            if booking.session.clinic_id != clinic.pk:
                raise ValidationError({"code": _("No booking matches this code and phone number.")})
            booking = services.booking_cancel(**form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Booking %(code)s is cancelled.") % {"code": booking.code})
            return redirect("studio-booked", clinic_id=clinic.pk, code=booking.code)
    return render(request, "support/studio/cancel.html", {"clinic": clinic, "form": form})


# ------------------------------------------------------------------------- the clinic's side


def _day(raw):
    try:
        return parse_date(raw or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
def manage(request):
    """The booking list of a day for the clinic, the expert and the hospital."""
    day = _day(request.GET.get("date"))
    bookings = Booking.objects.order_by("status", "created_at")
    sessions = (ExpertSession.objects.for_user(request.user).filter(date=day)
                .select_related("doctor__hospital", "clinic")
                .prefetch_related(Prefetch("bookings", queryset=bookings)).order_by("starts", "clinic__name"))
    return render(request, "support/studio/manage.html", {
        "day": day, "previous": day - timedelta(days=1), "next": day + timedelta(days=1), "sessions": sessions,
        "markable": {s.pk for s in sessions if _may_mark_session(request.user, s)},
        "cancellable": set(ExpertSession.objects.for_user(request.user, CHANGE).filter(
            pk__in=[s.pk for s in sessions], cancelled=False).values_list("pk", flat=True)),
        "can_create": _managed_clinics(request.user).exists(),
    })


def _may_mark_session(user, session) -> bool:
    return session.doctor.user_id == user.pk or ExpertSession.objects.for_user(user, CHANGE).filter(
        pk=session.pk).exists()


@login_required
@require_POST
def mark(request, pk):
    booking = Booking.objects.select_related("session__doctor").get_for_user_or_404(request.user, pk=pk)
    try:
        services.booking_mark(by=request.user, booking=booking, status=request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{_manage_url()}?date={booking.session.date.isoformat()}")


def _manage_url():
    return reverse("studio-manage")


def _initial_from_assignment(request):
    raw = request.GET.get("assignment", "")
    assignment = Assignment.objects.for_user(request.user).select_related("agreement__pairing").filter(
        pk=int(raw)).first() if raw.isdigit() else None
    if assignment is None:
        return {"starts": "09:00", "ends": "11:30", "capacity": 10}
    return {"clinic": assignment.agreement.pairing.clinic_id, "doctor": assignment.doctor_id,
            "date": assignment.date, "starts": "09:00", "ends": "11:30", "capacity": 10}


@login_required
def session_new(request):
    form = SessionForm(request.POST or None, user=request.user, initial=_initial_from_assignment(request))
    if not form.fields["clinic"].queryset.exists():
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Session opened for booking."))
            return redirect(f"{_manage_url()}?date={session.date.isoformat()}")
    return render(request, "support/studio/session_form.html", {"form": form})


@login_required
@require_POST
def session_cancel(request, pk):
    session = ExpertSession.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    told = services.session_cancel(by=request.user, session=session)
    messages.success(request, _("Session cancelled, with %(n)s booking(s); their booking pages say so.") % {"n": told})
    return redirect(f"{_manage_url()}?date={session.date.isoformat()}")
