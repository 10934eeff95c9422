"""Residents book, change and cancel on public pages; every refusal says why and saves nothing."""

import uuid
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.appointments.conftest import make_slot
from tests.familydoctor.factories import ResidentFactory, make_care
from yilian.appointments import services
from yilian.appointments.models import Booking, Closure, SessionType
from yilian.familydoctor.models import Contract
from yilian.notices.models import Delivery


def _client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _book(slot, client=None, **data):
    body = {"name": "张三", "phone": "13812345678", "reason": "咳嗽", "client_key": uuid.uuid4().hex, **data}
    client = client or _client()
    return client, client.post(f"/appointments/clinic/{slot.clinic_id}/sessions/{slot.pk}/book/", body)


def test_the_clinic_page_lists_open_slots_by_type(slot, clinic):
    make_slot(clinic, session_type=SessionType.TCM, starts=time(14, 0), ends=time(14, 30))
    page = _client().get(f"/appointments/clinic/{clinic.pk}/?type=tcm").content.decode()
    assert "Traditional Chinese medicine" in page and f"/sessions/{slot.pk}/book/" not in page
    assert f"/sessions/{slot.pk}/book/" in _client().get(f"/appointments/clinic/{clinic.pk}/").content.decode()


def test_a_resident_books_gets_a_code_and_an_sms(slot):
    client, response = _book(slot)
    booking = Booking.objects.get()
    assert response.status_code == 302 and booking.code in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert booking.code in page and "138****5678" in page and "13812345678" not in page
    sms = Delivery.objects.get(channel="sms")
    assert sms.address == "13812345678" and booking.code in sms.text and sms.status == "pending"


def test_a_booking_page_needs_the_browser_that_booked_or_code_and_phone(slot):
    _, response = _book(slot)
    code = Booking.objects.get().code
    stranger = _client()
    assert stranger.get(response["Location"]).status_code == 404
    wrong_phone = stranger.post(f"/appointments/clinic/{slot.clinic_id}/find/", {"code": code, "phone": "13900000000"})
    wrong_code = stranger.post(f"/appointments/clinic/{slot.clinic_id}/find/",
                               {"code": "ZZZZZZZZ", "phone": "13812345678"})
    for answer in (wrong_phone, wrong_code):
        assert answer.status_code == 200 and "No booking matches this code and phone number." in answer.content.decode()
    found = stranger.post(f"/appointments/clinic/{slot.clinic_id}/find/",
                          {"code": code.lower(), "phone": "138 1234 5678"})
    assert found.status_code == 302 and stranger.get(found["Location"]).status_code == 200


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "02512345678", "abc"])
def test_not_a_chinese_mobile_is_refused(slot, phone):
    _, response = _book(slot, phone=phone)
    assert "mainland mobile number" in response.content.decode() and not Booking.objects.exists()


def test_a_second_booking_of_the_same_phone_and_a_full_slot_are_refused(slot):
    _book(slot)
    _, again = _book(slot, name="张三")
    assert "already has a booking" in again.content.decode()
    _book(slot, phone="13900000001")
    _, full = _book(slot, phone="13900000002")
    assert "This session is full" in full.content.decode() and Booking.objects.count() == 2


def test_the_same_form_sent_twice_books_once(slot):
    key = uuid.uuid4().hex
    _book(slot, client_key=key)
    _book(slot, client_key=key)
    assert Booking.objects.count() == 1


def test_past_and_closed_days_are_refused(clinic, staff):
    past = make_slot(clinic, days=-1)
    with pytest.raises(ValidationError, match="over"):
        services.booking_create(session=past, name="李四", phone="13812345678")
    later = make_slot(clinic, days=5)
    Closure.objects.create(clinic=clinic, start=later.date, end=later.date, reason="培训")
    with pytest.raises(ValidationError, match="closed"):
        services.booking_create(session=later, name="李四", phone="13812345678")
    assert not Booking.objects.exists()


