"""The worker's coverage snapshot: the view reads it where it is current and is always equal to the
live computation, whatever was changed since (a visit, a contract, a tag, a resident, a bulk write)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.familydoctor.test_coverage import TODAY, _elder, _setup
from yilian.familydoctor import coverage
from yilian.familydoctor import services as resident_services
from yilian.familydoctor import services_care as care_services
from yilian.familydoctor.coverage import coverage_report, refresh_coverage
from yilian.familydoctor.models import CoverageCell, CoverageState, Resident, Tag, refresh_age_tags


def _figures(user, level="clinic"):
    return [(r.name, dict(r.population), r.due, r.on_time, r.hypertensive, r.controlled)
            for r in coverage_report(user, level=level)]


def _live(user, level="clinic"):
    """The same report computed with the snapshot out of the way."""
    saved = coverage._report_cells
    coverage._report_cells = coverage._cells
    try:
        return _figures(user, level)
    finally:
        coverage._report_cells = saved


@pytest.fixture
def snapshot(world, care, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contract = _setup(world, care)
    assert refresh_coverage() >= 2
    return contract


def test_the_view_reads_the_snapshot_where_it_is_current(world, snapshot):
    assert CoverageState.objects.count() >= 2 and CoverageCell.objects.exists()
    assert _figures(world.supervisor_city) == _live(world.supervisor_city)
    # proof that the cells are read, not recomputed: a doctored cell shows
    cell = CoverageCell.objects.get(clinic=world.clinic_b)
    cell.population = {Tag.ELDERLY_65: [1, 1]}
    cell.save()
    assert dict(coverage_report(world.supervisor_b, level="clinic")[0].population)[Tag.ELDERLY_65] == [1, 1]
    assert refresh_coverage() == 0  # nothing changed: nothing to compute


def test_every_kind_of_change_is_seen_at_once(world, care, snapshot, django_capture_on_commit_callbacks):
    contract = snapshot
    changes = [
        lambda: care_services.visit_record(by=care.nurse, contract=contract, date=TODAY, mode="home",
                                           systolic=128, diastolic=82),
        lambda: refresh_age_tags(TODAY, Resident.objects.filter(  # a bulk write: the age tags
            pk=_elder(world, 7, world.clinic_b, world.community_b).pk)),
        lambda: resident_services.tag_add(
            by=world.staff_b, resident=_elder(world, 8, world.clinic_b, world.community_b), kind=Tag.HYPERTENSION,
            source="体检", recorded_on=TODAY),
    ]
    for change in changes:
        before = _figures(world.supervisor_city, "community")
        with django_capture_on_commit_callbacks(execute=True):
            change()
        after = _figures(world.supervisor_city, "community")
        assert after == _live(world.supervisor_city, "community")
        assert after != before
        refresh_coverage()
        assert _figures(world.supervisor_city, "community") == after
    # the visit plan is a bulk write too (visits due later change no figure today, but mark the clinic)
    with django_capture_on_commit_callbacks(execute=True):
        assert care_services.generate_visit_plan(world.clinic_a, TODAY + timedelta(days=400)) > 0
    assert not coverage._current_states([world.clinic_a.pk], TODAY).exists()
    assert refresh_coverage() >= 1 and coverage._current_states([world.clinic_a.pk], TODAY).exists()


def test_a_change_committed_during_a_computation_leaves_it_stale(world, snapshot):
    state = CoverageState.objects.get(clinic=world.clinic_a)
    CoverageState.objects.filter(pk=state.pk).update(changed_at=state.computed_at + timedelta(milliseconds=1))
    assert refresh_coverage() == 1


def test_old_or_yesterdays_cells_are_not_used(world, snapshot, settings):
    CoverageCell.objects.update(population={})  # would show as empty if they were read
    CoverageState.objects.filter(clinic=world.clinic_a).update(computed_at=timezone.now() - timedelta(hours=2))
    CoverageState.objects.filter(clinic=world.clinic_b).update(day=TODAY - timedelta(days=1))
    assert _figures(world.supervisor_city) == _live(world.supervisor_city)
    assert refresh_coverage() == 2
