"""Every dispatch rule, through HTTP: a clear message naming the rule, and nothing saved.

Rules: minimum title, own hospital, agreement period, working days, one place a day (also a DB
constraint), maximum days per period. A retried request is the same assignment; scope answers 404.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.support import test_plan_fixtures
from tests.support.factories import AgreementFactory, AssignmentFactory, DoctorFactory, ProgrammeFactory
from tests.support.test_plan_fixtures import DEC, SATURDAY, THURSDAY, TUESDAY, WEDNESDAY, client_for
from yilian.support import services_plan
from yilian.support.models import Assignment, CalendarDay, Title

world = test_plan_fixtures.world  # the shared fixture


def _assign(client, world, doctor, agreement, day, hospital=None):
    hospital = hospital or world.hospital
    return client.post(f"/support/plan/hospital/{hospital.pk}/assign/", {
        "doctor": doctor.pk, "agreement": agreement.pk, "date": day.isoformat(), "month": DEC})


def _refused(response, rule_words):
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert rule_words in errors, errors
    assert rule_words in response.content.decode()
    return errors


def test_coordinator_plans_a_day(world):
    response = _assign(client_for(world.coordinator), world, world.senior, world.agreement1, TUESDAY)
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.doctor, assignment.agreement, assignment.date) == (world.senior, world.agreement1, TUESDAY)
    assert assignment.history.latest().history_user == world.coordinator


def test_htmx_answers_with_the_month_fragment(world):
    response = client_for(world.coordinator).post(
        f"/support/plan/hospital/{world.hospital.pk}/assign/",
        {"doctor": world.senior.pk, "agreement": world.agreement1.pk, "date": TUESDAY.isoformat(), "month": DEC},
        HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="plan-month">') and "<html" not in page
    assert 'id="plan-notice"' in page and "高主任" in page


def test_title_below_the_programme_minimum(world):
    response = _assign(client_for(world.coordinator, "en"), world, world.junior, world.agreement1, TUESDAY)
    errors = _refused(response, "minimum title")
    assert "初医生" in errors
    assert not Assignment.objects.exists()


def test_minimum_title_is_a_programme_setting(world):
    world.programme.min_title = Title.JUNIOR
    world.programme.save()
    assert _assign(client_for(world.coordinator), world, world.junior, world.agreement1, TUESDAY).status_code == 302


def test_doctor_of_another_hospital(world):
    # a supervisor sees both hospitals' doctors; the service still refuses the mix
    with pytest.raises(ValidationError) as exc:
        services_plan.assignment_create(by=world.supervisor, doctor=world.other, agreement=world.agreement1,
                                        date=TUESDAY)
    assert [e.code for e in exc.value.error_list] == ["own_hospital"]
    assert not Assignment.objects.exists()


def test_coordinator_cannot_plan_another_hospitals_doctor(world):
    client = client_for(world.coordinator)
    response = _assign(client, world, world.other, world.agreement1, TUESDAY)
    assert response.status_code == 200 and response.context["form"].errors["doctor"]
    # nor plan on the other hospital's page or agreement
    assert _assign(client, world, world.other, world.agreement3, TUESDAY, hospital=world.hospital2).status_code == 404
    assert client.get(f"/support/plan/hospital/{world.hospital2.pk}/?month={DEC}").status_code == 404
    with pytest.raises(Exception) as exc:
        services_plan.assignment_create(by=world.coordinator, doctor=world.other, agreement=world.agreement3,
                                        date=TUESDAY)
    assert exc.type.__name__ == "Http404"
    assert not Assignment.objects.exists()


def test_date_outside_the_agreement(world):
    response = _assign(client_for(world.coordinator, "en"), world, world.senior, world.agreement1, date(2027, 1, 5))
    _refused(response, "agreement period")
    assert not Assignment.objects.exists()


def test_weekend_and_holiday_are_not_working_days(world):
    client = client_for(world.coordinator, "en")
    errors = _refused(_assign(client, world, world.senior, world.agreement1, SATURDAY), "working days")
    assert "weekend" in errors
    errors = _refused(_assign(client, world, world.senior, world.agreement1, date(2026, 10, 1)), "working days")
    assert "National Day" in errors
    assert not Assignment.objects.exists()


def test_adjusted_working_saturday_and_table_entry(world):
    client = client_for(world.coordinator, "en")
    assert _assign(client, world, world.senior, world.agreement1, date(2026, 10, 10)).status_code == 302
    CalendarDay.objects.create(date=THURSDAY, is_workday=False, name="地方假日")
    errors = _refused(_assign(client, world, world.senior, world.agreement2, THURSDAY), "working days")
    assert "地方假日" in errors
    assert Assignment.objects.count() == 1


def test_doctor_in_two_places_on_one_day(world):
    client = client_for(world.coordinator, "en")
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 302
    errors = _refused(_assign(client, world, world.senior, world.agreement2, TUESDAY), "one place a day")
    assert world.clinic1.name in errors
    assert Assignment.objects.count() == 1


def test_same_day_posted_twice_is_one_assignment(world):
    client = client_for(world.coordinator)
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 302
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 302
    assert Assignment.objects.count() == 1


def test_database_constraint_gives_the_same_message(world):
    """Two coordinators racing: the check passed for both, the insert of the second fails."""
    AssignmentFactory(agreement=world.agreement1, doctor=world.senior, date=TUESDAY)
    original = services_plan.assignment_rule_errors
    try:
        services_plan.assignment_rule_errors = lambda *args: []  # the race: the check saw no clash
        with pytest.raises(ValidationError) as exc:
            services_plan.plan_day(doctor=world.senior, agreement=world.agreement2, day=TUESDAY)
    finally:
        services_plan.assignment_rule_errors = original
    assert exc.value.error_list[0].code == "one_place"
    assert Assignment.objects.count() == 1


def test_clinic_gets_at_most_the_programmes_maximum(world):
    extra = DoctorFactory(hospital=world.hospital, name="三号", title=Title.INTERMEDIATE)
    client = client_for(world.coordinator, "en")
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 302
    assert _assign(client, world, extra, world.agreement1, WEDNESDAY).status_code == 302
    # a second doctor on a day already planned does not make a third day
    assert _assign(client, world, extra, world.agreement1, TUESDAY).status_code == 302
    errors = _refused(_assign(client, world, world.senior, world.agreement1, THURSDAY), "maximum days")
    assert "2026-12" in errors
    assert sorted(Assignment.objects.filter(agreement=world.agreement1).values_list("date", flat=True)) == [
        TUESDAY, TUESDAY, WEDNESDAY]
    # the next month has room again
    assert _assign(client, world, world.senior, world.agreement1, date(2026, 11, 3)).status_code == 302


def test_weekly_programme_counts_per_week(world):
    world.programme.period, world.programme.max_days = "week", 1
    world.programme.save()
    client = client_for(world.coordinator, "en")
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 302
    _refused(_assign(client, world, world.senior, world.agreement1, WEDNESDAY), "maximum days")
    assert _assign(client, world, world.senior, world.agreement1, date(2026, 12, 8)).status_code == 302


def test_several_broken_rules_are_all_named(world):
    response = _assign(client_for(world.coordinator, "en"), world, world.junior, world.agreement1, SATURDAY)
    errors = _refused(response, "minimum title")
    assert "working days" in errors


def test_cancel_frees_the_day(world):
    client = client_for(world.coordinator)
    _assign(client, world, world.senior, world.agreement1, TUESDAY)
    assignment = Assignment.objects.get()
    response = client.post(f"/support/plan/assignments/{assignment.pk}/cancel/", {"month": DEC})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CANCELLED
    assert _assign(client, world, world.senior, world.agreement2, TUESDAY).status_code == 302


def test_cancel_is_scoped(world):
    assignment = AssignmentFactory(agreement=world.agreement3, doctor=world.other, date=TUESDAY)
    for user in (world.coordinator, world.clinic_staff):
        assert client_for(user).post(f"/support/plan/assignments/{assignment.pk}/cancel/").status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.PLANNED


def test_clinic_staff_cannot_plan(world):
    client = client_for(world.clinic_staff)
    assert _assign(client, world, world.senior, world.agreement1, TUESDAY).status_code == 404
    assert not Assignment.objects.exists()


def test_supervisor_of_another_district_cannot_plan(world):
    from tests.factories import RegionFactory, user_with_role
    from yilian.accounts.models import Membership

    outsider = user_with_role(Membership.Role.SUPERVISOR, RegionFactory(name="乙区"))
    assert _assign(client_for(outsider), world, world.senior, world.agreement1, TUESDAY).status_code == 404
    assert not Assignment.objects.exists()


def test_ended_agreement_is_refused(world):
    ended = AgreementFactory(pairing=world.agreement1.pairing, programme=ProgrammeFactory(
        region=world.district, year=2025), start=date(2025, 1, 1), end=date(2025, 12, 31), status="ended")
    with pytest.raises(ValidationError) as exc:
        services_plan.assignment_create(by=world.coordinator, doctor=world.senior, agreement=ended,
                                        date=date(2025, 12, 2))
    assert "agreement_ended" in [e.code for e in exc.value.error_list]
