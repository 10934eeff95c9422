"""Reads for the plan pages: agreement progress, the month views, the grassroots service record.

Every query starts from a scoped queryset (``for_user``); the progress arithmetic is a pure function
(``target_progress``) so that it can be tested without a database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from . import calendar
from .models import Agreement, AgreementTarget, Assignment, Doctor
from .models.visits import Visit, WorkItem

# Visits that count as days served: the doctor checked out, or the clinic confirmed the day.
DONE = (Visit.Status.CHECKED_OUT, Visit.Status.CONFIRMED)


# -------------------------------------------------------------------------- progress


def elapsed_periods(start: date, end: date, period: str) -> float:
    """How many periods [start, end] spans: each calendar period counts by the share of its days inside.

    An agreement for 2026 spans 12 months, 4 quarters, 1 year; one from 15 January to 31 March spans
    17/31 + 1 + 1 months.
    """
    if end < start:
        return 0.0
    total = 0.0
    for first, last in calendar.periods_overlapping(start, end, period):
        inside = (min(last, end) - max(first, start)).days + 1
        total += inside / ((last - first).days + 1)
    return total


@dataclass(frozen=True)
class TargetProgress:
    kind: str
    label: str
    quantity: int
    per: str
    expected: float  # to date, pro-rated
    total: float  # over the whole agreement
    actual: int

    @property
    def percent(self) -> int | None:
        """Actual against expected to date; None before anything is expected."""
        if self.expected <= 0:
            return None
        return round(100 * self.actual / self.expected)

    @property
    def bar_class(self) -> str:
        """One of the .w0 … .w100 width classes of app.css (steps of ten, capped at 100)."""
        if self.percent is None:
            return "w0"
        return f"w{min(100, self.percent // 10 * 10)}"

    @property
    def on_track(self) -> bool:
        return self.actual >= self.expected - 1e-9


def target_progress(*, kind: str, label: str, quantity: int, per: str, start: date, end: date, as_of: date,
                    actual: int) -> TargetProgress:
    """Expected to date = quantity × periods elapsed from ``start`` to ``as_of`` (capped at ``end``)."""
    until = min(as_of, end)
    return TargetProgress(
        kind=kind, label=label, quantity=quantity, per=per,
        expected=quantity * elapsed_periods(start, until, per),
        total=quantity * elapsed_periods(start, end, per),
        actual=actual,
    )


def agreement_actuals(agreement: Agreement, until: date) -> dict[str, int]:
    """What the ledger shows for the agreement's pairing from its start to ``until``.

    expert_days: distinct (doctor, date) of finished visits. A kind of work: the number of ledger
    entries of that kind (a lecture held once counts once, whatever its attendance).
    """
    visits = Visit.objects.filter(pairing_id=agreement.pairing_id, status__in=DONE,
                                  date__range=(agreement.start, min(until, agreement.end)))
    actuals = dict(
        WorkItem.objects.filter(visit__in=visits).order_by().values("kind").annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    actuals[AgreementTarget.EXPERT_DAYS] = visits.order_by().values("doctor_id", "date").distinct().count()
    return actuals


def agreement_progress(agreement: Agreement, as_of: date) -> list[TargetProgress]:
    actuals = agreement_actuals(agreement, as_of)
    labels = dict(AgreementTarget.kind_choices())
    return [
        target_progress(kind=t.kind, label=labels.get(t.kind, t.kind), quantity=t.quantity, per=t.per,
                        start=agreement.start, end=agreement.end, as_of=as_of, actual=actuals.get(t.kind, 0))
        for t in agreement.targets.all()
    ]


# ------------------------------------------------------------------------ month views

_SUFFIXES = ("社区卫生服务中心", "社区卫生服务站", "卫生服务中心", "卫生服务站", "卫生院", "卫生室", "社区")
_PREFIX = re.compile(r"^.{2,3}?[区县市](?=.{2,})")


def short_clinic_name(name: str) -> str:
    """A label that fits a day cell: 新天社区卫生服务中心 → 新天, 云岩区盐务社区卫生服务中心 → 盐务."""
    text = name
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return _PREFIX.sub("", text, count=1)[:6]


@dataclass
class Cell:
    info: calendar.DayInfo
    assignments: list = field(default_factory=list)


@dataclass
class Row:
    label: str
    sublabel: str
    cells: list[Cell]
    key: object = None  # the doctor or the agreement of the row


@dataclass
class Shortfall:
    clinic: str
    period: str
    planned: int
    minimum: int

    @property
    def missing(self) -> int:
        return self.minimum - self.planned

    def __str__(self):
        return _("%(clinic)s needs %(n)s more day(s) in %(period)s (planned %(planned)s, minimum %(min)s).") % {
            "clinic": self.clinic, "n": self.missing, "period": self.period, "planned": self.planned,
            "min": self.minimum}


@dataclass
class Requirement:
    agreement: Agreement
    period: str
    planned: int

    @property
    def status(self) -> str:
        programme = self.agreement.programme
        if self.planned < programme.min_days:
            return "short"
        return "over" if self.planned > programme.max_days else "ok"


@dataclass
class MonthPlan:
    first: date
    last: date
    days: list[calendar.DayInfo]
    rows: list[Row]
    shortfalls: list[Shortfall] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    calendar_warnings: list[str] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)

    @property
    def previous(self) -> date:
        return calendar.add_months(self.first, -1)

    @property
    def next(self) -> date:
        return calendar.add_months(self.first, 1)


def _month(first: date):
    last = calendar.month_end(first)
    return first, last, calendar.days(first, last)


def _month_agreements(queryset, first: date, last: date):
    return list(queryset.filter(start__lte=last, end__gte=first).exclude(status=Agreement.Status.ENDED)
                .select_related("pairing__clinic", "pairing__hospital", "programme").order_by("pairing__clinic__name"))


def _planned_in(queryset, first: date, last: date) -> list[Assignment]:
    assignments = list(queryset.filter(status=Assignment.Status.PLANNED, date__range=(first, last)).select_related(
        "doctor", "agreement__pairing__clinic", "agreement__pairing__hospital", "agreement__programme"))
    for a in assignments:
        a.short_clinic = short_clinic_name(a.agreement.pairing.clinic.name)
    return assignments


def _clinic_period_days(agreement: Agreement, first: date, last: date) -> dict[tuple[date, date], set]:
    """Planned days at the agreement's clinic under its programme, for each period overlapping [first, last]."""
    periods = [p for p in calendar.periods_overlapping(first, last, agreement.programme.period)
               if p[0] <= agreement.end and p[1] >= agreement.start]
    if not periods:
        return {}
    rows = Assignment.objects.filter(
        status=Assignment.Status.PLANNED, agreement__pairing__clinic_id=agreement.pairing.clinic_id,
        agreement__programme_id=agreement.programme_id, date__range=(periods[0][0], periods[-1][1]),
    ).order_by().values_list("date", flat=True).distinct()
    found = {p: set() for p in periods}
    for day in rows:
        for p in periods:
            if p[0] <= day <= p[1]:
                found[p].add(day)
    return found


