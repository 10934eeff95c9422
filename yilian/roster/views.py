"""Coordinator pages of the roster optimiser: state the month, solve, follow, adjust, re-plan, approve."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE
from yilian.support import calendar
from yilian.support.models import Doctor, Programme

from . import explain, services
from .models import Absence, RosterRule, RosterRun


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(_("Enter a valid date.")) from exc


@login_required
def home(request):
    scopes = services.roster_scopes(request.user)
    programmes = list(services.programmes(request.user))
    month_text = request.GET.get("month") or f"{services.next_month():%Y-%m}"
    try:
        month = services.parse_month(month_text)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        month = services.next_month()
    scope_key = request.GET.get("scope") or (scopes[0].key if scopes else "")
    programme = next((p for p in programmes if str(p.pk) == request.GET.get("programme")), None) or (
        programmes[0] if programmes else None)
    preview = _preview(request.user, programme, month, scope_key) if scopes and programme else None
    return render(request, "roster/home.html", {
        "scopes": scopes, "programmes": programmes, "programme": programme, "month": month,
        "scope_key": scope_key, "preview": preview, "runs": services.visible_runs(request.user)[:15],
        "defaults": RosterRun(), "absence_reasons": Absence.Reason.choices,
    })


def _preview(user, programme: Programme, month: date, scope_key: str) -> dict | None:
    """The month as the solver will see it: needs from the agreements, doctors and their absences."""
    try:
        scope = services.resolve_scope(user, scope_key)
    except ValidationError:
        return None
    run = RosterRun(programme=programme, month=month, hospital=scope.hospital, region=scope.region)
    built = services.build_month(run)
    doctors = built.names.get("doctors", {})
    away = {d.id: len(d.unavailable) for d in built.problem.doctors}
    return {
        "clinics": [(c.name, sorted(c.needs.items()), c.max_days) for c in built.problem.clinics],
        "demand": sum(sum(c.needs.values()) for c in built.problem.clinics),
        "doctors": [(doctors[d.id], away[d.id], d.id) for d in built.problem.doctors],
        "working_days": built.problem.days, "warnings": built.warnings,
        "absences": Absence.objects.for_user(user).filter(
            start__lte=calendar.month_end(month), end__gte=month).select_related("doctor")[:50],
        "doctor_choices": Doctor.objects.for_user(user, CHANGE).filter(active=True).order_by("name")[:300],
    }


@login_required
@require_POST
def start(request):
    programme = services.programmes(request.user).filter(pk=_int(request.POST.get("programme"), 0)).first()
    if programme is None:
        raise Http404
    try:
        month = services.parse_month(request.POST.get("month", ""))
        rules = {name: _int(request.POST.get(name), getattr(RosterRun(), name)) for name in services.RULE_FIELDS}
        run = services.run_start(by=request.user, programme=programme, month=month,
                                 scope_key=request.POST.get("scope", ""), language=get_language(), **rules)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("roster-home")
    return redirect("roster-run", pk=run.pk)


@login_required
@require_POST
def absence_add(request):
    doctor = Doctor.objects.for_user(request.user, CHANGE).filter(pk=_int(request.POST.get("doctor"), 0)).first()
    if doctor is None:
        raise Http404
    try:
        start_day, end_day = _day(request.POST.get("start")), _day(request.POST.get("end"))
        if start_day is None or end_day is None:
            raise ValidationError(_("Give the first and the last day."))
        services.absence_add(by=request.user, doctor=doctor, start=start_day, end=end_day,
                             reason=request.POST.get("reason", Absence.Reason.LEAVE))
        messages.success(request, _("Absence of %(doctor)s recorded.") % {"doctor": doctor.name})
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(request.POST.get("next") if _safe(request.POST.get("next")) else "roster-home")


def _safe(url) -> bool:
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//")


def _run(request, pk: int, action=None) -> RosterRun:
    queryset = RosterRun.objects.select_related("programme", "hospital", "region", "base", "cancelled_doctor")
    return queryset.get_for_user_or_404(request.user, action or "view", pk=pk)


@login_required
def run_detail(request, pk: int):
    """The run's progress; htmx polls the fragment every second until the roster is there."""
    run = _run(request, pk)
    context = _run_context(request, run)
    if request.htmx:
        return render(request, "roster/_run.html", context)
    return render(request, "roster/run.html", context)


