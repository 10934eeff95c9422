"""The public satisfaction survey: no login, one answer per phone per period and per visit, rate limit,
and the satisfaction indicator moves."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from yilian.indicators import engine, selectors, services
from yilian.indicators.models import Indicator, Response


@pytest.fixture
def survey(town, shipped):
    cache.clear()  # the rate limiter counts in the cache
    engine.refresh(today=timezone.localdate(), trend=False)
    return services.survey_create_default(region=town.city)


def _answer(survey, phone="13912345678", rating="5", **extra):
    data = {"phone": phone}
    for q in survey.questions.all():
        data[f"q{q.pk}"] = {"rating": rating, "yes_no": "yes", "text": "很好"}[q.kind]
    return data | extra


def _satisfaction(town):
    indicator = Indicator.objects.get(code="satisfaction")
    return selectors.line_for(town.city, indicator, timezone.localdate()).value


def test_a_resident_answers_without_login_and_the_figure_moves(client, town, survey,
                                                                 django_capture_on_commit_callbacks):
    url = f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/"
    assert client.get(url).status_code == 200
    assert _satisfaction(town) is None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _answer(survey))
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")
    assert _satisfaction(town) == 100
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _answer(survey, phone="13900000001", rating="2"))
    assert _satisfaction(town) == 50
    stored = Response.objects.first()
    assert "13900000001" not in stored.phone_hash and len(stored.phone_hash) == 64


def test_a_second_answer_from_the_same_phone_is_refused_clearly(client, town, survey):
    url = f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/"
    client.post(url, _answer(survey))
    page = client.post(url, _answer(survey, phone="139-1234-5678")).content.decode()
    assert "already answered this survey" in page
    assert Response.objects.count() == 1


def test_one_answer_per_visit(client, town, survey):
    url = f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/"
    client.post(url, _answer(survey, visit_ref="V-1"))
    page = client.post(url, _answer(survey, phone="13900000002", visit_ref="V-1")).content.decode()
    assert "This visit has already been rated" in page and Response.objects.count() == 1


def test_bad_answers_are_refused_field_by_field(client, town, survey):
    url = f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/"
    page = client.post(url, _answer(survey, phone="12")).content.decode()
    assert Response.objects.count() == 0 and "errorlist" in page


def test_a_clinic_outside_the_surveys_region_is_404(client, town, survey):
    from tests.factories import InstitutionFactory

    elsewhere = InstitutionFactory()
    assert client.get(f"/indicators/s/{survey.pk}/{elsewhere.pk}/").status_code == 404


def test_the_public_page_is_rate_limited(client, town, survey, settings):
    settings.RATELIMIT_ENABLE = True
    settings.YILIAN_PUBLIC_WRITE_RATE = "20/m"
    url = f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/"
    statuses = [client.post(url, _answer(survey, phone=f"139000001{n:02d}")).status_code for n in range(22)]
    assert statuses[-1] == 429 and statuses.count(302) == 20


def test_staff_get_the_qr_code_and_results(client, town, survey):
    client.force_login(town.clinic_staff)
    page = client.get(f"/indicators/surveys/{survey.pk}/qr/{town.clinics[0].pk}/").content.decode()
    assert "<svg" in page and f"/indicators/s/{survey.pk}/{town.clinics[0].pk}/" in page
    client.force_login(town.outsider)
    assert client.get(f"/indicators/surveys/{survey.pk}/").status_code == 404
