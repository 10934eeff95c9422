"""In the browser: a nurse opens today's visits on a phone and records a home visit (BP 150/95);
the coverage view then shows it. Fails on any console error or CSP violation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.familydoctor import conftest as familydoctor_fixtures
from yilian.familydoctor import services_care
from yilian.familydoctor.models import VisitRecord

pytestmark = pytest.mark.browser
world = familydoctor_fixtures.world  # the family-doctor fixtures, here too
care = familydoctor_fixtures.care


def test_nurse_records_a_home_visit_on_a_phone(phone_page, page, live_server, transactional_db, world, care):
    today = timezone.localdate()
    services_care.contract_sign(by=care.nurse, resident=care.elder, team=care.team,
                                packages=[care.basic, care.chronic], start=today - timedelta(days=7), consent=True)
    services_care.generate_visit_plan(world.clinic_a, today)

    phone = phone_page
    login(phone, live_server, care.nurse.username, PASSWORD)
    phone.goto(f"{live_server.url}/residents/visits/today/")
    phone.wait_for_selector("#day-list .visit-item")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "familydoctor-day-phone")
    phone.click("#day-list .visit-item a")
    phone.wait_for_selector("#visit-form")
    assert phone.is_checked("input[name=mode][value=home]")
    phone.fill("#id_systolic", "150")
    phone.fill("#id_diastolic", "95")
    phone.check("input[name=services][value=血压测量]")
    phone.fill("#id_notes", "头晕减轻，继续服药")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "familydoctor-visit-form-phone")
    with phone.expect_navigation():
        phone.click("#save-visit")
    assert "/residents/visits/today/" in phone.url
    assert "赵老伯" not in phone.inner_text("#day-list")
    visit = VisitRecord.objects.get()
    assert (visit.mode, visit.systolic, visit.diastolic, visit.by) == ("home", 150, 95, care.nurse)

    login(page, live_server, world.supervisor_a.username, PASSWORD)
    page.goto(f"{live_server.url}/residents/coverage/?level=clinic&population=hypertension")
    row = page.inner_text("#coverage tr:has-text('甲社区卫生服务中心')")
    assert "100.0 %" in row and "0.0 % (0/1)" in row  # contracted, and not controlled at 150/95
    shot(page, "familydoctor-coverage")