def shortfalls(agreements, first: date, last: date) -> list[Shortfall]:
    """Clinics with fewer planned days than the programme's minimum, period by period."""
    result, seen = [], set()
    for agreement in agreements:
        key = (agreement.pairing.clinic_id, agreement.programme_id)
        if key in seen:
            continue
        seen.add(key)
        for (start, _end), days in _clinic_period_days(agreement, first, last).items():
            if len(days) < agreement.programme.min_days:
                result.append(Shortfall(agreement.pairing.clinic.name,
                                        calendar.period_label(start, agreement.programme.period),
                                        len(days), agreement.programme.min_days))
    return result


def hospital_month(user, hospital, first: date) -> MonthPlan:
    """Rows are the hospital's doctors, columns the days; a cell holds the clinic(s) the doctor goes to."""
    first, last, days = _month(first)
    assignments = _planned_in(Assignment.objects.for_user(user).filter(agreement__pairing__hospital=hospital),
                              first, last)
    by_cell = defaultdict(list)
    for a in assignments:
        by_cell[(a.doctor_id, a.date)].append(a)
    busy = {a.doctor_id for a in assignments}
    doctors = Doctor.objects.for_user(user).filter(hospital=hospital).order_by("department", "name")
    rows = [
        Row(d.name, f"{d.get_title_display()} · {d.department}",
            [Cell(info, by_cell.get((d.pk, info.day), [])) for info in days], key=d)
        for d in doctors if d.active or d.pk in busy
    ]
    agreements = _month_agreements(Agreement.objects.for_user(user).filter(pairing__hospital=hospital), first, last)
    return MonthPlan(first, last, days, rows, shortfalls=shortfalls(agreements, first, last),
                     calendar_warnings=calendar.coverage_warnings(first, last), agreements=agreements)


def clinic_month(user, clinic, first: date) -> MonthPlan:
    """Rows are the agreements supporting the clinic (one per hospital and programme); a cell holds the doctors."""
    first, last, days = _month(first)
    agreements = _month_agreements(Agreement.objects.for_user(user).filter(pairing__clinic=clinic), first, last)
    assignments = _planned_in(Assignment.objects.for_user(user).filter(agreement__pairing__clinic=clinic), first, last)
    by_cell = defaultdict(list)
    for a in assignments:
        by_cell[(a.agreement_id, a.date)].append(a)
    rows = [
        Row(a.pairing.hospital.display_name, str(a.programme),
            [Cell(info, by_cell.get((a.pk, info.day), [])) for info in days], key=a)
        for a in agreements
    ]
    requirements = [
        Requirement(a, calendar.period_label(start, a.programme.period), len(planned_days))
        for a in agreements for (start, _end), planned_days in _clinic_period_days(a, first, last).items()
    ]
    return MonthPlan(first, last, days, rows, shortfalls=shortfalls(agreements, first, last),
                     requirements=requirements, calendar_warnings=calendar.coverage_warnings(first, last),
                     agreements=agreements)


# -------------------------------------------------------------- grassroots service record


def days_required() -> int:
    """Days at the grassroots before a senior-title promotion (one year; settings may say otherwise)."""
    return int(getattr(settings, "YILIAN_GRASSROOTS_DAYS_REQUIRED", 365))


@dataclass
class ServiceRecord:
    doctor: Doctor
    by_year: dict[int, int]
    required: int

    @property
    def total(self) -> int:
        return sum(self.by_year.values())

    @property
    def completed(self) -> bool:
        return self.total >= self.required

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.total / self.required)) if self.required else 100

    @property
    def bar_class(self) -> str:
        return f"w{self.percent // 10 * 10}"


def service_days(doctor_ids) -> dict[int, dict[int, int]]:
    """doctor id → {year: distinct days with a finished visit at the grassroots}."""
    rows = (Visit.objects.filter(doctor_id__in=doctor_ids, status__in=DONE).order_by()
            .values_list("doctor_id", "date__year").annotate(n=Count("date", distinct=True)))
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for doctor_id, year, n in rows:
        result[doctor_id][year] = n
    return result


def service_records(doctors) -> list[ServiceRecord]:
    doctors = list(doctors)
    days = service_days([d.pk for d in doctors])
    required = days_required()
    return [ServiceRecord(d, dict(sorted(days.get(d.pk, {}).items())), required) for d in doctors]
