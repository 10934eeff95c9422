"""The clinic's side: schedules on working days, closures, the desk (callers, walk-ins, check-in) and the measure."""

from datetime import date, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.appointments.conftest import make_slot
from tests.factories import InstitutionFactory, user_with_role
from yilian.accounts.models import Membership
from yilian.appointments import selectors, services
from yilian.appointments.models import Booking, Closure, Schedule, Session, SessionType
from yilian.network.models import Institution
from yilian.support import calendar


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_publishing_follows_the_official_calendar_and_skips_closures(clinic, staff):
    schedule = Schedule.objects.create(clinic=clinic, session_type=SessionType.GENERAL, weekdays="1234567",
                                       starts=time(8, 0), ends=time(9, 0), slot_minutes=30, capacity=4)
    start = timezone.localdate() + timedelta(days=1)
    end = start + timedelta(days=13)
    Closure.objects.create(clinic=clinic, start=start, end=start, reason="培训")
    created = services.schedule_publish(by=staff, schedule=schedule, start=start, end=end)
    days = set(Session.objects.values_list("date", flat=True))
    expected = {d for d in calendar.workdays(start, end) if d != start}
    assert days == expected and created == 2 * len(expected)
    assert services.schedule_publish(by=staff, schedule=schedule, start=start, end=end) == 0


def test_a_closure_cancels_bookings_and_tells_residents(clinic, staff):
    slot = make_slot(clinic, days=2)
    services.booking_create(session=slot, name="张三", phone="13812345678")
    told = services.closure_create(by=staff, closure=Closure(clinic=clinic, start=slot.date, end=slot.date,
                                                            reason="停电"))
    assert told == 1 and Booking.objects.get().status == "cancelled"


def test_schedule_page_creates_and_publishes(clinic, staff):
    client = _client(staff)
    data = {"clinic": clinic.pk, "session_type": "vaccination", "weekdays": "135", "starts": "08:00",
            "ends": "10:00", "slot_minutes": 30, "capacity": 5, "priority_places": 0}
    assert client.post("/appointments/schedules/", data).status_code == 302
    schedule = Schedule.objects.get()
    today = timezone.localdate()
    client.post(f"/appointments/schedules/{schedule.pk}/publish/",
                {"start": today.isoformat(), "end": (today + timedelta(days=13)).isoformat()})
    assert Session.objects.filter(session_type="vaccination").exists()
    bad = client.post("/appointments/schedules/", {**data, "weekdays": "89"})
    assert "Use the digits 1" in bad.content.decode() and Schedule.objects.count() == 1


def test_desk_books_callers_and_walk_ins_and_checks_in(clinic, staff):
    slot = make_slot(clinic, days=0, starts=time(0, 0), ends=time(23, 59), capacity=5)
    client = _client(staff)
    services.booking_create(session=slot, name="线上", phone="13800000001")
    client.post("/appointments/desk/", {"session": slot.pk, "channel": "phone", "name": "来电", "phone": "13800000002",
                                        "client_key": "k1"})
    client.post("/appointments/desk/", {"session": slot.pk, "channel": "walk_in", "name": "现场",
                                        "phone": "13800000003", "client_key": "k2"})
    walk_in = Booking.objects.get(channel="walk_in")
    assert walk_in.status == "arrived"
    page = client.get("/appointments/desk/").content.decode()
    assert "138****0001" in page and "来电" in page
    online = Booking.objects.get(channel="online")
    assert client.post(f"/appointments/bookings/{online.pk}/mark/", {"status": "arrived"}).status_code == 302
    phone = Booking.objects.get(channel="phone")
    client.post(f"/appointments/bookings/{phone.pk}/mark/", {"status": "no_show"})
    share = selectors.booked_visit_share([clinic.pk], slot.date, slot.date)
    assert share == {clinic.pk: {"visits": 2, "booked": 1, "share": 0.5}}
    rates = selectors.no_show_rate([clinic.pk], slot.date, slot.date)
    assert rates[0]["due"] == 2 and rates[0]["no_show"] == 1
    page = client.get("/appointments/measure/").content.decode()
    assert "50 %" in page


