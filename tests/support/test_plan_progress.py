"""Agreement progress: expected to date (pro-rated by elapsed periods) against the ledger."""

from datetime import date

import pytest

from tests.support import test_plan_fixtures
from tests.support.factories import VisitFactory, WorkItemFactory
from tests.support.test_plan_fixtures import client_for
from yilian.support.models import AgreementTarget, Visit
from yilian.support.selectors_plan import agreement_actuals, agreement_progress, elapsed_periods, target_progress

world = test_plan_fixtures.world  # the shared fixture

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def test_elapsed_periods_of_whole_calendar_periods():
    assert elapsed_periods(*YEAR, "month") == pytest.approx(12)
    assert elapsed_periods(*YEAR, "quarter") == pytest.approx(4)
    assert elapsed_periods(*YEAR, "year") == pytest.approx(1)
    assert elapsed_periods(date(2026, 1, 1), date(2026, 3, 31), "month") == pytest.approx(3)


def test_elapsed_periods_count_partial_periods_by_their_days():
    assert elapsed_periods(date(2026, 1, 1), date(2026, 1, 16), "month") == pytest.approx(16 / 31)
    assert elapsed_periods(date(2026, 1, 17), date(2026, 2, 28), "month") == pytest.approx(15 / 31 + 1)
    assert elapsed_periods(date(2026, 12, 1), date(2026, 12, 7), "week") == pytest.approx(1 / 7 + 6 / 7)
    assert elapsed_periods(date(2026, 2, 1), date(2026, 1, 1), "month") == 0


def test_expected_to_date_and_bar():
    p = target_progress(kind="expert_days", label="", quantity=2, per="month", start=YEAR[0], end=YEAR[1],
                        as_of=date(2026, 6, 30), actual=9)
    assert p.expected == pytest.approx(12) and p.total == pytest.approx(24)
    assert p.percent == 75 and p.bar_class == "w70" and not p.on_track
    ahead = target_progress(kind="lecture", label="", quantity=1, per="quarter", start=YEAR[0], end=YEAR[1],
                            as_of=date(2026, 6, 30), actual=5)
    assert ahead.expected == pytest.approx(2) and ahead.percent == 250 and ahead.bar_class == "w100" and ahead.on_track


def test_nothing_expected_before_the_start_and_capped_at_the_end():
    before = target_progress(kind="x", label="", quantity=2, per="month", start=YEAR[0], end=YEAR[1],
                             as_of=date(2025, 12, 1), actual=0)
    assert before.expected == 0 and before.percent is None and before.bar_class == "w0"
    after = target_progress(kind="x", label="", quantity=2, per="month", start=YEAR[0], end=YEAR[1],
                            as_of=date(2027, 6, 1), actual=24)
    assert after.expected == pytest.approx(24) and after.percent == 100


def test_actuals_count_finished_visits_of_the_pairing_in_the_period(world):
    pairing = world.agreement1.pairing
    done = VisitFactory(pairing=pairing, doctor=world.senior, date=date(2026, 3, 2))
    VisitFactory(pairing=pairing, doctor=world.junior, date=date(2026, 3, 2), status=Visit.Status.CONFIRMED)
    VisitFactory(pairing=pairing, doctor=world.senior, date=date(2026, 3, 3), status=Visit.Status.CHECKED_IN,
                 check_out_at=None)
    VisitFactory(pairing=pairing, doctor=world.senior, date=date(2026, 3, 4), status=Visit.Status.DISPUTED)
    VisitFactory(pairing=pairing, doctor=world.senior, date=date(2025, 12, 1))  # before the agreement
    VisitFactory(pairing=world.agreement2.pairing, doctor=world.senior, date=date(2026, 3, 5))  # other clinic
    WorkItemFactory(visit=done, kind="lecture", count=40)
    WorkItemFactory(visit=done, kind="lecture", count=25)
    WorkItemFactory(visit=done, kind="clinic_session", count=12)
    actuals = agreement_actuals(world.agreement1, date(2026, 6, 30))
    assert actuals == {AgreementTarget.EXPERT_DAYS: 2, "lecture": 2, "clinic_session": 1}
    assert agreement_actuals(world.agreement1, date(2026, 3, 1))[AgreementTarget.EXPERT_DAYS] == 0


def test_agreement_page_shows_progress(world):
    AgreementTarget.objects.create(agreement=world.agreement1, kind="expert_days", quantity=2, per="month")
    AgreementTarget.objects.create(agreement=world.agreement1, kind="lecture", quantity=1, per="quarter")
    VisitFactory(pairing=world.agreement1.pairing, doctor=world.senior, date=date(2026, 1, 5))
    rows = {p.kind: p for p in agreement_progress(world.agreement1, date(2026, 1, 31))}
    assert rows["expert_days"].expected == pytest.approx(2) and rows["expert_days"].actual == 1
    assert rows["lecture"].expected == pytest.approx(31 / 90) and rows["lecture"].actual == 0
    page = client_for(world.clinic_staff).get(f"/support/agreements/{world.agreement1.pk}/").content.decode()
    assert 'id="progress-table"' in page and 'data-kind="expert_days"' in page and 'class="bar"' in page
