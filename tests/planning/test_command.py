"""`yilian coverage` (manage.py coverage): from files without the database, and re-running a saved
scenario from its prepared inputs."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.planning.factories import CENTRE, make_area, network_geojson, population_csv, small_city, upload_files
from yilian.planning import services


def test_coverage_from_files(tmp_path):
    city = small_city()
    (tmp_path / "streets.geojson").write_bytes(network_geojson(city))
    (tmp_path / "people.csv").write_bytes(population_csv(city))
    (tmp_path / "clinics.csv").write_text(f"lon,lat,name\n{CENTRE[0]},{CENTRE[1]},中心\n", encoding="utf-8")
    out = tmp_path / "out.json"
    call_command("coverage", network=str(tmp_path / "streets.geojson"), population=str(tmp_path / "people.csv"),
                 facilities=str(tmp_path / "clinics.csv"), k=2, json=str(out))
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert 0 < figures["covered_share"] < 1 and len(figures["plan"]["sites"]) == 2
    assert figures["plan"]["heuristic_gap_pp"] >= 0
    with pytest.raises(CommandError, match="population"):
        call_command("coverage", network=str(tmp_path / "streets.geojson"), facilities=str(tmp_path / "clinics.csv"))
    (tmp_path / "bad.csv").write_bytes(b"lon,lat,people\n500000,3000000,4\n")
    with pytest.raises(CommandError):
        call_command("coverage", network=str(tmp_path / "streets.geojson"), population=str(tmp_path / "bad.csv"),
                     facilities=str(tmp_path / "clinics.csv"))


def test_coverage_reproduces_a_saved_scenario(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = make_area()
    scenario = services.scenario_start(by=area.supervisor, data={"name": "方案", "region": area.district,
                                                                 "new_sites": 2}, files=upload_files(), run_now=True)
    out = tmp_path / "out.json"
    call_command("coverage", scenario=scenario.pk, json=str(out))
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["reproduced"] and figures["covered_share"] == pytest.approx(scenario.covered_share)
    assert figures["share_after"] == pytest.approx(scenario.results["plan"]["share_after"])
    assert "reproduced" in capsys.readouterr().out
