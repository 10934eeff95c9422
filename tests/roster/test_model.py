"""The optimiser on generated and hand-made months, every roster verified by the independent checker."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from yilian.roster import checker, model, synthetic
from yilian.roster.model import Clinic, Doctor, Forbid, Pin, Problem

DAYS = [date(2026, 12, d) for d in (1, 2, 3, 4, 7)]


def solved(problem, seconds=5.0, **kwargs):
    """Solve and verify every hard rule with the checker (as every test must)."""
    solution = model.solve(problem, seconds=seconds, **kwargs)
    assert solution.status in ("optimal", "feasible"), solution.conflicts
    assert checker.check(problem, solution.assignments, unmet_days=solution.unmet_days) == []
    assert solution.lower_bound <= solution.unmet_days
    return solution


def doctor(n, specialty="全科", title=1, hospital="h1", department=None, travel=None, **kw):
    return Doctor(id=f"d{n}", name=f"医师{n}", specialty=specialty, title=title, hospital=hospital,
                  department=department or specialty, travel=travel or {"c1": 30, "c2": 40}, **kw)


def small(**kw):
    clinics = [Clinic("c1", "卫生院一", {"全科": 2, "儿科": 1}), Clinic("c2", "卫生院二", {"全科": 2})]
    doctors = [doctor(1), doctor(2), doctor(3, "儿科")]
    return Problem(days=DAYS, clinics=clinics, doctors=doctors, max_days_away=2, department_share=50,
                   **kw)


def test_small_month_is_met_completely_and_proven():
    solution = solved(small())
    assert solution.unmet_days == 0 and solution.lower_bound == 0
    assert len(solution.assignments) == 5


def test_generated_month_beats_or_equals_greedy_and_reaches_the_bound():
    problem = synthetic.instance(doctors=120, hospitals=4, clinics=40, specialties=5, area_km=120)
    solution = solved(problem, seconds=4)
    greedy = model.greedy(problem)
    assert checker.check(problem, greedy) == []
    assert solution.unmet_days <= solution.demand - len(greedy)
    assert solution.gap <= 0.02
    for unmet in solution.unmet:
        assert unmet.reason in {"no_specialty", "below_title", "out_of_reach", "forbidden", "unavailable",
                                "at_limit", "busy", "department", "clinic_days", "time_limit"}


def test_plain_formulation_output_passes_the_checker():
    problem = synthetic.instance(doctors=60, hospitals=3, clinics=20, specialties=4, area_km=100)
    solution = model.solve_plain(problem, seconds=3)
    assert checker.check(problem, solution.assignments, unmet_days=solution.unmet_days) == []


def test_department_share_limits_doctors_away_on_one_day():
    # four cardiologists in one department, 25 %: one a day; four clinics each want 1 day; 1 working day
    clinics = [Clinic(f"c{n}", f"卫生院{n}", {"心血管内科": 1}) for n in range(4)]
    doctors = [doctor(n, "心血管内科", travel={f"c{k}": 20 for k in range(4)}) for n in range(4)]
    problem = Problem(days=DAYS[:1], clinics=clinics, doctors=doctors, department_share=25)
    solution = solved(problem)
    assert solution.unmet_days == 3 and solution.lower_bound <= 3
    assert {u.reason for u in solution.unmet} == {"department"}


def test_unmet_need_names_its_reason():
    clinics = [Clinic("c1", "卫生院一", {"眼科": 1, "儿科": 1, "全科": 1})]
    doctors = [doctor(1, "儿科", travel={"c1": 150}), doctor(2, "全科", title=0)]
    solution = solved(Problem(days=DAYS, clinics=clinics, doctors=doctors, travel_limit=90))
    reasons = {u.specialty: (u.reason, u.params) for u in solution.unmet}
    assert reasons["眼科"][0] == "no_specialty"
    assert reasons["儿科"] == ("out_of_reach", {"nearest": 150, "limit": 90, "count": 1})
    assert reasons["全科"][0] == "below_title"
    assert solution.lower_bound == 3  # and the bound says no plan does better


def test_doctors_at_their_limit_are_the_reason():
    clinics = [Clinic("c1", "卫生院一", {"全科": 2}), Clinic("c2", "卫生院二", {"全科": 2})]
    problem = Problem(days=DAYS, clinics=clinics, doctors=[doctor(1)], max_days_away=2)
    solution = solved(problem)
    assert solution.unmet_days == 2 and solution.lower_bound == 2
    assert {u.reason for u in solution.unmet} == {"at_limit"}


def test_fairness_spreads_days():
    clinics = [Clinic("c1", "卫生院一", {"全科": 2}), Clinic("c2", "卫生院二", {"全科": 2})]
    problem = Problem(days=DAYS, clinics=clinics, doctors=[doctor(n) for n in range(4)], max_days_away=4,
                      department_share=100)
    solution = solved(problem)
    assert set(Counter(a.doctor for a in solution.assignments).values()) == {1}


def test_travel_then_continuity():
    clinics = [Clinic("c1", "卫生院一", {"全科": 2})]
    near, far = doctor(1, travel={"c1": 20}), doctor(2, travel={"c1": 80}, department="急诊")
    problem = Problem(days=DAYS, clinics=clinics, doctors=[near, far], max_days_away=2, department_share=100)
    solution = solved(problem)
    # fairness comes before travel: the far doctor still gets his one day
    assert Counter(a.doctor for a in solution.assignments) == {"d1": 1, "d2": 1}
    lonely = Problem(days=DAYS, clinics=clinics, doctors=[near, doctor(3, travel={"c1": 25})], max_days_away=2,
                     department_share=100)
    assert model.travel_minutes(lonely, solved(lonely).assignments) == 45


def test_pins_and_forbids_hold():
    pin, forbid = Pin("d1", "c2", DAYS[3]), Forbid("d2", "c2")
    problem = small(pins=[pin], forbids=[forbid])
    solution = solved(problem)
    assert model.Assignment("d1", "c2", DAYS[3]) in solution.assignments
    assert not any(a.doctor == "d2" and a.clinic == "c2" for a in solution.assignments)


@pytest.mark.parametrize(("change", "rule"), [
    ({"days": []}, "no_working_days"),
    ({"pins": [Pin("d9", "c1", DAYS[0])]}, "min_title"),
    ({"pins": [Pin("d1", "c1", DAYS[0]), Pin("d1", "c2", DAYS[0])]}, "one_place"),
    ({"pins": [Pin("d1", "c1", DAYS[0]), Pin("d2", "c1", DAYS[0])]}, "one_per_specialty"),
    ({"pins": [Pin("d1", "c1", date(2026, 12, 5))]}, "workday"),
    ({"pins": [Pin("d1", "c1", DAYS[0])], "forbids": [Forbid("d1", "c1")]}, "pin_forbid"),
    ({"pins": [Pin("d1", "c1", d) for d in DAYS[:3]]}, "max_days"),
    ({"pins": [Pin("d3", "c2", DAYS[0])]}, "specialty"),
])
def test_bad_input_names_the_rule_in_conflict(change, rule):
    problem = small(**{k: v for k, v in change.items() if k != "days"})
    problem.doctors.append(doctor(9, title=0))
    if "days" in change:
        problem.days = change["days"]
    solution = model.solve(problem, seconds=2)
    assert solution.status == "conflict" and solution.assignments == []
    assert rule in {c.rule for c in solution.conflicts}


def test_a_month_with_nothing_asked_is_said_so():
    problem = small()
    problem.clinics = [Clinic("c1", "卫生院一", {})]
    assert [c.rule for c in model.solve(problem, seconds=1).conflicts] == ["no_needs"]


def test_pinned_doctor_below_threshold_is_named():
    problem = small(pins=[Pin("d9", "c1", DAYS[0])])
    problem.doctors.append(doctor(9, title=0))
    conflict = model.solve(problem, seconds=2).conflicts[0]
    assert conflict.rule == "min_title" and conflict.params["doctor"] == "d9" and conflict.params["clinic"] == "c1"


def test_replan_after_cancellation_changes_little_and_fast():
    problem = synthetic.instance(doctors=150, hospitals=5, clinics=50, specialties=5, area_km=120, seed=3)
    before = solved(problem, seconds=4)
    busiest = Counter(a.doctor for a in before.assignments).most_common(1)[0][0]
    after = model.replan(problem, before.assignments, busiest, seconds=3)
    cancelled = model.Problem(**{**problem.__dict__, "doctors": [
        model._without_days(d, set(problem.days)) if d.id == busiest else d for d in problem.doctors]})
    assert checker.check(cancelled, after.assignments, unmet_days=after.unmet_days) == []
    assert not any(a.doctor == busiest for a in after.assignments)
    assert after.seconds <= 5
    assert after.changed["must"] == sum(a.doctor == busiest for a in before.assignments)
    assert after.unmet_days <= before.unmet_days + after.changed["must"]
    kept = set(before.assignments) & set(after.assignments)
    assert len(before.assignments) - len(kept) == after.changed["must"] + after.changed["removed_others"]
    assert after.changed["removed_others"] <= after.changed["must"] + 2


def test_checker_catches_every_kind_of_break():
    problem = small(pins=[Pin("d2", "c2", DAYS[4])])
    problem.doctors.append(doctor(9, title=0))
    bad = [model.Assignment("d1", "c1", DAYS[0]), model.Assignment("d1", "c2", DAYS[0]),
           model.Assignment("d9", "c1", DAYS[1]), model.Assignment("d3", "c2", DAYS[1]),
           model.Assignment("d1", "c1", date(2026, 12, 6))]
    found = " | ".join(checker.check(problem, bad))
    for words in ("2 places", "below the threshold", "did not ask", "not an official working day"):
        assert words in found
    assert "missing" in " | ".join(checker.check(problem, []))
    assert checker.check(problem, [model.Assignment("d1", "c1", DAYS[0])], unmet_days=0) != []
