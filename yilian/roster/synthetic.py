"""Generated roster instances (no Django): the issue's province-sized month for the benchmark, small
ones for the tests. Deterministic for a seed."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import chinese_calendar

from .model import Clinic, Doctor, Problem

SPECIALTIES = ["全科", "心血管内科", "内分泌科", "儿科", "中医", "妇科", "呼吸内科", "康复科",
               "眼科", "口腔科", "皮肤科", "精神科"]


def working_days(year: int, month: int) -> list[date]:
    day, days = date(year, month, 1), []
    while day.month == month:
        if chinese_calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def instance(*, doctors: int = 1000, hospitals: int = 20, clinics: int = 300, specialties: int = 12,
             year: int = 2025, month: int = 10, seed: int = 9, area_km: float = 220.0,
             travel_limit: int = 90, max_days_away: int = 2, department_share: int = 20) -> Problem:
    """Hospitals and clinics scattered over a square of ``area_km``; travel time from the distance
    (45 km/h on roads 1.3 × the straight line, plus 10 minutes); each hospital has a department per
    specialty it offers; 15 % of doctors are below the intermediate title; some are on leave a week,
    and every doctor keeps one weekday for his own clinic sessions."""
    rng = random.Random(seed)
    names = SPECIALTIES[:specialties]
    days = working_days(year, month)
    spots = [(rng.uniform(0, area_km), rng.uniform(0, area_km)) for _ in range(hospitals)]
    places = [(rng.uniform(0, area_km), rng.uniform(0, area_km)) for _ in range(clinics)]
    clinic_rows = [_clinic(rng, n, names) for n in range(clinics)]
    offered = [rng.sample(names, max(1, round(len(names) * 0.75))) for _ in range(hospitals)]
    doctor_rows = []
    for n in range(doctors):
        h = n % hospitals
        specialty = offered[h][(n // hospitals) % len(offered[h])]
        doctor_rows.append(_doctor(rng, n, h, specialty, spots[h], places, days, travel_limit))
    return Problem(days=days, clinics=clinic_rows, doctors=doctor_rows, min_title=1,
                   max_days_away=max_days_away, department_share=department_share, travel_limit=travel_limit)


def _clinic(rng, n, names) -> Clinic:
    wanted = rng.sample(names, rng.choice([2, 3, 3, 4]))
    return Clinic(id=f"c{n}", name=f"卫生院{n}", needs={s: rng.choice([1, 2, 2]) for s in wanted})


def _doctor(rng, n, h, specialty, home, places, days, travel_limit) -> Doctor:
    travel = {}
    for c, place in enumerate(places):
        minutes = round(10 + math.dist(home, place) * 1.3 / 45 * 60)
        if minutes <= travel_limit * 1.5:  # further clinics are not worth listing
            travel[f"c{c}"] = minutes
    title = 0 if rng.random() < 0.15 else rng.choice([1, 1, 2, 3])
    session = rng.randrange(5)  # his own clinic weekday
    unavailable = {d for d in days if d.weekday() == session}
    if rng.random() < 0.12:
        start = rng.randrange(max(1, len(days) - 5))
        unavailable |= set(days[start:start + 5])
    return Doctor(id=f"d{n}", name=f"医师{n}", specialty=specialty, title=title, hospital=f"h{h}",
                  department=specialty, travel=travel, unavailable=frozenset(unavailable))
