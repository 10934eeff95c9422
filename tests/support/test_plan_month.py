"""Month views: the hospital's (doctors × days, clinic in the cell) and the clinic's (hospitals × days,
doctor in the cell, days required vs planned); days off shaded; shortfalls listed; Excel export."""

import io
import re
from datetime import date

import openpyxl
import pytest

from tests.support import test_plan_fixtures
from tests.support.factories import AssignmentFactory
from tests.support.test_plan_fixtures import DEC, THURSDAY, TUESDAY, WEDNESDAY, client_for
from yilian.support.selectors_plan import short_clinic_name

world = test_plan_fixtures.world  # the shared fixture


def _cell(page: str, row_attr: str, day: date) -> str:
    """The HTML of the grid cell of one row and one day."""
    row = re.search(rf'<tr {row_attr}>(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'<td class="day[^"]*" data-date="{day.isoformat()}">(.*?)</td>', row, re.S).group(1)


def _cell_class(page: str, row_attr: str, day: date) -> str:
    row = re.search(rf'<tr {row_attr}>(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'<td class="(day[^"]*)" data-date="{day.isoformat()}">', row).group(1)


@pytest.fixture
def planned(world):
    return [
        AssignmentFactory(agreement=world.agreement1, doctor=world.senior, date=TUESDAY),
        AssignmentFactory(agreement=world.agreement2, doctor=world.senior, date=THURSDAY),
        AssignmentFactory(agreement=world.agreement3, doctor=world.other, date=WEDNESDAY),
        AssignmentFactory(agreement=world.agreement1, doctor=world.senior, date=date(2026, 12, 8), status="cancelled"),
    ]


def test_hospital_month_shows_the_clinic_in_the_doctors_day(world, planned):
    page = client_for(world.coordinator).get(f"/support/plan/hospital/{world.hospital.pk}/?month={DEC}")
    html = page.content.decode()
    senior = f'data-doctor="{world.senior.pk}"'
    assert "新天" in _cell(html, senior, TUESDAY) and world.clinic1.name in _cell(html, senior, TUESDAY)
    assert "水东" in _cell(html, senior, THURSDAY)
    assert "+" in _cell(html, senior, WEDNESDAY) and "新天" not in _cell(html, senior, WEDNESDAY)
    assert "新天" not in _cell(html, senior, date(2026, 12, 8))  # cancelled
    assert "off" in _cell_class(html, senior, date(2026, 12, 5))  # Saturday
    assert "off" not in _cell_class(html, senior, TUESDAY)
    assert f'data-doctor="{world.other.pk}"' not in html  # the other hospital's doctor
    assert "金仓" not in html
    assert html.count('<td class="day') == 31 * 2  # two doctors, 31 days


def test_month_navigation_and_default_next_month(world):
    client = client_for(world.coordinator)
    html = client.get(f"/support/plan/hospital/{world.hospital.pk}/?month={DEC}").content.decode()
    assert 'href="?month=2026-11"' in html and 'href="?month=2027-01"' in html
    january = client.get(f"/support/plan/hospital/{world.hospital.pk}/?month=2027-01").content.decode()
    assert "calendar-warning" in january  # 2027 holidays not entered
    default = client.get(f"/support/plan/hospital/{world.hospital.pk}/")
    assert default.context["plan"].first > date.today().replace(day=1)


def test_shortfalls_are_listed_per_clinic(world, planned):
    plan = client_for(world.coordinator).get(
        f"/support/plan/hospital/{world.hospital.pk}/?month=2026-11").context["plan"]
    assert {(s.clinic, s.period, s.missing) for s in plan.shortfalls} == {
        (world.clinic1.name, "2026-11", 1), (world.clinic2.name, "2026-11", 1)}
    december = client_for(world.coordinator, "en").get(f"/support/plan/hospital/{world.hospital.pk}/?month={DEC}")
    assert not december.context["plan"].shortfalls
    assert 'id="shortfalls"' not in december.content.decode()
    november = client_for(world.coordinator, "en").get(
        f"/support/plan/hospital/{world.hospital.pk}/?month=2026-11").content.decode()
    assert "needs 1 more day(s) in 2026-11" in november


def test_clinic_month_shows_doctors_and_requirements(world, planned):
    response = client_for(world.clinic_staff).get(f"/support/plan/clinic/{world.clinic1.pk}/?month={DEC}")
    html = response.content.decode()
    row = f'data-agreement="{world.agreement1.pk}"'
    assert "高主任" in _cell(html, row, TUESDAY)
    assert "高主任" not in _cell(html, row, THURSDAY)  # that day he is at 水东
    requirement = response.context["plan"].requirements
    assert [(r.period, r.planned, r.status) for r in requirement] == [("2026-12", 1, "ok")]
    assert "水东" not in html and "金仓" not in html


def test_clinic_sees_its_own_month_view_only(world, planned):
    client = client_for(world.clinic_staff)
    assert client.get(f"/support/plan/clinic/{world.clinic2.pk}/?month={DEC}").status_code == 404
    assert client.get(f"/support/plan/clinic/{world.clinic3.pk}/?month={DEC}").status_code == 404
    assert client.get(f"/support/plan/hospital/{world.hospital.pk}/?month={DEC}").status_code == 404
    assert client.get(f"/support/plan/clinic/{world.clinic1.pk}/export.xlsx?month={DEC}").status_code == 200
    # the plan home takes the clinic straight to its view
    assert client.get("/support/plan/")["Location"] == f"/support/plan/clinic/{world.clinic1.pk}/"


def test_coordinator_lands_on_own_hospital(world):
    response = client_for(world.coordinator).get("/support/plan/")
    assert response["Location"] == f"/support/plan/hospital/{world.hospital.pk}/"
    assert client_for(world.coordinator).get(f"/support/plan/clinic/{world.clinic3.pk}/").status_code == 404


def test_supervisor_sees_every_plan_of_the_district(world, planned):
    client = client_for(world.supervisor)
    home = client.get("/support/plan/").content.decode()
    assert world.hospital.name in home and world.hospital2.name in home
    assert client.get(f"/support/plan/hospital/{world.hospital2.pk}/?month={DEC}").status_code == 200


def test_export_month_plan(world, planned):
    response = client_for(world.coordinator).get(f"/support/plan/hospital/{world.hospital.pk}/export.xlsx?month={DEC}")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    grid, days = book.worksheets
    rows = {str(r[0].value).split("\n")[0]: [c.value for c in r[1:]] for r in grid.iter_rows(min_row=4)
            if r[0].value}
    assert rows["高主任"][0] == "新天" and rows["高主任"][2] == "水东" and rows["高主任"][1] in (None, "")
    listed = [(r[0].value, r[1].value, r[4].value) for r in days.iter_rows(min_row=2)]
    assert listed == [("2026-12-01", "高主任", world.clinic1.name), ("2026-12-03", "高主任", world.clinic2.name)]


def test_short_clinic_names():
    assert short_clinic_name("新天社区卫生服务中心") == "新天"
    assert short_clinic_name("云岩区盐务社区卫生服务中心") == "盐务"
    assert short_clinic_name("开阳县城关镇卫生院") == "城关镇"
