"""The roster capability's writes: state a month, solve it in the worker, adjust, re-plan, approve.

The month is read from the counterpart-support data (signed agreements and their specialties,
programme rules, doctors, the working-day calendar, the plan already made) plus this app's
absences, travel times and pins; ``build_problem`` turns it into the optimiser's dataclasses.
An approved roster goes into the support dispatch plan only through ``services_plan``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, VIEW, scope_for
from yilian.core.services import save_validated
from yilian.network.models import Institution, Region
from yilian.support import calendar, services_plan
from yilian.support.models import Agreement, AgreementTarget, Assignment, Doctor, Programme, Title

from . import checker, model
from .models import Absence, RosterRule, RosterRun, TravelTime

logger = logging.getLogger(__name__)

ROAD_FACTOR, KMH, SETTLE_MINUTES, UNKNOWN_MINUTES = 1.3, 40, 10, 45
RULE_FIELDS = ("max_days_away", "department_share", "travel_limit", "time_limit")

# ------------------------------------------------------------------------------ scopes


@dataclass(frozen=True)
class RosterScope:
    """Whose roster: one hospital (its coordinator) or a region (the commission, several hospitals)."""

    hospital: Institution | None = None
    region: Region | None = None

    @property
    def key(self) -> str:
        return f"hospital:{self.hospital.pk}" if self.hospital else f"region:{self.region.pk}"

    @property
    def label(self) -> str:
        return self.hospital.name if self.hospital else self.region.name


def roster_scopes(user) -> list[RosterScope]:
    """Coordinators plan their hospital; supervisors their regions (all hospitals serving them)."""
    scope = scope_for(user)
    regions = Region.objects.for_user(user, CHANGE).filter(path__in=scope.region_paths) if scope.region_paths else []
    hospitals = Institution.objects.filter(pk__in=scope.hospital_ids).order_by("name")
    if scope.is_admin:
        regions = Region.objects.filter(parent__isnull=True)
    return [RosterScope(hospital=h) for h in hospitals] + [RosterScope(region=r) for r in regions]


def resolve_scope(user, key: str) -> RosterScope:
    for candidate in roster_scopes(user):
        if candidate.key == key:
            return candidate
    raise ValidationError(_("Choose a hospital or region you plan for."))


def programmes(user):
    return Programme.objects.for_user(user, VIEW).filter(period="month")


def parse_month(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise ValidationError(_("Give the month as YYYY-MM, e.g. 2026-12."))
    return date(int(match[1]), int(match[2]), 1)


def next_month() -> date:
    return calendar.add_months(timezone.localdate(), 1)


# ------------------------------------------------------------------------ the month


@dataclass
class Month:
    """The optimiser's problem and what the page needs to show it in the coordinator's words."""

    problem: model.Problem
    names: dict = field(default_factory=dict)
    agreements: dict = field(default_factory=dict)  # (doctor id, clinic id) → agreement pk
    replaced: list = field(default_factory=list)  # planned support assignments the roster replaces
    warnings: list = field(default_factory=list)


def scope_agreements(run: RosterRun):
    first, last = run.month, calendar.month_end(run.month)
    rows = Agreement.objects.filter(programme=run.programme, status=Agreement.Status.SIGNED, start__lte=first,
                                    end__gte=last).select_related("pairing__clinic__region", "pairing__hospital")
    if run.hospital_id:
        return rows.filter(pairing__hospital_id=run.hospital_id)
    return rows.filter(pairing__clinic__region__path__startswith=run.region.path)


def specialties_of(agreement: Agreement) -> list[str]:
    return [s.strip() for s in re.split(r"[,，、;；]", agreement.required_specialties) if s.strip()]


def days_per_specialty(agreement: Agreement) -> int:
    """The agreement's monthly expert days, within the programme's minimum and maximum."""
    programme = agreement.programme
    target = AgreementTarget.objects.filter(agreement=agreement, kind=AgreementTarget.EXPERT_DAYS,
                                            per="month").first()
    wanted = target.quantity if target else programme.min_days
    return max(programme.min_days, min(programme.max_days, wanted))


def build_month(run: RosterRun) -> Month:
    first, last = run.month, calendar.month_end(run.month)
    agreements = list(scope_agreements(run))
    days = calendar.workdays(first, last)
    month = Month(problem=model.Problem(days=days, clinics=[], doctors=[], min_title=Title.rank(
        run.programme.min_title), max_days_away=run.max_days_away, department_share=run.department_share,
        travel_limit=run.travel_limit))
    month.warnings = calendar.coverage_warnings(first, last)
    planned = list(services_plan.planned().filter(date__range=(first, last)).select_related("agreement"))
    ours = {a.pk for a in agreements}
    month.replaced = [a.pk for a in planned if a.agreement_id in ours]
    needs, hospitals = _needs(run, agreements, planned, ours, month), {a.pairing.hospital_id for a in agreements}
    doctors = list(Doctor.objects.filter(hospital_id__in=hospitals, active=True).select_related("hospital"))
    requested = {s for clinic_needs in needs.values() for s in clinic_needs}
    month.problem.doctors = _doctors(doctors, agreements, planned, ours, requested, month)
    month.problem.department_sizes = _department_sizes(hospitals)
    _rules(run, month)
    month.names["hospitals"] = {f"h{h.pk}": h.name for h in Institution.objects.filter(pk__in=hospitals)}
    return month


def _needs(run, agreements, planned, ours, month: Month) -> dict:
    """Clinic → specialty → days; a clinic served by several hospitals asks once per specialty."""
    needs, clinics = {}, {}
    for agreement in agreements:
        clinic = agreement.pairing.clinic
        clinics[clinic.pk] = clinic
        own = needs.setdefault(clinic.pk, {})
        for specialty in specialties_of(agreement):
            own[specialty] = max(own.get(specialty, 0), days_per_specialty(agreement))
    # days another hospital already planned at the clinic under this programme count against its cap
    elsewhere = {}
    for row in planned:
        if row.agreement_id not in ours and row.agreement.programme_id == run.programme_id:
            elsewhere.setdefault(row.agreement.pairing.clinic_id, set()).add(row.date)
    for pk, clinic_needs in needs.items():
        cap = max(0, run.programme.max_days - len(elsewhere.get(pk, ())))
        month.problem.clinics.append(model.Clinic(f"c{pk}", clinics[pk].name, clinic_needs, max_days=cap))
    month.names["clinics"] = {f"c{pk}": c.name for pk, c in clinics.items()}
    return needs


def _doctors(doctors, agreements, planned, ours, requested, month: Month) -> list[model.Doctor]:
    served = {}  # hospital → [(clinic, agreement)]
    for agreement in agreements:
        served.setdefault(agreement.pairing.hospital_id, []).append(agreement)
    minutes = _minutes(agreements)
    away = _absences(doctors, month.problem.days)
    busy_elsewhere = {}
    for row in planned:
        if row.agreement_id not in ours:
            busy_elsewhere.setdefault(row.doctor_id, set()).add(row.date)
    result, names = [], {}
    for doctor in doctors:
        specialty = _model_specialty(doctor, requested)
        travel = {}
        for agreement in served.get(doctor.hospital_id, []):
            clinic_id = f"c{agreement.pairing.clinic_id}"
            travel[clinic_id] = minutes[(doctor.hospital_id, agreement.pairing.clinic_id)]
            month.agreements[(f"d{doctor.pk}", clinic_id)] = agreement.pk
        result.append(model.Doctor(
            id=f"d{doctor.pk}", name=doctor.name, specialty=specialty, title=Title.rank(doctor.title),
            hospital=f"h{doctor.hospital_id}", department=doctor.department, travel=travel,
            unavailable=frozenset(away.get(doctor.pk, set()) | busy_elsewhere.get(doctor.pk, set()))))
        names[f"d{doctor.pk}"] = {"name": doctor.name, "hospital": doctor.hospital.name, "specialty": specialty,
                                  "title": doctor.get_title_display(), "department": doctor.department}
    month.names["doctors"] = names
    return result


def _model_specialty(doctor: Doctor, requested: set[str]) -> str:
    """Agreements name what clinics need, sometimes a specialty (全科), sometimes a department (心血管内科)."""
    if doctor.specialty in requested:
        return doctor.specialty
    if doctor.department in requested:
        return doctor.department
    return doctor.specialty


def _minutes(agreements) -> dict:
    """Minutes from each hospital to each clinic it serves: measured if entered, else from the map."""
    pairs = {(a.pairing.hospital_id, a.pairing.clinic_id): (a.pairing.hospital, a.pairing.clinic) for a in agreements}
    measured = {(t.hospital_id, t.clinic_id): t.minutes for t in TravelTime.objects.filter(
        hospital_id__in={h for h, _c in pairs}, clinic_id__in={c for _h, c in pairs})}
    return {key: measured.get(key, estimate_minutes(*places)) for key, places in pairs.items()}


def estimate_minutes(hospital: Institution, clinic: Institution) -> int:
    """Road time from coordinates (great-circle distance × 1.3 at 40 km/h, plus 10 minutes to set off)."""
    if None in (hospital.latitude, hospital.longitude, clinic.latitude, clinic.longitude):
        return UNKNOWN_MINUTES
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (hospital.latitude, hospital.longitude,
                                                           clinic.latitude, clinic.longitude)))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * 6371 * math.asin(math.sqrt(a))
    return round(SETTLE_MINUTES + km * ROAD_FACTOR / KMH * 60)


def _absences(doctors, days) -> dict:
    if not days:
        return {}
    away = {}
    for absence in Absence.objects.filter(doctor__in=doctors, start__lte=days[-1], end__gte=days[0]):
        away.setdefault(absence.doctor_id, set()).update(d for d in days if absence.start <= d <= absence.end)
    return away


def _department_sizes(hospitals) -> dict:
    sizes = {}
    for hospital_id, department in Doctor.objects.filter(hospital_id__in=hospitals, active=True).values_list(
            "hospital_id", "department"):
        key = (f"h{hospital_id}", department)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def _rules(run: RosterRun, month: Month):
    hospitals = {d.hospital[1:] for d in month.problem.doctors}
    for rule in RosterRule.objects.filter(programme=run.programme, month=run.month,
                                          doctor__hospital_id__in=hospitals):
        doctor, clinic = f"d{rule.doctor_id}", f"c{rule.clinic_id}"
        if rule.kind == RosterRule.Kind.PIN:
            month.problem.pins.append(model.Pin(doctor, clinic, rule.day))
        else:
            month.problem.forbids.append(model.Forbid(doctor, clinic, rule.day))


# ------------------------------------------------------------------------------ runs


def _require_change(by, run: RosterRun):
    if not RosterRun.objects.for_user(by, CHANGE).filter(pk=run.pk).exists():
        raise Http404


def run_start(*, by, programme: Programme, month: date, scope_key: str, language: str = "", **rules) -> RosterRun:
    """Queue a solve of the month for the worker; asking again while one is pending returns it."""
    if not programmes(by).filter(pk=programme.pk).exists():
        raise Http404
    scope = resolve_scope(by, scope_key)
    pending = RosterRun.objects.filter(programme=programme, month=month, hospital=scope.hospital,
                                       region=scope.region, kind=RosterRun.Kind.SOLVE, requested_by=by,
                                       status__in=[RosterRun.Status.QUEUED, RosterRun.Status.RUNNING]).first()
    if pending:
        return pending
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("This field cannot be set here."))
    run = RosterRun(programme=programme, month=month, hospital=scope.hospital, region=scope.region, requested_by=by,
                    language=language or settings.LANGUAGE_CODE, **rules)
    save_validated(run, by)
    _enqueue(run)
    return run


def rerun(*, by, run: RosterRun) -> RosterRun:
    """Solve the same month again with the same rules (after pins, forbids or absences changed)."""
    _require_change(by, run)
    scope = RosterScope(hospital=run.hospital, region=run.region)
    return run_start(by=by, programme=run.programme, month=run.month, scope_key=scope.key, language=run.language,
                     **{name: getattr(run, name) for name in RULE_FIELDS})


def _enqueue(run: RosterRun):
    from .tasks import solve_roster

    result = solve_roster.enqueue(run.pk)
    RosterRun.objects.filter(pk=run.pk).update(task_id=str(result.id))


def run_execute(run_id: int):
    """The worker's part. A run is claimed once; a retried task of a finished run does nothing."""
    with transaction.atomic():
        claimed = RosterRun.objects.filter(pk=run_id, status=RosterRun.Status.QUEUED).update(
            status=RosterRun.Status.RUNNING)
    if not claimed:
        return
    run = RosterRun.objects.select_related("programme", "hospital", "region", "base", "cancelled_doctor").get(pk=run_id)
    with translation.override(run.language or settings.LANGUAGE_CODE):
        try:
            _execute(run)
        except Exception:
            logger.exception("roster run %s failed", run.pk)
            RosterRun.objects.filter(pk=run.pk).update(status=RosterRun.Status.FAILED, finished_at=timezone.now())


