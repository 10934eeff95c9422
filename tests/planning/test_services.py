"""Scenarios through the services: computed (inline here; test_worker.py runs a real worker), failed
with a translated reason and no results on bad input, idempotent, scoped."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.planning.factories import candidates_csv, make_area, upload, upload_files
from yilian.planning import services
from yilian.planning.models import Scenario


@pytest.fixture
def area(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_area()


def start(area, files=None, **data):
    base = {"name": "测试方案", "region": area.district, "source": Scenario.Source.UPLOAD, "new_sites": 2}
    return services.scenario_start(by=area.supervisor, data=base | data, files=files, language="en", run_now=True)


def test_uploaded_scenario_computes_every_result(area):
    scenario = start(area, upload_files(), target_share=60)
    assert scenario.status == Scenario.Status.DONE, scenario.message
    r = scenario.results
    assert 0 < r["summary"]["covered_share"] < 1 and scenario.covered_share == r["summary"]["covered_share"]
    assert {row["name"] for row in r["levels"]["subdistrict"]} == {"新华路街道", "西湖路街道"}
    assert sum(row["people"] for row in r["levels"]["community"]) == pytest.approx(r["summary"]["people"])
    assert [f["subdistrict"] for f in r["facilities"]] == ["新华路街道", "西湖路街道", "花果园街道"]
    assert sum(f["catchment"] for f in r["facilities"]) == pytest.approx(r["summary"]["people"])
    assert r["subdistricts_without_centre"] == ["花果园街道"]
    assert r["uncovered_cells"] and all(len(c["boundary"]) >= 5 for c in r["uncovered_cells"])
    assert len(r["proposed"]) == 2 and r["plan"]["optimal"] and r["plan"]["share_after"] > r["summary"]["covered_share"]
    assert r["plan"]["gap_pp"] >= 0 and r["set_cover"]["sites"] >= 1
    assert scenario.prepared and scenario.message.startswith("Done")


def test_generated_network_labels_people_with_the_registry_communities(area):
    scenario = start(area, source=Scenario.Source.GENERATED, new_sites=1)
    assert scenario.status == Scenario.Status.DONE, scenario.message
    names = {row["name"] for row in scenario.results["levels"]["community"]}
    assert names <= {"新华1社区", "新华2社区", "西湖1社区", "西湖2社区", "花果1社区", "花果2社区"} and len(names) == 6


def assert_failed(scenario, text):
    assert scenario.status == Scenario.Status.FAILED
    assert text in scenario.message, scenario.message
    assert scenario.results == {} and not scenario.prepared and scenario.covered_share is None


def test_facility_without_coordinates_fails_the_scenario(area):
    clinic = area.facilities[1]
    type(clinic).objects.filter(pk=clinic.pk).update(latitude=None, longitude=None)
    assert_failed(start(area, upload_files()), f"no coordinates in the registry: {clinic.name}")


def test_network_file_of_the_wrong_kind_fails(area):
    scenario = start(area, upload_files(network_file=upload("streets.geojson", b"PK\x03\x04 a zip file")))
    assert_failed(scenario, "could not be read")


def test_projected_population_fails_with_the_reason(area):
    projected = b"lon,lat,people\n654321.5,2939000.2,40\n"
    assert_failed(start(area, upload_files(population_file=upload("people.csv", projected))),
                  "not longitude and latitude")


def test_population_somewhere_else_fails(area):
    far_away = b"lon,lat,people\n116.40,39.90,40\n116.41,39.91,30\n"  # Beijing people, Guiyang streets
    assert_failed(start(area, upload_files(population_file=upload("people.csv", far_away))),
                  "within 500 m of the walking network")


def test_k_larger_than_the_candidates_fails(area):
    scenario = start(area, upload_files(candidates_file=upload("sites.csv", candidates_csv(3))), new_sites=5)
    assert_failed(scenario, "5 new sites were asked for but there are only 3 candidate sites")


def test_failure_reason_is_in_the_requesters_language(area):
    clinic = area.facilities[0]
    type(clinic).objects.filter(pk=clinic.pk).update(latitude=None, longitude=None)
    data = {"name": "方案", "region": area.district, "source": Scenario.Source.UPLOAD}
    scenario = services.scenario_start(by=area.supervisor, data=data, files=upload_files(), language="zh-hans",
                                       run_now=True)
    assert "没有坐标" in scenario.message, scenario.message


def test_same_client_key_returns_the_first_scenario(area):
    first = services.scenario_start(by=area.supervisor, data={"name": "a", "region": area.district},
                                    files=upload_files(), client_key="k-1", run_now=True)
    again = services.scenario_start(by=area.supervisor, data={"name": "a", "region": area.district},
                                    files=upload_files(), client_key="k-1", run_now=True)
    assert first.pk == again.pk and Scenario.objects.count() == 1


def test_out_of_scope_area_and_missing_files_are_refused(area):
    with pytest.raises(ValidationError):
        services.scenario_start(by=area.outsider, data={"name": "x", "region": area.district}, files=upload_files())
    with pytest.raises(ValidationError):
        services.scenario_start(by=area.supervisor, data={"name": "x", "region": area.district}, files={})
    assert Scenario.objects.count() == 0


def test_a_finished_scenario_does_not_run_twice(area):
    scenario = start(area, upload_files())
    services.scenario_run(scenario.pk)
    scenario.refresh_from_db()
    assert scenario.status == Scenario.Status.DONE


def test_what_if_moves_and_adds(area):
    scenario = start(area, upload_files())
    base = services.what_if(scenario, [])
    assert base["covered_share"] == pytest.approx(scenario.covered_share)
    site = scenario.results["proposed"][0]
    added = services.what_if(scenario, [{"action": "add", "lon": site["lon"], "lat": site["lat"]}])
    assert added["covered_share"] > base["covered_share"] and added["facilities"] == 4
    removed = services.what_if(scenario, [{"action": "remove", "facility": 0}])
    assert removed["covered_share"] < base["covered_share"]
    with pytest.raises(services.PlanningError):
        services.what_if(scenario, [{"action": "move", "facility": 99, "lon": 1, "lat": 2}])
    # a move then back again gives the baseline: the cached state is not changed by a request
    f = scenario.results["facilities"][1]
    there_and_back = services.what_if(scenario, [
        {"action": "move", "facility": 1, "lon": f["lon"] + 0.01, "lat": f["lat"]},
        {"action": "move", "facility": 3, "lon": f["lon"], "lat": f["lat"]}])  # a moved facility's new number
    assert there_and_back["covered_share"] == pytest.approx(base["covered_share"])
    assert services.what_if(scenario, [])["covered_share"] == pytest.approx(base["covered_share"])


def test_error_messages_are_translated():
    with translation.override("zh-hans"):
        text = services.error_message(services.PlanningError("k_exceeds_candidates", k=5, candidates=3))
    assert "5" in text and "3" in text and "candidate" not in text