def test_reschedule_and_cancel_keep_the_code(slot, clinic):
    other = make_slot(clinic, days=4)
    client, response = _book(slot)
    booking = Booking.objects.get()
    base = f"/appointments/clinic/{clinic.pk}/bookings/{booking.code}"
    assert client.post(f"{base}/reschedule/", {"session": other.pk}).status_code == 302
    booking.refresh_from_db()
    assert booking.session == other and booking.status == "booked"
    client.post(f"{base}/cancel/")
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_a_checked_in_booking_cannot_be_rescheduled(clinic, staff):
    today = make_slot(clinic, days=0, starts=time(23, 58), ends=time(23, 59))
    booking = services.booking_create(session=today, name="王五", phone="13812345678").obj
    services.booking_mark(by=staff, booking=booking, status="arrived")
    other = make_slot(clinic, days=2)
    with pytest.raises(ValidationError, match="checked in"):
        services.booking_reschedule(code=booking.code, phone="13812345678", session=other)
    booking.refresh_from_db()
    assert booking.session == today


def test_unknown_code_is_refused(db):
    with pytest.raises(ValidationError, match="No booking matches"):
        services.booking_cancel(code="ABCDEFGH", phone="13812345678")


def test_contracted_residents_get_the_kept_places(clinic, staff):
    team, basic, _ = make_care(clinic)
    resident = ResidentFactory(clinic=clinic, phone="13700000001")
    Contract.objects.create(resident=resident, team=team, clinic=clinic, start=date(2026, 1, 1),
                            end=date(2027, 12, 31))
    slot = make_slot(clinic, session_type=SessionType.FAMILY_DOCTOR, team=team, capacity=2, priority_places=1)
    services.booking_create(session=slot, name="甲", phone="13900000001")
    with pytest.raises(ValidationError, match="contracted"):
        services.booking_create(session=slot, name="乙", phone="13900000002")
    kept = services.booking_create(session=slot, name=resident.name, phone="13700000001").obj
    assert kept.priority


def test_public_pages_are_rate_limited(slot, settings):
    settings.RATELIMIT_ENABLE = True
    settings.YILIAN_PUBLIC_WRITE_RATE = "3/m"
    client = _client()
    answers = [client.post(f"/appointments/clinic/{slot.clinic_id}/find/", {"code": "X", "phone": "1"}).status_code
               for _ in range(5)]
    assert answers[:3] == [200, 200, 200] and answers[3:] == [429, 429]
    assert "Too many requests" in client.post(f"/appointments/clinic/{slot.clinic_id}/find/").content.decode()


def test_reminders_go_out_once_the_day_before(clinic):
    slot = make_slot(clinic, days=1)
    services.booking_create(session=slot, name="张三", phone="13812345678")
    assert services.send_reminders() == 1 and services.send_reminders() == 0
    assert Delivery.objects.filter(kind="appointments.reminder").count() == 1
    assert timezone.localdate() + timedelta(days=1) == slot.date


@pytest.mark.django_db(transaction=True)
def test_a_crowd_racing_for_the_last_places_gets_exactly_them():
    """Eight residents and one resent form race for three places: three bookings, the resent form
    answers with the booking it made, everybody else is told the session is full."""
    import threading

    from django.db import OperationalError, connection

    from tests.factories import InstitutionFactory

    slot = make_slot(InstitutionFactory(), capacity=3)
    barrier = threading.Barrier(10)
    outcomes = []
    resent = uuid.uuid4().hex

    def attempt(phone, key):
        barrier.wait()
        try:
            result = services.booking_create(session=slot, name="居民", phone=phone, client_key=key)
            outcomes.append(("booked" if result.created else "replayed", result.obj.pk))
        except services.SessionFull:
            outcomes.append(("full", None))
        except (ValidationError, OperationalError) as exc:
            outcomes.append(("error", str(exc)))
        finally:
            connection.close()

    callers = [(f"1380000000{i}", uuid.uuid4().hex) for i in range(8)] + [("13900000000", resent)] * 2
    threads = [threading.Thread(target=attempt, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [o for o in outcomes if o[0] == "error"]
    booked = {pk for kind, pk in outcomes if kind == "booked"}
    if connection.vendor == "sqlite":
        # the shared in-memory test database answers a table lock at once instead of waiting
        assert all("locked" in message for _, message in errors), errors
    else:
        assert not errors and len(booked) == 3, outcomes
    assert set(Booking.objects.filter(session=slot).values_list("pk", flat=True)) == booked and len(booked) <= 3
    assert {pk for kind, pk in outcomes if kind == "replayed"} <= booked
    assert Delivery.objects.filter(channel="sms").count() == len(booked)  # one confirmation per booking
