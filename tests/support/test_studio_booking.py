"""The public expert studio: residents see who comes when, book a session and cancel it, with no login.
Every refusal says why and saves nothing; the last place cannot be taken twice."""

import re
import threading
import uuid
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from tests.support.factories import (
    AgreementFactory,
    AssignmentFactory,
    BookingFactory,
    DoctorFactory,
    ExpertSessionFactory,
)
from yilian.support import services_studio
from yilian.support.models import Assignment, Booking


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def agreement(db, today):
    return AgreementFactory(start=today - timedelta(days=30), end=today + timedelta(days=300))


@pytest.fixture
def clinic(agreement):
    return agreement.pairing.clinic


@pytest.fixture
def expert(agreement):
    return DoctorFactory(hospital=agreement.pairing.hospital, name="陈主任", specialty="心血管内科",
                         department="心内科")


@pytest.fixture
def session(clinic, expert, today):
    return ExpertSessionFactory(clinic=clinic, doctor=expert, date=today + timedelta(days=3), capacity=2)


def _resident():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _book(session, client=None, **data):
    body = {"name": "张三", "phone": "13812345678", "reason": "胸闷", "client_key": uuid.uuid4().hex}
    body.update(data)
    return (client or _resident()).post(f"/studio/{session.clinic_id}/sessions/{session.pk}/book/", body)


def test_the_studio_shows_experts_their_next_day_and_sessions(clinic, expert, agreement, session, today):
    AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=3))
    AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=17))
    AssignmentFactory(agreement=agreement, doctor=expert, date=today + timedelta(days=10),
                      status=Assignment.Status.CANCELLED)
    far = DoctorFactory(hospital=expert.hospital, name="远期专家")
    AssignmentFactory(agreement=agreement, doctor=far, date=today + timedelta(days=120))
    response = _resident().get(f"/studio/{clinic.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "陈主任" in page and "心血管内科" in page and expert.get_title_display() in page
    assert "远期专家" not in page
    experts = response.context["experts"]
    assert [(e["doctor"], e["next"]) for e in experts] == [(expert, today + timedelta(days=3))]
    assert f"/studio/{clinic.pk}/sessions/{session.pk}/book/" in page
    assert expert.licence_number not in page and expert.phone not in page


def test_a_hospital_has_no_studio(agreement):
    assert _resident().get(f"/studio/{agreement.pairing.hospital_id}/").status_code == 404
    assert _resident().get("/studio/999999/").status_code == 404


def test_a_resident_books_and_gets_a_code(session):
    response = _book(session)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert re.fullmatch(f"[{services_studio.CODE_ALPHABET}]{{8}}", booking.code)
    assert (booking.name, booking.phone, booking.reason) == ("张三", "13812345678", "胸闷")
    page = _resident().get(response["Location"]).content.decode()
    assert booking.code in page
    assert "138****5678" in page and "13812345678" not in page


def test_the_same_form_sent_twice_books_once(session):
    key = uuid.uuid4().hex
    first = _book(session, client_key=key)
    second = _book(session, client_key=key)
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1


def test_phone_numbers_are_normalised(session):
    _book(session, phone="+86 138-1234-5678")
    assert Booking.objects.get().phone == "13812345678"


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "abcdefghijk", "", "0851-8888888"])
def test_an_invalid_phone_is_refused(session, phone):
    response = _book(session, phone=phone)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not Booking.objects.exists()


def test_a_name_is_required(session):
    response = _book(session, name="  ")
    assert response.context["form"].errors["name"]
    assert not Booking.objects.exists()


def test_the_same_phone_cannot_book_a_session_twice(session):
    _book(session)
    response = _book(session)
    assert response.status_code == 200
    assert "already has a booking" in response.context["form"].errors["phone"][0]
    assert Booking.objects.count() == 1


def test_a_full_session_is_refused_and_the_last_place_is_taken_once(session):
    assert _book(session, phone="13800000001").status_code == 302
    assert _book(session, phone="13800000002").status_code == 302
    response = _book(session, phone="13800000003")
    assert response.status_code == 200
    assert "This session is full" in response.content.decode()
    assert Booking.objects.count() == 2
    page = _resident().get(f"/studio/{session.clinic_id}/").content.decode()
    assert "Full" in page and f"/sessions/{session.pk}/book/" not in page


