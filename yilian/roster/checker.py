"""An independent checker of dispatch rosters: every hard rule, verified from the problem's raw data.

Deliberately separate from ``model.py``: it reads only the input dataclasses and shares no helper
with the optimiser (no Index, no cap function, no option list), so a mistake in the model's
variables or constraints shows up here instead of being repeated. The tests run it on every
solver output; the coordinator's page runs it before a roster is approved.
"""

from __future__ import annotations

from collections import Counter
from math import floor


def check(problem, roster, *, unmet_days: int | None = None) -> list[str]:
    """Every violated rule, as a plain sentence naming what breaks it; [] when the roster is valid.

    ``roster`` is any iterable of objects with ``doctor``, ``clinic`` and ``day``; with ``unmet_days``
    the reported count of unmet clinic-days is recounted too.
    """
    roster = list(roster)
    doctors = {d.id: d for d in problem.doctors}
    clinics = {c.id: c for c in problem.clinics}
    problems = []
    for row in roster:
        problems.extend(_row_problems(problem, doctors, clinics, row))
    if any(row.doctor not in doctors or row.clinic not in clinics for row in roster):
        return problems  # the counting rules below assume rows that name real doctors and clinics
    problems.extend(_counting_problems(problem, doctors, clinics, roster))
    problems.extend(_pin_problems(problem, roster))
    if unmet_days is not None:
        recount = _recount_unmet(problem, doctors, roster)
        if recount != unmet_days:
            problems.append(f"unmet clinic-days reported as {unmet_days}, recounted as {recount}")
    return problems


def _row_problems(problem, doctors, clinics, row) -> list[str]:
    doctor, clinic = doctors.get(row.doctor), clinics.get(row.clinic)
    where = f"{row.doctor} at {row.clinic} on {row.day}"
    if doctor is None:
        return [f"{where}: unknown doctor"]
    if clinic is None:
        return [f"{where}: unknown clinic"]
    found = []
    if row.day not in set(problem.days):
        found.append(f"{where}: not an official working day of the month")
    if row.day in doctor.unavailable:
        found.append(f"{where}: the doctor is not available that day")
    if doctor.title < problem.min_title:
        found.append(f"{where}: title rank {doctor.title} below the threshold {problem.min_title}")
    if clinic.needs.get(doctor.specialty, 0) < 1:
        found.append(f"{where}: the clinic did not ask for {doctor.specialty}")
    minutes = doctor.travel.get(row.clinic)
    if minutes is None or minutes > problem.travel_limit:
        found.append(f"{where}: travel {minutes} minutes exceeds the limit of {problem.travel_limit}")
    for forbid in problem.forbids:
        if forbid.doctor == row.doctor and forbid.clinic == row.clinic and forbid.day in (None, row.day):
            found.append(f"{where}: forbidden by the coordinator")
    return found


def _counting_problems(problem, doctors, clinics, roster) -> list[str]:
    found = []
    if len(set((r.doctor, r.clinic, r.day) for r in roster)) != len(roster):
        found.append("the same assignment appears twice")
    per_doctor_day = Counter((r.doctor, r.day) for r in roster)
    found += [f"{d} is in {n} places on {day}" for (d, day), n in per_doctor_day.items() if n > 1]
    per_doctor = Counter(r.doctor for r in roster)
    for doctor_id, n in per_doctor.items():
        own = doctors[doctor_id].max_days
        limit = problem.max_days_away if own is None else own
        if n > limit:
            found.append(f"{doctor_id} is away {n} days, more than {limit}")
    found += _department_problems(problem, doctors, roster)
    per_specialty_day = Counter((r.clinic, doctors[r.doctor].specialty, r.day) for r in roster)
    found += [f"{c} has {n} doctors of {s} on {day}" for (c, s, day), n in per_specialty_day.items() if n > 1]
    per_need = Counter((r.clinic, doctors[r.doctor].specialty) for r in roster)
    for (clinic_id, specialty), n in per_need.items():
        if n > clinics[clinic_id].needs.get(specialty, 0):
            found.append(f"{clinic_id} receives {n} days of {specialty}, more than it asked for")
    visit_days = {}
    for r in roster:
        visit_days.setdefault(r.clinic, set()).add(r.day)
    for clinic_id, days in visit_days.items():
        cap = clinics[clinic_id].max_days
        if cap is not None and len(days) > cap:
            found.append(f"{clinic_id} receives doctors on {len(days)} days, more than {cap}")
    return found


def _department_problems(problem, doctors, roster) -> list[str]:
    headcount = Counter((d.hospital, d.department) for d in problem.doctors)
    sizes = {**headcount, **problem.department_sizes}
    away = Counter(((doctors[r.doctor].hospital, doctors[r.doctor].department), r.day) for r in roster)
    found = []
    for (department, day), n in away.items():
        allowed = max(1, floor(sizes[department] * problem.department_share / 100))
        if n > allowed:
            found.append(f"{department[1]} of {department[0]} has {n} doctors away on {day}, "
                         f"more than {problem.department_share} % ({allowed})")
    return found


def _pin_problems(problem, roster) -> list[str]:
    present = {(r.doctor, r.clinic, r.day) for r in roster}
    return [f"pinned {p.doctor} at {p.clinic} on {p.day} is missing" for p in problem.pins
            if (p.doctor, p.clinic, p.day) not in present]


def _recount_unmet(problem, doctors, roster) -> int:
    given = Counter((r.clinic, doctors[r.doctor].specialty) for r in roster)
    return sum(max(0, wanted - given[(c.id, s)]) for c in problem.clinics for s, wanted in c.needs.items())
