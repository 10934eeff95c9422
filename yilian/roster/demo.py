"""Roster demo for Guiyang (illustrative): four more doctors of 贵阳市第一人民医院, next month's leave and
duty of two of its doctors and one measured travel time beyond the limit, so that the coordinator's
first roster has choices to make, respects availability and shows an unmet need explained. Safe to
run again.

Runs after ``load_support_demo`` (agreements, doctors, programme rules).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yilian.network.models import Institution
from yilian.support import calendar
from yilian.support.models import Agreement, Doctor, Title

from .models import Absence, TravelTime

HOSPITAL = "贵阳市第一人民医院"
NOTE = "示例数据(illustrative)"


@transaction.atomic
def load_roster_demo(today: date | None = None) -> dict:
    today = today or timezone.localdate()
    first = calendar.add_months(today, 1)
    last = calendar.month_end(first)
    hospital = Institution.objects.filter(name=HOSPITAL).first()
    if hospital is None:
        return {"absences": 0, "travel_times": 0}
    _more_doctors(hospital)
    doctors = list(Doctor.objects.filter(hospital=hospital, active=True).order_by("licence_number"))
    eligible = [d for d in doctors if d.meets(Title.INTERMEDIATE)]
    absences = 0
    if eligible:
        absences += _absence(eligible[-1], first, first + timedelta(days=6), Absence.Reason.LEAVE)
    if len(eligible) > 1:
        absences += _absence(eligible[-2], last - timedelta(days=4), last, Absence.Reason.DUTY)
    travel = 0
    far = (Agreement.objects.filter(pairing__hospital=hospital).select_related("pairing__clinic")
           .order_by("-pairing__clinic__name").first())
    if far is not None:
        _row, created = TravelTime.objects.get_or_create(hospital=hospital, clinic=far.pairing.clinic,
                                                         defaults={"minutes": 150})
        travel += created
    return {"absences": absences, "travel_times": travel}


# A second doctor for each specialty the agreements ask for, so that the roster has choices to make.
MORE = [("全科医学科", "全科", "刘海燕", Title.INTERMEDIATE), ("心血管内科", "心血管内科", "陈志远", Title.ASSOCIATE),
        ("儿科", "儿科", "杨春梅", Title.INTERMEDIATE), ("全科医学科", "全科", "赵文涛", Title.ASSOCIATE)]


def _more_doctors(hospital: Institution):
    for n, (department, specialty, name, title) in enumerate(MORE):
        Doctor.objects.get_or_create(licence_number=f"520199{n:06d}", defaults={
            "hospital": hospital, "name": name, "department": department, "specialty": specialty, "title": title,
            "phone": f"1398510{n:04d}"})


def _absence(doctor: Doctor, start: date, end: date, reason: str) -> int:
    _row, created = Absence.objects.get_or_create(doctor=doctor, start=start, end=end, reason=reason,
                                                  defaults={"note": NOTE})
    return int(created)
