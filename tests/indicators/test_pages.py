"""Pages through HTTP: dashboard, indicator page, records, scoping, packs, adding an indicator, weights."""

import re
from datetime import date

import pytest
from django.utils import timezone

from yilian.indicators import engine
from yilian.indicators.models import Indicator
from yilian.network.models import Institution


@pytest.fixture
def loaded(town, shipped):
    Institution.objects.filter(pk=town.clinics[0].pk).update(standard="basic", standard_year=2022)
    engine.refresh(today=timezone.localdate(), trend=False)
    return town


def test_dashboard_shows_every_indicator_with_target_deadline_status_and_source(client, loaded):
    client.force_login(loaded.supervisor)
    page = client.get("/indicators/").content.decode()
    for indicator in Indicator.objects.all():
        assert f'id="indicator-{indicator.code}"' in page
    assert "2021年底,完成41个医疗健康工程试点建设工作" in page
    assert "no data source yet" in page  # full-appointment mode: the appointments app is not merged
    assert "2023-12-31" in page


def test_indicator_page_links_numbers_to_their_records(client, loaded):
    client.force_login(loaded.supervisor)
    indicator = Indicator.objects.get(code="basic-standard")
    page = client.get(f"/indicators/{indicator.pk}/?region={loaded.city.pk}").content.decode()
    assert "25" in page and "甲区" in page and 'id="chart-data"' in page
    records = client.get(f"/indicators/{indicator.pk}/records/?region={loaded.city.pk}").content.decode()
    assert "甲1社区卫生服务中心" in records and "乙1社区卫生服务中心" not in records
    per_clinic = client.get(f"/indicators/{indicator.pk}/records/?region={loaded.city.pk}"
                            f"&institution={loaded.clinics[1].pk}&side=denominator").content.decode()
    assert "甲2社区卫生服务中心" in per_clinic and "甲1社区卫生服务中心" not in per_clinic


def test_a_region_outside_the_users_scope_is_404(client, loaded):
    client.force_login(loaded.outsider)
    assert client.get(f"/indicators/?region={loaded.city.pk}").status_code == 404
    client.force_login(loaded.district_supervisor)
    assert client.get(f"/indicators/?region={loaded.districts[1].pk}").status_code == 404
    assert client.get("/indicators/").status_code == 200


def test_login_is_required(client, loaded):
    assert client.get("/indicators/").status_code == 302


def test_pages_render_for_every_role(client, loaded):
    for user in (loaded.supervisor, loaded.coordinator, loaded.clinic_staff):
        client.force_login(user)
        for url in ("/indicators/", "/indicators/packs/", "/indicators/laggards/", "/indicators/ledgers/",
                    "/indicators/surveys/", "/indicators/ledgers/health-education/quotas/"):
            assert client.get(url).status_code == 200, (user, url)


def test_supervisor_adds_an_indicator_validated_like_a_pack(client, loaded, django_capture_on_commit_callbacks):
    client.force_login(loaded.supervisor)
    pack = Indicator.objects.get(code="basic-standard").pack
    form = {"pack": pack.pk, "code": "centres", "name_zh": "中心数", "name_en": "Centres", "unit": "家",
            "direction": "at_least", "source_sentence": "自定", "target_value": "3", "deadline": "2030-12-31",
            "query": "numerator: {model: network.Institution, by: id, filter: {colour: red}}"}
    page = client.post("/indicators/new/", form).content.decode()
    assert "colour" in page and not Indicator.objects.filter(code="centres").exists()
    form["query"] = "numerator: {model: network.Institution, by: id, filter: {kind: community_center}}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/indicators/new/", form)
    indicator = Indicator.objects.get(code="centres", shipped=False)
    assert response.status_code == 302
    page = client.get(f"/indicators/{indicator.pk}/?region={loaded.city.pk}").content.decode()
    assert re.search(r'id="current-value">\s*4 家', page), re.search(r'id="current-value">[^<]*', page)


def test_clinic_staff_cannot_add_indicators_or_weights(client, loaded):
    client.force_login(loaded.clinic_staff)
    assert client.get("/indicators/new/").status_code == 404
    indicator = Indicator.objects.first()
    assert client.post(f"/indicators/{indicator.pk}/weight/", {"weight": "5"}).status_code == 404


def test_supervisor_sets_a_weight(client, loaded):
    client.force_login(loaded.supervisor)
    indicator = Indicator.objects.first()
    client.post(f"/indicators/{indicator.pk}/weight/", {"weight": "2.5"})
    indicator.refresh_from_db()
    assert float(indicator.weight) == 2.5


def test_api_dashboard(client, loaded):
    client.force_login(loaded.supervisor)
    body = client.get(f"/api/v1/indicators/dashboard/{loaded.city.pk}").json()
    line = next(x for x in body if x["code"] == "basic-standard")
    assert line["value"] == 25 and line["deadline"] == "2022-12-31" and line["status"] == "missed"
    assert client.get(f"/api/v1/indicators/dashboard/{loaded.city.pk + 999}").status_code == 404


def test_status_counts_on_dashboard_use_todays_date(loaded):
    assert date.today() >= date(2024, 1, 1)  # the shipped deadlines are mostly past: figures must say missed


def test_supervisor_edits_own_indicator_but_not_a_shipped_one(client, loaded, django_capture_on_commit_callbacks):
    client.force_login(loaded.supervisor)
    shipped = Indicator.objects.get(code="basic-standard")
    response = client.get(f"/indicators/{shipped.pk}/edit/")
    assert response.status_code == 302
    mine = Indicator.objects.create(pack=shipped.pack, code="mine", name_zh="自加", name_en="Mine", unit="家",
                                    shipped=False, source_sentence="-",
                                    definition={"query": {"numerator": {"model": "network.Institution", "by": "id"}}})
    form = {"pack": shipped.pack.pk, "code": "mine", "name_zh": "自加指标", "name_en": "Mine", "unit": "家",
            "direction": "at_least", "source_sentence": "自定", "target_value": "2", "deadline": "2030-12-31",
            "query": "numerator: {model: network.Institution, by: id, filter: {kind: community_center}}"}
    assert "network.Institution" in client.get(f"/indicators/{mine.pk}/edit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/indicators/{mine.pk}/edit/", form).status_code == 302
    mine.refresh_from_db()
    assert mine.name_zh == "自加指标" and [float(t.value) for t in mine.targets.all()] == [2]
    form["deadline"] = ""
    assert "errorlist" in client.post(f"/indicators/{mine.pk}/edit/", form).content.decode()