def _run_context(request, run: RosterRun) -> dict:
    result, names = run.result, run.result.get("names", {})
    doctors, clinics = names.get("doctors", {}), names.get("clinics", {})
    rows = [{**a, "doctor_name": doctors.get(a["doctor"], {}).get("name", a["doctor"]),
             "specialty": doctors.get(a["doctor"], {}).get("specialty", ""),
             "hospital": doctors.get(a["doctor"], {}).get("hospital", ""),
             "clinic_name": clinics.get(a["clinic"], a["clinic"])} for a in result.get("assignments", [])]
    by_day = defaultdict(list)
    for row in rows:
        by_day[row["day"]].append(row)
    unmet = [{**u, "clinic_name": clinics.get(u["clinic"], u["clinic"]),
              "why": explain.unmet_message(u["reason"], u["params"])} for u in result.get("unmet", [])]
    conflicts = [explain.conflict_message(c["rule"], c["params"], names) for c in result.get("conflicts", [])]
    may_change = RosterRun.objects.for_user(request.user, CHANGE).filter(pk=run.pk).exists()
    return {
        "run": run, "days": sorted(by_day.items()), "unmet": unmet, "conflicts": conflicts,
        "measures": result.get("measures", {}), "changed": result.get("changed", {}),
        "warnings": result.get("warnings", []), "may_change": may_change,
        "roster_doctors": sorted({(r["doctor"], r["doctor_name"]) for r in rows}, key=lambda d: d[1]),
        "rules": services.month_rules(request.user, run) if may_change else [],
        "gap": _gap(run),
    }


def _gap(run: RosterRun) -> str:
    if run.best_unmet is None or run.bound is None:
        return ""
    if run.best_unmet == run.bound:
        return _("proven best: no roster meets more clinic-days")
    return _("at most %(n)s clinic-days could still be gained") % {"n": run.best_unmet - run.bound}


@login_required
@require_POST
def rule_add(request, pk: int):
    run = _run(request, pk, CHANGE)
    try:
        rule = services.rule_add(by=request.user, run=run, kind=request.POST.get("kind", ""),
                                 doctor_id=request.POST.get("doctor", ""), clinic_id=request.POST.get("clinic", ""),
                                 day=_day(request.POST.get("day")))
        messages.success(request, _("%(rule)s saved; solve again to apply it.") % {"rule": rule.get_kind_display()})
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("roster-run", pk=run.pk)


@login_required
@require_POST
def rule_delete(request, pk: int, rule_pk: int):
    run = _run(request, pk, CHANGE)
    rule = RosterRule.objects.get_for_user_or_404(request.user, CHANGE, pk=rule_pk)
    services.rule_delete(by=request.user, rule=rule)
    return redirect("roster-run", pk=run.pk)


@login_required
@require_POST
def rerun(request, pk: int):
    run = _run(request, pk, CHANGE)
    try:
        new = services.rerun(by=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("roster-run", pk=run.pk)
    return redirect("roster-run", pk=new.pk)


@login_required
@require_POST
def cancel(request, pk: int):
    run = _run(request, pk, CHANGE)
    try:
        new = services.cancel_doctor(by=request.user, run=run, doctor_id=request.POST.get("doctor", ""),
                                     from_day=_day(request.POST.get("from")))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("roster-run", pk=run.pk)
    return redirect("roster-run", pk=new.pk)


@login_required
@require_POST
def approve(request, pk: int):
    run = _run(request, pk, CHANGE)
    try:
        count = services.approve(by=request.user, run=run)
        messages.success(request, _("Approved: %(n)s days are now in the dispatch plan.") % {"n": count})
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("roster-run", pk=run.pk)