def test_a_cancelled_booking_frees_its_place(session):
    BookingFactory(session=session, phone="13800000001", status=Booking.Status.CANCELLED)
    BookingFactory(session=session, phone="13800000002")
    assert _book(session, phone="13800000003").status_code == 302
    assert Booking.objects.filter(status="booked").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_residents_racing_for_the_last_place(clinic, expert, today):
    """Two threads book the last place at once: one gets it, the other is told the session is full."""
    session = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today + timedelta(days=3), capacity=1)
    outcomes = []
    barrier = threading.Barrier(2)

    def attempt(phone):
        barrier.wait()
        try:
            services_studio.booking_create(session=session, name="居民", phone=phone)
            outcomes.append("booked")
        except ValidationError as exc:  # the loser is told the session is full
            outcomes.append(exc.message_dict)
        except OperationalError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in ("13800000001", "13800000002")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("booked") == 1
    assert Booking.objects.filter(session=session).count() == 1
    loser = next(o for o in outcomes if o != "booked")
    if connection.vendor == "sqlite" and isinstance(loser, str):
        # the shared in-memory test database answers a lock at once instead of waiting (busy_timeout)
        assert "locked" in loser
    else:
        assert list(loser) == ["session"], loser  # "This session is full"


def test_a_past_or_cancelled_session_is_refused(clinic, expert, today):
    past = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today - timedelta(days=1))
    cancelled = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today + timedelta(days=5), cancelled=True)
    assert "session is over" in _book(past).content.decode()
    assert "was cancelled" in _book(cancelled).content.decode()
    assert not Booking.objects.exists()
    page = _resident().get(f"/studio/{clinic.pk}/").content.decode()
    assert f"/sessions/{past.pk}/book/" not in page and f"/sessions/{cancelled.pk}/book/" not in page


def test_a_session_of_another_clinic_is_404(session, agreement):
    other = ExpertSessionFactory(date=session.date)
    assert _resident().get(f"/studio/{session.clinic_id}/sessions/{other.pk}/book/").status_code == 404


def test_cancel_with_code_and_phone(session):
    location = _book(session)["Location"]
    booking = Booking.objects.get()
    client = _resident()
    assert client.get(f"/studio/{session.clinic_id}/cancel/?code={booking.code}").status_code == 200
    wrong = client.post(f"/studio/{session.clinic_id}/cancel/", {"code": booking.code, "phone": "13900000000"})
    assert "No booking matches" in wrong.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    done = client.post(f"/studio/{session.clinic_id}/cancel/",
                       {"code": booking.code.lower(), "phone": "138 1234 5678"}, follow=True)
    assert done.redirect_chain[-1][0] == location
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_at
    again = client.post(f"/studio/{session.clinic_id}/cancel/", {"code": booking.code, "phone": "13812345678"})
    assert "already cancelled" in again.content.decode()
    # the place is free again, and the same phone may book again
    assert _book(session).status_code == 302


def test_a_code_of_another_clinic_cannot_be_cancelled_here(session):
    _book(session)
    booking = Booking.objects.get()
    elsewhere = ExpertSessionFactory().clinic
    response = _resident().post(f"/studio/{elsewhere.pk}/cancel/", {"code": booking.code, "phone": "13812345678"})
    assert "No booking matches" in response.content.decode()
    assert _resident().get(f"/studio/{elsewhere.pk}/bookings/{booking.code}/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_a_session_that_began_cannot_be_cancelled_online(clinic, expert, today):
    started = ExpertSessionFactory(clinic=clinic, doctor=expert, date=today, starts=time(0, 0), ends=time(23, 59))
    booking = BookingFactory(session=started, phone="13812345678")
    response = _resident().post(f"/studio/{clinic.pk}/cancel/", {"code": booking.code, "phone": "13812345678"})
    assert "already begun" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_codes_avoid_ambiguous_characters():
    codes = {services_studio.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert not set("".join(codes)) & set("01OIL")
