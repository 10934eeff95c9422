"""Full-appointment mode in the demo: a resident books a general-clinic slot on a phone, the SMS goes out
through the adapter, the clinic checks the resident in, and the booked-visit share moves."""

import json
from datetime import time

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tests.browser import login, shot
from tests.factories import PASSWORD, InstitutionFactory, user_with_role
from yilian.accounts.models import Membership
from yilian.appointments import selectors
from yilian.appointments.demo import CLINIC, load_appointments_demo
from yilian.appointments.models import Booking, Session, SessionType

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic_demo(transactional_db, settings, tmp_path):
    settings.YILIAN_SMS_BACKEND = "yilian.notices.sms.FileSmsBackend"
    settings.YILIAN_SMS_OPTIONS = {"path": str(tmp_path / "sms.log")}
    settings.YILIAN_NOTICE_SWEEP_SECONDS = 0  # the sweep runs at once (no delayed task in immediate mode)
    HUEY.immediate = True  # the worker's task runs in the server thread: no queue file is touched
    clinic = InstitutionFactory(name=CLINIC)
    load_appointments_demo()
    today_slot = Session.objects.create(clinic=clinic, session_type=SessionType.GENERAL, date=timezone.localdate(),
                                        starts=time(0, 0), ends=time(23, 59), capacity=5)
    yield {"clinic": clinic, "slot": today_slot, "sms": tmp_path / "sms.log",
           "staff": user_with_role(Membership.Role.CLINIC_STAFF, clinic)}
    HUEY.immediate = False


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


def test_resident_books_on_a_phone_and_the_clinic_checks_in(phone_page, page, live_server, clinic_demo):
    clinic, slot = clinic_demo["clinic"], clinic_demo["slot"]
    month_start = timezone.localdate().replace(day=1)
    before = selectors.booked_visit_share([clinic.pk], month_start, timezone.localdate()).get(clinic.pk)

    phone_page.goto(f"{live_server.url}/appointments/clinic/{clinic.pk}/?type=general")
    _fits(phone_page)
    shot(phone_page, "appointments-public")
    with phone_page.expect_navigation():
        phone_page.locator(f"[data-session='{slot.pk}'] a.btn").click()
    phone_page.fill("input[name=name]", "王芳")
    phone_page.fill("input[name=phone]", "138 1234 5678")
    phone_page.fill("input[name=reason]", "咳嗽三天")
    with phone_page.expect_navigation():
        phone_page.click("#book-submit")
    code = phone_page.locator("#booking-code").inner_text().strip()
    booking = Booking.objects.get(session=slot)
    assert code == booking.code and "138****5678" in phone_page.content()
    _fits(phone_page)
    shot(phone_page, "appointments-booked")
    (sms,) = [json.loads(line) for line in clinic_demo["sms"].read_text(encoding="utf-8").splitlines()]
    assert sms["to"] == "13812345678" and code in sms["text"]

    login(page, live_server, clinic_demo["staff"].username, PASSWORD)
    page.goto(f"{live_server.url}/appointments/desk/")
    with page.expect_navigation():
        page.locator(f"#booking-{booking.pk} button.check-in").click()
    assert "Arrived" in page.locator(f"#booking-{booking.pk} .status").inner_text() or \
        "已到" in page.locator(f"#booking-{booking.pk} .status").inner_text()
    shot(page, "appointments-desk")
    after = selectors.booked_visit_share([clinic.pk], month_start, timezone.localdate())[clinic.pk]
    assert after["booked"] == (before["booked"] if before else 0) + 1
    assert after["visits"] == (before["visits"] if before else 0) + 1
    page.goto(f"{live_server.url}/appointments/measure/")
    assert CLINIC in page.locator("#shares").inner_text()
