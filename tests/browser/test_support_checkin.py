"""On a phone, a dispatched doctor checks in at the clinic, logs a clinic session (12 patients) and a
lecture (30 attendees) and checks out; on a desktop, the clinic's staff confirm the visit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.support.factories import AgreementFactory, AssignmentFactory, clinic_staff_of, doctor_with_login
from yilian.support.models import Visit, WorkItem

pytestmark = pytest.mark.browser


@pytest.fixture
def day_plan(transactional_db):
    today = timezone.localdate()
    agreement = AgreementFactory(start=today - timedelta(days=30), end=today + timedelta(days=300))
    doctor = doctor_with_login(hospital=agreement.pairing.hospital, name="李明")
    AssignmentFactory(agreement=agreement, doctor=doctor, date=today)
    AssignmentFactory(agreement=agreement, doctor=doctor, date=today + timedelta(days=7))
    return {"doctor": doctor, "clinic": agreement.pairing.clinic, "staff": clinic_staff_of(agreement.pairing.clinic)}


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


def _log_work(page, kind, count, topic):
    page.select_option("#work-form select[name=kind]", kind)
    page.fill("#work-form input[name=count]", str(count))
    page.fill("#work-form input[name=topic]", topic)
    with page.expect_navigation():
        page.click("#work-form button[type=submit]")


def test_doctor_checks_in_logs_work_and_clinic_confirms(phone_page, page, live_server, day_plan):
    doctor, clinic = day_plan["doctor"], day_plan["clinic"]
    phone_page.context.grant_permissions(["geolocation"])
    phone_page.context.set_geolocation({"latitude": 26.601234, "longitude": 106.712345})

    login(phone_page, live_server, doctor.user.username, PASSWORD)
    phone_page.goto(f"{live_server.url}/support/today/")
    assert clinic.display_name in phone_page.locator("#check-in-form").inner_text()
    _fits(phone_page)
    shot(phone_page, "support-today-before-check-in")

    # app.js fills the hidden location inputs from the browser's position
    phone_page.wait_for_function("document.querySelector('#check-in-form [name=latitude]').value !== ''")
    with phone_page.expect_navigation():
        phone_page.click("#check-in-button")
    assert phone_page.locator("#checked-in-at").is_visible()
    _fits(phone_page)

    _log_work(phone_page, WorkItem.Kind.CLINIC_SESSION, 12, "高血压、糖尿病专科门诊")
    _log_work(phone_page, WorkItem.Kind.LECTURE, 30, "基层慢病规范化管理")
    work = phone_page.locator("#work-items").inner_text()
    assert "12" in work and "30" in work and "基层慢病规范化管理" in work
    _fits(phone_page)
    shot(phone_page, "support-today-work-logged")

    with phone_page.expect_navigation():
        phone_page.click("#check-out")
    assert phone_page.locator("#checked-out-at").inner_text() != "—"
    _fits(phone_page)
    shot(phone_page, "support-today-checked-out")

    visit = Visit.objects.get(doctor=doctor)
    assert visit.status == Visit.Status.CHECKED_OUT
    assert (float(visit.check_in_latitude), float(visit.check_in_longitude)) == (26.601234, 106.712345)
    assert sorted(visit.work_items.values_list("kind", "count")) == [("clinic_session", 12), ("lecture", 30)]

    # the clinic's staff review it on a desktop
    login(page, live_server, day_plan["staff"].username, PASSWORD)
    page.goto(f"{live_server.url}/support/visits/")
    row = page.locator(f"#visit-table tr[data-visit='{visit.pk}']")
    assert "李明" in row.inner_text()
    with page.expect_navigation():
        row.locator("a").click()
    shot(page, "support-visit-review")
    page.check("#review-form input[value=confirmed]")
    with page.expect_navigation():
        page.click("#review-submit")
    assert page.locator(".msg").first.is_visible()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED and visit.confirmed_by == day_plan["staff"]
    shot(page, "support-visits-after-review")

    # the confirmed visit is in the pairing's ledger, with its totals
    page.goto(f"{live_server.url}/support/pairings/{visit.pairing_id}/ledger/")
    assert page.locator("#ledger-totals tr[data-kind=clinic_session] td.num").last.inner_text() == "12"
    assert page.locator("#ledger-totals tr[data-kind=lecture] td.num").last.inner_text() == "30"
    shot(page, "support-ledger")