def test_other_clinics_cannot_see_or_mark(clinic):
    slot = make_slot(clinic, days=0, starts=time(0, 0), ends=time(23, 59))
    booking = services.booking_create(session=slot, name="张三", phone="13812345678").obj
    outsider = user_with_role(Membership.Role.CLINIC_STAFF, InstitutionFactory())
    client = _client(outsider)
    assert "张三" not in client.get("/appointments/desk/").content.decode()
    assert client.post(f"/appointments/bookings/{booking.pk}/mark/", {"status": "arrived"}).status_code == 404


def test_the_desk_of_a_clinic_the_user_does_not_run_is_404(clinic, staff):
    """Another clinic's id is 404, not silently the user's own desk; without one, the user's own."""
    other = InstitutionFactory(name="别的社区卫生服务中心")
    mine = make_slot(clinic, days=0, starts=time(0, 0), ends=time(23, 59))
    theirs = make_slot(other, days=0, starts=time(0, 0), ends=time(23, 59))
    services.booking_create(session=mine, name="王五", phone="13800000005")
    services.booking_create(session=theirs, name="李四", phone="13800000004")
    client = _client(staff)
    for bad in (str(other.pk), "abc", "99999999999999999999"):
        assert client.get("/appointments/desk/", {"clinic": bad}).status_code == 404, bad
    for default in ({}, {"clinic": ""}, {"clinic": str(clinic.pk)}):
        page = client.get("/appointments/desk/", default).content.decode()
        assert "王五" in page and "李四" not in page, default
    supervisor = user_with_role(Membership.Role.SUPERVISOR, other.region)  # runs the other clinic's region
    page = _client(supervisor).get("/appointments/desk/", {"clinic": other.pk}).content.decode()
    assert "李四" in page and "王五" not in page


def test_marking_returns_to_the_clinics_desk(clinic, staff):
    slot = make_slot(clinic, days=0, starts=time(0, 0), ends=time(23, 59))
    booking = services.booking_create(session=slot, name="王五", phone="13800000005").obj
    response = _client(staff).post(f"/appointments/bookings/{booking.pk}/mark/", {"status": "arrived"})
    assert response.url == f"/appointments/desk/?clinic={clinic.pk}&date={slot.date.isoformat()}"


@pytest.mark.django_db
def test_booked_share_is_empty_without_visits():
    assert selectors.booked_visit_share([], date(2026, 1, 1), date(2026, 1, 31)) == {}


def test_the_demo_loads_once_and_the_command_reminds_once(guiyang):
    from django.core.management import call_command

    from yilian.appointments.demo import load_appointments_demo

    first = load_appointments_demo()
    assert first["schedules"] >= 5 and first["slots_opened"] > 0 and first["past_visits"] > 100
    again = load_appointments_demo()
    assert again["slots_opened"] == 0 and again["past_visits"] == 0
    clinic = Institution.objects.get(name="新天社区卫生服务中心")
    shares = selectors.booked_visit_share_by_month([clinic.pk], date(2000, 1, 1), timezone.localdate())
    assert len(shares) >= 2 and shares[0]["share"] < shares[-1]["share"]  # the clinic moves to appointments
    tomorrow = Session.objects.filter(clinic=clinic, date__gt=timezone.localdate()).order_by("date", "starts").first()
    services.booking_create(session=tomorrow, name="张三", phone="13812345678")
    call_command("send_booking_reminders", day=tomorrow.date)
    call_command("send_booking_reminders", day=tomorrow.date)
    assert Booking.objects.get(phone="13812345678").reminded_at is not None


def test_cancelling_an_expert_session_tells_the_residents(clinic):
    from tests.support.factories import DoctorFactory
    from yilian.notices.models import Delivery
    from yilian.support import services_studio
    from yilian.support.models import ExpertSession

    session = ExpertSession.objects.create(clinic=clinic, doctor=DoctorFactory(), capacity=3, starts=time(9, 0),
                                           ends=time(11, 0), date=timezone.localdate() + timedelta(days=2))
    assert Session.objects.get(pk=session.pk).session_type == SessionType.VISITING_EXPERT
    services.booking_create(session=session, name="张三", phone="13812345678")
    admin = user_with_role(Membership.Role.CLINIC_STAFF, clinic)
    assert services_studio.session_cancel(by=admin, session=session) == 1
    assert Delivery.objects.filter(kind="appointments.session-cancelled", address="13812345678").exists()
