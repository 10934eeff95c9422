"""A resident, not logged in, opens the clinic's expert studio on a phone, books the visiting expert's
session, sees the booking code, and cancels the booking with code and phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import shot
from tests.support.factories import AgreementFactory, AssignmentFactory, DoctorFactory, ExpertSessionFactory
from yilian.support.models import Booking

pytestmark = pytest.mark.browser


@pytest.fixture
def studio(transactional_db):
    today = timezone.localdate()
    agreement = AgreementFactory(start=today - timedelta(days=30), end=today + timedelta(days=300))
    expert = DoctorFactory(hospital=agreement.pairing.hospital, name="陈主任", specialty="心血管内科")
    visit_day = today + timedelta(days=3)
    assignment = AssignmentFactory(agreement=agreement, doctor=expert, date=visit_day)
    session = ExpertSessionFactory(clinic=agreement.pairing.clinic, doctor=expert, date=visit_day,
                                   assignment=assignment, capacity=8)
    return {"clinic": agreement.pairing.clinic, "session": session}


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


def test_resident_books_and_cancels_on_a_phone(phone_page, live_server, studio):
    clinic, session = studio["clinic"], studio["session"]
    phone_page.goto(f"{live_server.url}/studio/{clinic.pk}/")
    assert "陈主任" in phone_page.locator("#experts").inner_text()
    _fits(phone_page)
    shot(phone_page, "studio-public")

    with phone_page.expect_navigation():
        phone_page.locator(f"[data-session='{session.pk}'] a.btn").click()
    phone_page.fill("input[name=name]", "王芳")
    phone_page.fill("input[name=phone]", "13812345678")
    phone_page.fill("input[name=reason]", "血压控制不佳")
    _fits(phone_page)
    with phone_page.expect_navigation():
        phone_page.click("#book-submit")
    code = phone_page.locator("#booking-code").inner_text().strip()
    booking = Booking.objects.get()
    assert code == booking.code and booking.phone == "13812345678"
    assert "138****5678" in phone_page.content()
    _fits(phone_page)
    shot(phone_page, "studio-booked")

    with phone_page.expect_navigation():
        phone_page.click("#cancel-link")
    assert phone_page.input_value("input[name=code]") == code
    phone_page.fill("input[name=phone]", "13812345678")
    with phone_page.expect_navigation():
        phone_page.click("#cancel-submit")
    assert "cancel" in phone_page.locator("#booking-status").inner_text().lower() or \
        "取消" in phone_page.locator("#booking-status").inner_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    _fits(phone_page)
    shot(phone_page, "studio-cancelled")