class _SolverThread(threading.Thread):
    """Runs the optimiser off the main thread; CP-SAT reports progress from its own threads, so they
    only leave the latest figures here and the main thread (which owns the database connection)
    writes them to the run's row."""

    def __init__(self, solve):
        super().__init__(daemon=True)
        self.solve, self.latest, self.solution, self.error = solve, None, None, None

    def report(self, progress: model.Progress):
        self.latest = progress  # one reference assignment: atomic under the GIL

    def run(self):
        try:
            self.solution = self.solve(self.report)
        except Exception as exc:  # re-raised in the main thread
            self.error = exc


def _solve_with_progress(run: RosterRun, solve) -> model.Solution:
    thread = _SolverThread(solve)
    thread.start()
    written = None
    while thread.is_alive():
        thread.join(0.5)
        progress = thread.latest
        if progress is not None and progress is not written:
            written = progress
            RosterRun.objects.filter(pk=run.pk).update(
                progress=min(99, round(progress.fraction * 100)), best_unmet=progress.unmet, bound=progress.bound)
    if thread.error is not None:
        raise thread.error
    return thread.solution


def _execute(run: RosterRun):
    month = build_month(run)
    workers = getattr(settings, "YILIAN_ROSTER_WORKERS", 2)
    if run.kind == RosterRun.Kind.REPLAN:
        previous = [model.Assignment(a["doctor"], a["clinic"], date.fromisoformat(a["day"]))
                    for a in run.base.result.get("assignments", [])]
        cancel_from = date.fromisoformat(run.result["cancel_from"]) if run.result.get("cancel_from") else None
        solution = model.replan(month.problem, previous, f"d{run.cancelled_doctor_id}", cancel_from=cancel_from,
                                seconds=min(run.time_limit, 5), workers=workers)
    else:
        solution = _solve_with_progress(run, lambda report: model.solve(
            month.problem, seconds=run.time_limit, workers=workers, on_progress=report))
    violations = [] if solution.status == "conflict" else checker.check(month.problem, solution.assignments,
                                                                         unmet_days=solution.unmet_days)
    if violations:  # never show or approve a roster the independent checker rejects
        raise RuntimeError("; ".join(violations[:5]))
    status = RosterRun.Status.CONFLICT if solution.status == "conflict" else RosterRun.Status.DONE
    RosterRun.objects.filter(pk=run.pk).update(
        status=status, progress=100, best_unmet=solution.unmet_days, bound=solution.lower_bound,
        demand=solution.demand, result={**run.result, **_result(month, solution)}, finished_at=timezone.now())


