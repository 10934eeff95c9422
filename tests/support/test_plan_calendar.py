"""Working days follow the Chinese official calendar; the editable table overrides it and covers
years chinesecalendar does not know; without either, Monday–Friday, and the pages say so."""

from datetime import date

import pytest

from tests.support import test_plan_fixtures
from tests.support.test_plan_fixtures import client_for
from yilian.support import calendar
from yilian.support.models import CalendarDay

world = test_plan_fixtures.world  # the shared fixture

pytestmark = pytest.mark.django_db


def test_national_day_2026_is_not_a_workday():
    assert not calendar.is_workday(date(2026, 10, 1))
    assert calendar.day_info(date(2026, 10, 1)).name in {"国庆节", "National Day"}


def test_adjusted_working_weekend_is_a_workday():
    # 2026-10-10 is a Saturday worked in exchange for the National Day week (调休)
    info = calendar.day_info(date(2026, 10, 10))
    assert info.workday and info.weekend and info.adjusted


def test_ordinary_days():
    assert calendar.is_workday(date(2026, 12, 1))  # Tuesday
    assert not calendar.is_workday(date(2026, 12, 5))  # Saturday
    assert calendar.workdays(date(2026, 9, 28), date(2026, 10, 11)) == [
        date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9),
        date(2026, 10, 10)]


def test_table_entry_overrides_the_official_calendar():
    CalendarDay.objects.create(date=date(2026, 12, 1), is_workday=False, name="地方假日")
    CalendarDay.objects.create(date=date(2026, 10, 1), is_workday=True, name="test")
    assert not calendar.is_workday(date(2026, 12, 1))
    assert calendar.is_workday(date(2026, 10, 1))
    assert calendar.day_info(date(2026, 12, 1)).source == calendar.TABLE


def test_2027_falls_back_to_weekdays_and_reports_coverage():
    assert calendar.calendar_coverage(2026) == calendar.OFFICIAL
    assert calendar.calendar_coverage(2027) == calendar.WEEKDAYS_ONLY
    assert calendar.is_workday(date(2027, 2, 8))  # a Monday, likely Spring Festival: unknown yet
    assert not calendar.is_workday(date(2027, 2, 6))  # Saturday
    assert calendar.coverage_warnings(date(2027, 1, 1), date(2027, 1, 31))
    CalendarDay.objects.create(date=date(2027, 2, 8), is_workday=False, name="春节")
    assert calendar.calendar_coverage(2027) == calendar.TABLE
    assert not calendar.is_workday(date(2027, 2, 8))
    assert not calendar.coverage_warnings(date(2027, 1, 1), date(2027, 1, 31))


def test_periods():
    assert calendar.period_bounds(date(2026, 12, 3), "week") == (date(2026, 11, 30), date(2026, 12, 6))
    assert calendar.period_bounds(date(2026, 11, 3), "quarter") == (date(2026, 10, 1), date(2026, 12, 31))
    assert calendar.period_label(date(2026, 12, 3), "week") == "2026-W49"
    assert calendar.add_months(date(2026, 12, 15), 1) == date(2027, 1, 1)
    assert calendar.add_months(date(2026, 1, 15), -1) == date(2025, 12, 1)


def test_supervisor_enters_the_2027_spring_festival_as_a_range(world):
    client = client_for(world.supervisor)
    page = client.get("/support/calendar/?year=2027").content.decode()
    assert 'data-coverage="weekdays-only"' in page
    response = client.post("/support/calendar/range/", {
        "start": "2027-02-06", "end": "2027-02-12", "is_workday": "0", "name": "春节"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027, is_workday=False, name="春节").count() == 7
    # entering it again changes nothing
    client.post("/support/calendar/range/", {"start": "2027-02-06", "end": "2027-02-12", "is_workday": "0",
                                             "name": "春节"})
    assert CalendarDay.objects.count() == 7
    page = client.get("/support/calendar/?year=2027").content.decode()
    assert 'data-coverage="table"' in page and "2027-02-08" in page
    entry = CalendarDay.objects.get(date=date(2027, 2, 8))
    assert entry.history.latest().history_user == world.supervisor


def test_calendar_edit_and_delete(world):
    client = client_for(world.supervisor)
    client.post("/support/calendar/new/", {"date": "2027-01-01", "is_workday": "", "name": "元旦"})
    entry = CalendarDay.objects.get(date=date(2027, 1, 1))
    assert not entry.is_workday
    client.post(f"/support/calendar/{entry.pk}/edit/", {"date": "2027-01-01", "is_workday": "on", "name": "改"})
    entry.refresh_from_db()
    assert entry.is_workday and entry.name == "改"
    client.post(f"/support/calendar/{entry.pk}/delete/")
    assert not CalendarDay.objects.exists()


def test_bad_range_is_refused(world):
    response = client_for(world.supervisor).post("/support/calendar/range/", {
        "start": "2027-02-12", "end": "2027-02-06", "is_workday": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not CalendarDay.objects.exists()


def test_only_supervisors_edit_the_calendar(world):
    client = client_for(world.coordinator)
    assert client.get("/support/calendar/").status_code == 200
    assert client.get("/support/calendar/range/").status_code == 404
    assert client.post("/support/calendar/new/", {"date": "2027-01-01", "name": "x"}).status_code == 404
    assert not CalendarDay.objects.exists()
