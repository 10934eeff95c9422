"""Planning pages over HTTP: list, new (upload form, worker inline), progress and results, map data,
what-if endpoint, comparison, exports; scope (other districts' scenarios are 404)."""

import io
import json

import openpyxl
import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from tests.planning.factories import make_area, upload_files
from yilian.planning import services
from yilian.planning.models import Scenario


@pytest.fixture
def area(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    HUEY.immediate = True
    yield make_area()
    HUEY.immediate = False


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def done(area):
    return services.scenario_start(by=area.supervisor, data={"name": "南明区基线", "region": area.district,
                                                             "new_sites": 2}, files=upload_files(), language="en",
                                   run_now=True)


def test_new_scenario_through_the_form_runs_in_the_worker(area, client):
    client_for(client, area.supervisor)
    page = client.get(reverse("planning-new"))
    assert page.status_code == 200
    key = page.context["form"].initial["client_key"]
    data = {"name": "上传方案", "region": area.district.pk, "source": "upload", "datum": "wgs84", "speed_kmh": 4.5,
            "threshold_min": 15, "max_access_m": 500, "new_sites": 2, "seed": 1, "client_key": key}
    response = client.post(reverse("planning-new"), data | upload_files())
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("planning-detail", args=[scenario.pk])
    assert scenario.status == Scenario.Status.DONE and scenario.task_id, scenario.message
    client.post(reverse("planning-new"), data | upload_files())  # a double submit creates nothing
    assert Scenario.objects.count() == 1
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200 and "花果园街道" in html and 'id="plan"' in html
    fragment = client.get(response["Location"] + "?fragment=status", HTTP_HX_REQUEST="true")
    assert 'data-status="done"' in fragment.content.decode() and "hx-trigger" not in fragment.content.decode()


def test_wrong_file_type_is_refused_by_the_form(area, client):
    client_for(client, area.supervisor)
    files = upload_files()
    files["network_file"].name = "streets.shp"
    response = client.post(reverse("planning-new"), {"name": "x", "region": area.district.pk, "source": "upload",
                                                     "datum": "wgs84", "speed_kmh": 4.5, "threshold_min": 15,
                                                     "max_access_m": 500, "new_sites": 1, "seed": 1} | files)
    assert response.status_code == 200 and "network_file" in response.context["form"].errors
    assert Scenario.objects.count() == 0


def test_failed_scenario_page_shows_the_reason(area, client):
    type(area.facilities[0]).objects.filter(pk=area.facilities[0].pk).update(latitude=None, longitude=None)
    scenario = services.scenario_start(by=area.supervisor, data={"name": "x", "region": area.district},
                                       files=upload_files(), language="en", run_now=True)
    html = client_for(client, area.supervisor).get(reverse("planning-detail", args=[scenario.pk])).content.decode()
    assert 'data-status="failed"' in html and area.facilities[0].name in html
    assert client.get(reverse("planning-map", args=[scenario.pk])).status_code == 404


def test_pages_are_scoped(area, done, client):
    client_for(client, area.outsider)
    for name in ("planning-detail", "planning-map", "planning-map-data"):
        assert client.get(reverse(name, args=[done.pk])).status_code == 404
    assert client.post(reverse("planning-whatif", args=[done.pk]), "{}", content_type="application/json"
                       ).status_code == 404
    assert client.get(reverse("planning-export", args=[done.pk, "xlsx"])).status_code == 404
    assert done.name not in client.get(reverse("planning-list")).content.decode()
    client_for(client, area.clinic_user)  # clinic staff do not plan
    assert client.get(reverse("planning-new")).status_code == 404
    assert client.get(reverse("planning-detail", args=[done.pk])).status_code == 404


def test_map_data_and_what_if(area, done, client):
    client_for(client, area.supervisor)
    assert client.get(reverse("planning-map", args=[done.pk])).status_code == 200
    data = client.get(reverse("planning-map-data", args=[done.pk])).json()
    assert data["network"] and data["uncovered_cells"] and len(data["proposed"]) == 2 and len(data["facilities"]) == 3
    site = data["proposed"][0]
    url = reverse("planning-whatif", args=[done.pk])
    answer = client.post(url, json.dumps({"changes": [{"action": "add", "lon": site["lon"], "lat": site["lat"]}]}),
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["covered_share"] > done.covered_share
    bad = client.post(url, json.dumps({"changes": [{"action": "move", "facility": 42, "lon": 1, "lat": 1}]}),
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]
    assert client.post(url, b"not json", content_type="application/json").status_code == 400


def test_exports(area, done, client):
    client_for(client, area.supervisor)
    xlsx = client.get(reverse("planning-export", args=[done.pk, "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == len(done.results["levels"]["community"]) + 1
    assert rows[1][0] == done.results["levels"]["community"][0]["name"]
    uncovered = json.loads(client.get(reverse("planning-export", args=[done.pk, "uncovered"])).content)
    assert uncovered["features"][0]["geometry"]["type"] == "Polygon"
    assert sum(f["properties"]["people"] for f in uncovered["features"]) == pytest.approx(
        done.results["summary"]["people"] - done.results["summary"]["covered_people"], rel=1e-3)
    sites = json.loads(client.get(reverse("planning-export", args=[done.pk, "sites"])).content)
    assert len(sites["features"]) == 2
    assert client.get(reverse("planning-export", args=[done.pk, "pdf"])).status_code == 404


def test_compare_side_by_side(area, done, client):
    other = services.scenario_start(by=area.supervisor, data={"name": "慢速步行", "region": area.district,
                                                              "speed_kmh": 3.0, "new_sites": 1},
                                    files=upload_files(), language="en", run_now=True)
    client_for(client, area.supervisor)
    response = client.get(reverse("planning-compare"), {"s": [done.pk, other.pk]})
    html = response.content.decode()
    assert response.status_code == 200 and "南明区基线" in html and "慢速步行" in html
    shares = dict(zip([s.pk for s in response.context["scenarios"]],
                      [float(v.rstrip(" %")) for v in response.context["rows"][4][1]], strict=True))
    assert shares[other.pk] < shares[done.pk]  # walking slower covers fewer people


def test_list_page(area, done, client):
    html = client_for(client, area.supervisor).get(reverse("planning-list")).content.decode()
    assert done.name in html and "planning-new" in html


def test_api_lists_details_and_answers_what_if(area, done, client):
    client.force_login(area.supervisor)
    listing = client.get("/api/v1/planning/scenarios").json()
    assert [s["id"] for s in listing] == [done.pk] and listing[0]["region"] == "南明区"
    detail = client.get(f"/api/v1/planning/scenarios/{done.pk}").json()
    assert detail["summary"]["covered_share"] == pytest.approx(done.covered_share) and len(detail["proposed"]) == 2
    answer = client.post(f"/api/v1/planning/scenarios/{done.pk}/whatif",
                         json.dumps({"changes": [{"action": "remove", "facility": 0}]}),
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["covered_share"] < done.covered_share
    bad = client.post(f"/api/v1/planning/scenarios/{done.pk}/whatif",
                      json.dumps({"changes": [{"action": "fly"}]}), content_type="application/json")
    assert bad.status_code == 400
    client.force_login(area.outsider)
    assert client.get(f"/api/v1/planning/scenarios/{done.pk}").status_code == 404
    assert client.get("/api/v1/planning/scenarios").json() == []
