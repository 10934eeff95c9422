"""Grassroots service record: distinct days of finished visits per doctor, per year and in total,
against the configurable requirement; a per-hospital page and an Excel export."""

import io
from datetime import date

import openpyxl

from tests.support import test_plan_fixtures
from tests.support.factories import VisitFactory
from tests.support.test_plan_fixtures import client_for
from yilian.support.models import Visit
from yilian.support.selectors_plan import service_records

world = test_plan_fixtures.world  # the shared fixture


def _visits(world):
    pairing, pairing2 = world.agreement1.pairing, world.agreement2.pairing
    for day in (date(2025, 3, 3), date(2025, 3, 4), date(2026, 1, 5)):
        VisitFactory(pairing=pairing, doctor=world.senior, date=day)
    VisitFactory(pairing=pairing2, doctor=world.senior, date=date(2026, 1, 6), status=Visit.Status.CONFIRMED)
    VisitFactory(pairing=pairing, doctor=world.senior, date=date(2026, 1, 7), status=Visit.Status.DISPUTED)
    VisitFactory(pairing=pairing, doctor=world.senior, date=date(2026, 1, 8), status=Visit.Status.CHECKED_IN,
                 check_out_at=None)
    VisitFactory(pairing=pairing, doctor=world.junior, date=date(2026, 2, 2))


def test_counts_per_year_and_in_total(world, settings):
    settings.YILIAN_GRASSROOTS_DAYS_REQUIRED = 4
    _visits(world)
    records = {r.doctor.name: r for r in service_records([world.senior, world.junior])}
    assert records["高主任"].by_year == {2025: 2, 2026: 2}
    assert records["高主任"].total == 4 and records["高主任"].completed
    assert records["初医生"].total == 1 and not records["初医生"].completed and records["初医生"].percent == 25


def test_default_requirement_is_one_year(world, settings):
    del settings.YILIAN_GRASSROOTS_DAYS_REQUIRED
    assert service_records([world.senior])[0].required == 365


def test_hospital_page_and_export(world, settings):
    settings.YILIAN_GRASSROOTS_DAYS_REQUIRED = 4
    _visits(world)
    client = client_for(world.coordinator)
    response = client.get(f"/support/service-record/hospital/{world.hospital.pk}/")
    assert response.context["completed_count"] == 1 and response.context["years"] == [2025, 2026]
    page = response.content.decode()
    assert f'data-doctor="{world.senior.pk}"' in page and f'data-doctor="{world.other.pk}"' not in page
    completed = client.get(f"/support/service-record/hospital/{world.hospital.pk}/?completed=1").context["records"]
    assert [r.doctor.name for r in completed] == ["高主任"]
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/support/service-record/hospital/{world.hospital.pk}/export.xlsx").content))
    rows = [[c.value for c in r] for r in book.active.iter_rows(min_row=3)]
    assert rows[0][0] == "高主任" and rows[0][3:7] == [world.senior.licence_number, 2, 2, 4]
    home = client.get("/support/service-record/")
    assert home["Location"] == f"/support/service-record/hospital/{world.hospital.pk}/"


def test_service_record_is_scoped(world):
    assert client_for(world.coordinator).get(
        f"/support/service-record/hospital/{world.hospital2.pk}/").status_code == 404
    assert client_for(world.clinic_staff).get(
        f"/support/service-record/hospital/{world.hospital.pk}/").status_code == 404
    page = client_for(world.supervisor).get("/support/service-record/").content.decode()
    assert world.hospital.name in page and world.hospital2.name in page
