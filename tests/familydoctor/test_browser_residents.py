"""In the browser: a clinic nurse finds a resident on a phone and reveals a number with a reason;
a supervisor finds who read the record. Fails on any console error or CSP violation."""

import pytest

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.familydoctor.test_residents import FULL_ID, FULL_PHONE

pytestmark = pytest.mark.browser


def test_nurse_finds_a_resident_and_reveals_the_id_on_a_phone(phone_page, live_server, transactional_db, world,
                                                                resident_a):
    page = phone_page
    login(page, live_server, world.staff_a.username, PASSWORD)
    page.goto(f"{live_server.url}/residents/")
    page.fill("#id_q", "zs")
    page.wait_for_function("document.querySelectorAll('#resident-rows table tr').length === 2")
    assert FULL_ID not in page.content() and FULL_PHONE not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "residents-list-phone")

    page.click("text=张三")
    page.wait_for_url(f"**/residents/{resident_a.pk}/")
    assert page.inner_text("#masked-id") == "5201**********1236"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_reason", "核对签约信息")
    page.click("#reveal-panel button[type=submit]")
    page.wait_for_selector("#revealed-value")
    assert page.inner_text("#revealed-value") == FULL_ID
    assert page.url.endswith(f"/residents/{resident_a.pk}/")  # swapped in place, not a new page
    shot(page, "resident-revealed-phone")


def test_supervisor_finds_who_read_the_record(page, live_server, transactional_db, world, resident_a):
    login(page, live_server, world.staff_a.username, PASSWORD)
    page.goto(f"{live_server.url}/residents/{resident_a.pk}/")
    page.context.clear_cookies()
    login(page, live_server, world.supervisor_a.username, PASSWORD)
    page.goto(f"{live_server.url}/residents/")
    assert FULL_ID not in page.content() and "5201**********1236" in page.content()
    shot(page, "residents-list-desktop")
    page.goto(f"{live_server.url}/residents/{resident_a.pk}/")
    page.click(f".actions a[href$='resident_id={resident_a.pk}']")  # "who read this record"
    page.wait_for_selector("table.audit")
    text = page.inner_text("table.audit")
    assert world.staff_a.username in text and world.supervisor_a.username in text
    assert FULL_ID not in page.content()
    shot(page, "audit-who-read")