def _result(month: Month, solution: model.Solution) -> dict:
    doctors = {d.id: d for d in month.problem.doctors}
    return {
        "status": solution.status,
        "assignments": [{"doctor": a.doctor, "clinic": a.clinic, "day": a.day.isoformat(),
                         "minutes": doctors[a.doctor].travel[a.clinic]} for a in solution.assignments],
        "unmet": [{"clinic": u.clinic, "specialty": u.specialty, "days": u.days, "reason": u.reason,
                   "params": u.params} for u in solution.unmet],
        "conflicts": [{"rule": c.rule, "params": _jsonable(c.params)} for c in solution.conflicts],
        "measures": {"fairness": model.fairness(month.problem, solution.assignments),
                     "travel": model.travel_minutes(month.problem, solution.assignments),
                     "pairs": model.continuity_pairs(solution.assignments), "seconds": round(solution.seconds, 2),
                     "flow_bound": solution.flow_bound, "working_days": len(month.problem.days)},
        "changed": solution.changed,
        "names": month.names,
        "warnings": month.warnings,
    }


def _jsonable(params: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


# ------------------------------------------------------------------------ adjusting


def rule_add(*, by, run: RosterRun, kind: str, doctor_id: str, clinic_id: str, day: date | None) -> RosterRule:
    """Pin or forbid an assignment of the run's month (the same one twice is the same rule: a retry)."""
    _require_change(by, run)
    doctor = Doctor.objects.for_user(by, CHANGE).filter(pk=_pk(doctor_id, "d")).first()
    clinic = Institution.objects.filter(pk=_pk(clinic_id, "c"),
                                        pk__in=scope_agreements(run).values("pairing__clinic")).first()
    if doctor is None or clinic is None:
        raise Http404
    if kind not in RosterRule.Kind.values:
        raise ValidationError(_("Choose pin or forbid."))
    if kind == RosterRule.Kind.PIN and day is None:
        raise ValidationError(_("A pin needs a day."))
    if day is not None and not run.month <= day <= calendar.month_end(run.month):
        raise ValidationError(_("The day is outside %(month)s.") % {"month": f"{run.month:%Y-%m}"})
    existing = RosterRule.objects.filter(programme=run.programme, month=run.month, kind=kind, doctor=doctor,
                                         clinic=clinic, day=day).first()
    if existing:
        return existing
    return save_validated(RosterRule(programme=run.programme, month=run.month, kind=kind, doctor=doctor,
                                     clinic=clinic, day=day, created_by=by), by)


def rule_delete(*, by, rule: RosterRule):
    if not RosterRule.objects.for_user(by, CHANGE).filter(pk=rule.pk).exists():
        raise Http404
    rule._history_user = by
    rule.delete()


def month_rules(user, run: RosterRun):
    return RosterRule.objects.for_user(user, VIEW).filter(
        programme=run.programme, month=run.month).select_related("doctor", "clinic")


def _pk(text: str, prefix: str) -> int:
    if not isinstance(text, str) or not text.startswith(prefix) or not text[1:].isdigit():
        raise Http404
    return int(text[1:])


def cancel_doctor(*, by, run: RosterRun, doctor_id: str, from_day: date | None = None) -> RosterRun:
    """A doctor cancels: record his absence and queue a minimal-change re-plan of the run's roster.
    Asking again while that re-plan is pending returns it (a double click)."""
    _require_change(by, run)
    if run.status not in (RosterRun.Status.DONE, RosterRun.Status.APPROVED):
        raise ValidationError(_("Only a finished roster can be re-planned."))
    doctor = Doctor.objects.for_user(by, CHANGE).filter(pk=_pk(doctor_id, "d")).first()
    if doctor is None:
        raise Http404
    pending = RosterRun.objects.filter(base=run, cancelled_doctor=doctor, status__in=[
        RosterRun.Status.QUEUED, RosterRun.Status.RUNNING]).first()
    if pending:
        return pending
    first, last = run.month, calendar.month_end(run.month)
    start = max(first, from_day or first)
    if start > last:
        raise ValidationError(_("The day is outside %(month)s.") % {"month": f"{run.month:%Y-%m}"})
    with transaction.atomic():
        save_validated(Absence(doctor=doctor, start=start, end=last, reason=Absence.Reason.CANCELLED,
                               note=_("Cancelled from the roster")), by)
        # his pins on the days he leaves cannot hold any more: void, or no roster could pass the checker
        RosterRule.objects.filter(programme=run.programme, month=run.month, doctor=doctor, kind=RosterRule.Kind.PIN,
                                  day__gte=start).delete()
        replan = save_validated(RosterRun(
            programme=run.programme, month=run.month, hospital=run.hospital, region=run.region,
            kind=RosterRun.Kind.REPLAN, base=run, cancelled_doctor=doctor, requested_by=by, language=run.language,
            result={"cancel_from": start.isoformat()}, **{name: getattr(run, name) for name in RULE_FIELDS}), by)
    _enqueue(replan)  # committed above, so the worker can read it
    return replan


# ------------------------------------------------------------------------- approving


@transaction.atomic
def approve(*, by, run: RosterRun) -> int:
    """Write the roster into the support dispatch plan (replacing what was planned for these agreements
    this month), through support's own services and rules. All or nothing. Returns the count."""
    _require_change(by, run)
    if run.status != RosterRun.Status.DONE:
        raise ValidationError(_("Only a finished roster that is not yet approved can be approved."))
    month = build_month(run)
    roster = [model.Assignment(a["doctor"], a["clinic"], date.fromisoformat(a["day"]))
              for a in run.result.get("assignments", [])]
    stale = checker.check(month.problem, roster)
    if stale:
        raise ValidationError(_("The month changed since this roster was made (%(what)s); solve again.") % {
            "what": stale[0]})
    for row in Assignment.objects.filter(pk__in=month.replaced).select_related("agreement__pairing"):
        services_plan.assignment_cancel(by=by, assignment=row)
    doctors = {d.pk: d for d in Doctor.objects.filter(pk__in={_pk(a.doctor, "d") for a in roster})}
    agreements = {a.pk: a for a in Agreement.objects.filter(pk__in=set(month.agreements.values())).select_related(
        "programme", "pairing__clinic", "pairing__hospital")}
    for row in roster:
        agreement = agreements[month.agreements[(row.doctor, row.clinic)]]
        services_plan.assignment_create(by=by, doctor=doctors[_pk(row.doctor, "d")], agreement=agreement,
                                        date=row.day, note=_("Roster optimiser, run %(pk)s") % {"pk": run.pk})
    RosterRun.objects.filter(pk=run.pk).update(status=RosterRun.Status.APPROVED, approved_by=by,
                                               approved_at=timezone.now())
    _notify_doctors(run, roster, doctors)
    return len(roster)


def _notify_doctors(run: RosterRun, roster, doctors):
    from yilian.notices.services import notify

    for pk, doctor in doctors.items():
        if doctor.user_id:
            days = sorted(a.day for a in roster if a.doctor == f"d{pk}")
            notify([doctor.user_id], kind="roster.approved", url=reverse("support-today"),
                   text=_("Your dispatch days in %(month)s: %(days)s") % {
                       "month": f"{run.month:%Y-%m}", "days": ", ".join(f"{d:%m-%d}" for d in days)},
                   dedupe_key=f"roster:{run.pk}:{pk}")


def visible_runs(user):
    return RosterRun.objects.for_user(user).select_related("programme", "hospital", "region")


def absence_add(*, by, doctor: Doctor, start: date, end: date, reason: str, note: str = "") -> Absence:
    """Record leave, duty or a doctor's own clinic sessions; the next solve keeps him at home those days."""
    if not Doctor.objects.for_user(by, CHANGE).filter(pk=doctor.pk).exists():
        raise Http404
    if reason not in Absence.Reason.values:
        raise ValidationError(_("Choose a reason."))
    same = Absence.objects.filter(doctor=doctor, start=start, end=end, reason=reason).first()
    return same or save_validated(Absence(doctor=doctor, start=start, end=end, reason=reason, note=note), by)
