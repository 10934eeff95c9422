"""A resident scans the clinic's QR code, answers the survey on a phone, and the supervisor's
satisfaction figure moves; the indicator page draws its chart and map without browser errors."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.browser import login, shot
from tests.factories import PASSWORD
from tests.indicators.conftest import make_city
from yilian.indicators import engine, packs, services
from yilian.indicators.models import Indicator

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    town = make_city()
    packs.load_shipped()
    engine.refresh(today=timezone.localdate(), trend=False)
    return town, services.survey_create_default(region=town.city)


def _satisfaction_cell(page, live_server, town):
    page.goto(f"{live_server.url}/indicators/?region={town.city.pk}")
    return page.locator("#indicator-satisfaction td.value").inner_text().strip()


def test_a_resident_answers_and_the_satisfaction_figure_moves(phone_page, page, live_server, world):
    town, survey = world
    login(page, live_server, town.supervisor.username, PASSWORD)
    assert _satisfaction_cell(page, live_server, town) == "—"

    phone_page.goto(f"{live_server.url}/indicators/s/{survey.pk}/{town.clinics[0].pk}/")
    phone_page.fill("#id_phone", "13912345678")
    for question in survey.questions.all():
        if question.kind == "rating":
            phone_page.check(f"input[name='q{question.pk}'][value='5']")
        elif question.kind == "yes_no":
            phone_page.check(f"input[name='q{question.pk}'][value='yes']")
        else:
            phone_page.fill(f"#id_q{question.pk}", "医生很耐心")
    shot(phone_page, "indicators-survey-phone")
    with phone_page.expect_navigation():
        phone_page.click("#survey-submit")
    assert phone_page.locator("#thanks").is_visible()

    assert _satisfaction_cell(page, live_server, town).startswith("100")
    shot(page, "indicators-dashboard")

    phone_page.go_back()
    phone_page.reload()
    phone_page.fill("#id_phone", "13912345678")
    for question in survey.questions.filter(kind="rating"):
        phone_page.check(f"input[name='q{question.pk}'][value='1']")
    for question in survey.questions.filter(kind="yes_no"):
        phone_page.check(f"input[name='q{question.pk}'][value='no']")
    with phone_page.expect_navigation():
        phone_page.click("#survey-submit")
    assert "已参加过" in phone_page.locator(".errorlist").inner_text()  # refused: already answered (Chinese page)
    assert _satisfaction_cell(page, live_server, town).startswith("100")

    indicator = Indicator.objects.get(code="satisfaction")
    page.goto(f"{live_server.url}/indicators/{indicator.pk}/?region={town.city.pk}")
    page.wait_for_selector("#trend-chart canvas")
    page.wait_for_selector("#value-map .leaflet-interactive")
    shot(page, "indicators-detail")
