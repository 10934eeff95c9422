"""Yilian's URLs plus the peer of the booking burst: the same public booking page over a naive
read-then-write booking service (count the places, then insert; no lock)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from yilian.appointments import services
from yilian.appointments.forms import BookingForm
from yilian.appointments.models import Booking, Session
from yilian.core.services import save_validated
from yilian.notices.services import notify_contact
from yilian.support.forms_visits import add_service_error
from yilian.urls import urlpatterns as yilian_urls


def naive_booking_create(*, session, name, phone, reason="", client_key=None):
    """What one writes first: read the places taken, then write the booking in its own transaction."""
    if session.bookings.filter(status__in=Booking.ACTIVE).count() >= session.capacity:  # read …
        raise services.SessionFull({"session": "This session is full; choose another one."})
    with transaction.atomic():  # … then write: between the two, other requests took the places
        booking = save_validated(Booking(session=session, code=services.new_code(), name=name, phone=phone,
                                         reason=reason, client_key=client_key or None), None)
        notify_contact(phone=phone, kind="appointments.booked", text=f"booked {booking.code}")
    return booking


def naive_book(request, clinic_id, session_id):
    session = get_object_or_404(Session.objects.select_related("clinic"), pk=session_id, clinic_id=clinic_id)
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = naive_booking_create(session=session, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("public-appointment", clinic_id=clinic_id, code=booking.code)
    return render(request, "appointments/public/book.html", {
        "clinic": session.clinic, "session": session, "form": form, "places_left": 0})


# A public- name: the same per-address rate limit as the real booking page (RateLimitMiddleware).
urlpatterns = [path("bench/naive/<int:clinic_id>/<int:session_id>/", naive_book, name="public-bench-naive-book"),
               *yilian_urls]
