"""Plan pages: programmes, the working-day calendar, agreements, doctors, the dispatch plan (month
views per hospital and per clinic) and the grassroots service record.

Thin: reads go through scoped querysets and selectors_plan, writes through services_plan.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, VIEW, can, scope_for
from yilian.core.views import change_history, file_response, paginate, query_without_page, render_form, save_form
from yilian.network.exports import XLSX_CONTENT_TYPE
from yilian.network.models import Institution, Region

from . import calendar, imports_doctors
from . import services_plan as services
from .exports_plan import month_plan_xlsx, service_record_xlsx
from .forms_plan import (
    AgreementForm,
    AssignmentForm,
    CalendarDayForm,
    CalendarRangeForm,
    DoctorForm,
    DoctorImportForm,
    ProgrammeForm,
    TargetFormSet,
    target_rows,
)
from .models import Agreement, Assignment, CalendarDay, Doctor, Programme, Title
from .selectors_plan import agreement_progress, clinic_month, days_required, hospital_month, service_records


def _pick(queryset, raw):
    """The object a filter parameter names, if the user may see it; a foreign id is ignored."""
    if not raw or not str(raw).isdigit():
        return None
    return queryset.filter(pk=int(raw)).first()


def _today():
    return timezone.localdate()


def _month(request) -> date:
    """``?month=2026-12``; by default next month, the one coordinators plan."""
    raw = request.GET.get("month") or request.POST.get("month") or ""
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return calendar.add_months(_today(), 1)


def _plan_hospitals(user):
    """Hospitals whose plan the user manages: their coordinators and the supervisors of their region."""
    return Institution.objects.for_user(user, CHANGE).filter(kind__in=Institution.HOSPITAL_KINDS)


def _plan_clinics(user):
    return Institution.objects.for_user(user, VIEW).filter(kind__in=Institution.GRASSROOTS_KINDS)


def _get(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


# ------------------------------------------------------------------------ plan home


@login_required
def plan_home(request):
    """Coordinators land on their hospital's next month, clinic staff on their clinic's."""
    scope = scope_for(request.user)
    hospitals = _plan_hospitals(request.user).filter(pairings_given__agreements__isnull=False).distinct()
    clinics = _plan_clinics(request.user).filter(pairings_received__agreements__isnull=False).distinct()
    if not scope.is_supervisor:
        if scope.hospital_ids and hospitals.count() == 1:
            return redirect("plan-hospital", pk=hospitals.get().pk)
        if scope.clinic_ids and not scope.hospital_ids and clinics.count() == 1:
            return redirect("plan-clinic", pk=clinics.get().pk)
    return render(request, "support/plan/home.html", {
        "hospitals": hospitals.order_by("name"), "clinics": clinics.order_by("region__path", "name"),
        "month": calendar.add_months(_today(), 1), "is_supervisor": scope.is_supervisor,
        "may_edit_calendar": services.may_edit_calendar(request.user),
    })


# ------------------------------------------------------------------- hospital month


def _hospital_context(request, hospital, first: date, form=None, **extra):
    plan = hospital_month(request.user, hospital, first)
    initial = {"date": request.GET.get("date") or "", "doctor": request.GET.get("doctor") or ""}
    return {
        "hospital": hospital, "plan": plan, "month_param": f"{plan.first:%Y-%m}",
        "form": form or AssignmentForm(user=request.user, hospital=hospital, initial=initial),
        "legend": _legend(plan), "today": _today(), **extra,
    }


def _legend(plan):
    """Clinic label → full name and the days planned there this month."""
    counts: dict[str, list] = {}
    for row in plan.rows:
        for cell in row.cells:
            for a in cell.assignments:
                counts.setdefault(a.agreement.pairing.clinic.name, [a.short_clinic, 0])[1] += 1
    return sorted((short, name, n) for name, (short, n) in counts.items())


def _render_hospital(request, hospital, first, **extra):
    template = "support/plan/_hospital_month.html" if request.htmx else "support/plan/hospital_month.html"
    return render(request, template, _hospital_context(request, hospital, first, **extra))


@login_required
def plan_hospital(request, pk):
    hospital = _get(_plan_hospitals(request.user), pk)
    return _render_hospital(request, hospital, _month(request))


@login_required
@require_POST
def plan_hospital_assign(request, pk):
    hospital = _get(_plan_hospitals(request.user), pk)
    form = AssignmentForm(request.POST, user=request.user, hospital=hospital)
    first = _month(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.assignment_create(by=request.user, doctor=data["doctor"],
                                                    agreement=data["agreement"], date=data["date"], note=data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            notice = _("Planned: %(doctor)s at %(clinic)s on %(day)s.") % {
                "doctor": assignment.doctor.name, "clinic": assignment.agreement.pairing.clinic.name,
                "day": assignment.date}
            if not request.htmx:
                messages.success(request, notice)
                return redirect(f"{reverse('plan-hospital', args=[hospital.pk])}?month={first:%Y-%m}")
            return _render_hospital(request, hospital, first, notice=notice)
    return _render_hospital(request, hospital, first, form=form)


@login_required
@require_POST
def assignment_cancel(request, pk):
    assignment = Assignment.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    hospital = assignment.agreement.pairing.hospital
    first = _month(request)
    try:
        services.assignment_cancel(by=request.user, assignment=assignment)
    except ValidationError as exc:
        notice, level = " ".join(exc.messages), messages.ERROR
    else:
        notice, level = _("Cancelled: %(doctor)s on %(day)s.") % {
            "doctor": assignment.doctor.name, "day": assignment.date}, messages.SUCCESS
    if request.htmx:
        return _render_hospital(request, hospital, first, notice=notice, notice_error=level == messages.ERROR)
    messages.add_message(request, level, notice)
    return redirect(f"{reverse('plan-hospital', args=[hospital.pk])}?month={first:%Y-%m}")


@login_required
def plan_hospital_export(request, pk):
    hospital = _get(_plan_hospitals(request.user), pk)
    plan = hospital_month(request.user, hospital, _month(request))
    assignments = [a for row in plan.rows for cell in row.cells for a in cell.assignments]
    title = _("%(hospital)s: dispatch plan for %(month)s") % {"hospital": hospital.name, "month": f"{plan.first:%Y-%m}"}
    content = month_plan_xlsx(plan, title=title, row_header=_("Doctor"), assignments=sorted(
        assignments, key=lambda a: (a.date, a.doctor.name)), cell_text=lambda a: a.short_clinic)
    return file_response(content, f"plan-{hospital.display_name}-{plan.first:%Y-%m}.xlsx", XLSX_CONTENT_TYPE)


# --------------------------------------------------------------------- clinic month


@login_required
def plan_clinic(request, pk):
    clinic = _get(_plan_clinics(request.user), pk)
    plan = clinic_month(request.user, clinic, _month(request))
    return render(request, "support/plan/clinic_month.html", {
        "clinic": clinic, "plan": plan, "month_param": f"{plan.first:%Y-%m}", "today": _today(),
    })


@login_required
def plan_clinic_export(request, pk):
    clinic = _get(_plan_clinics(request.user), pk)
    plan = clinic_month(request.user, clinic, _month(request))
    assignments = [a for row in plan.rows for cell in row.cells for a in cell.assignments]
    title = _("%(clinic)s: visiting doctors in %(month)s") % {"clinic": clinic.name, "month": f"{plan.first:%Y-%m}"}
    content = month_plan_xlsx(plan, title=title, row_header=_("Assisting hospital"), assignments=sorted(
        assignments, key=lambda a: (a.date, a.doctor.name)), cell_text=lambda a: a.doctor.name)
    return file_response(content, f"plan-{clinic.display_name}-{plan.first:%Y-%m}.xlsx", XLSX_CONTENT_TYPE)


# ------------------------------------------------------------------------ programmes


@login_required
def programme_list(request):
    programmes = Programme.objects.for_user(request.user).select_related("region").annotate(
        agreement_count=Count("agreements"))
    return render(request, "support/plan/programme_list.html", {
        "programmes": programmes, "can_add": Region.objects.for_user(request.user, CHANGE).exists(),
    })


@login_required
def programme_detail(request, pk):
    programme = Programme.objects.get_for_user_or_404(request.user, pk=pk)
    return render(request, "support/plan/programme_detail.html", {
        "programme": programme, "can_edit": can(request.user, CHANGE, programme),
        "agreement_count": Agreement.objects.for_user(request.user).filter(programme=programme).count(),
        "history": change_history(programme),
    })


@login_required
def programme_edit(request, pk=None):
    programme = Programme.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Programme()
    if not pk and not Region.objects.for_user(request.user, CHANGE).exists():
        raise Http404
    form = ProgrammeForm(request.POST or None, instance=programme, user=request.user)
    done = save_form(request, form, lambda data: services.programme_save(
        by=request.user, programme=programme if pk else None, **{k: data[k] for k in services.PROGRAMME_FIELDS}),
        "programme-detail", pk=None)
    return done or render_form(request, form, _("Edit programme") if pk else _("New programme"), "programme-list")


# -------------------------------------------------------------------------- calendar


def _calendar_editor(request):
    if not services.may_edit_calendar(request.user):
        raise Http404


@login_required
def calendar_list(request):
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else _today().year
    official = [info for info in calendar.days(date(year, 1, 1), date(year, 12, 31))
                if info.source == calendar.OFFICIAL and (info.name or info.adjusted)]
    return render(request, "support/plan/calendar_list.html", {
        "year": year, "coverage": calendar.calendar_coverage(year),
        "entries": CalendarDay.objects.filter(date__year=year),
        "official": official, "can_edit": services.may_edit_calendar(request.user),
        "years": range(_today().year - 1, _today().year + 3),
    })


@login_required
def calendar_edit(request, pk=None):
    _calendar_editor(request)
    day = _get(CalendarDay.objects.all(), pk) if pk else CalendarDay()
    form = CalendarDayForm(request.POST or None, instance=day)
    done = save_form(request, form, lambda data: services.calendar_day_save(
        by=request.user, day=day, **{k: data[k] for k in services.CALENDAR_FIELDS}),
        lambda saved: f"{reverse('calendar-list')}?year={saved.date.year}")
    return done or render_form(request, form, _("Calendar day"), "calendar-list")


@login_required
@require_POST
def calendar_delete(request, pk):
    _calendar_editor(request)
    day = _get(CalendarDay.objects.all(), pk)
    services.calendar_day_delete(by=request.user, day=day)
    messages.success(request, _("Deleted."))
    return redirect(f"{reverse('calendar-list')}?year={day.date.year}")


@login_required
def calendar_range(request):
    _calendar_editor(request)
    form = CalendarRangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.calendar_range_set(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(count)s days entered.") % {"count": count})
            return redirect(f"{reverse('calendar-list')}?year={form.cleaned_data['start'].year}")
    return render(request, "core/form.html", {
        "form": form, "title": _("Enter a run of days"), "cancel": "calendar-list"})


# ------------------------------------------------------------------------ agreements


def _agreement_filters(request):
    user = request.user
    hospitals = Institution.objects.for_user(user).filter(kind__in=Institution.HOSPITAL_KINDS)
    clinics = Institution.objects.for_user(user).filter(kind__in=Institution.GRASSROOTS_KINDS)
    return {
        "hospital": _pick(hospitals, request.GET.get("hospital")),
        "clinic": _pick(clinics, request.GET.get("clinic")),
        "programme": _pick(Programme.objects.for_user(user), request.GET.get("programme")),
        "status": request.GET.get("status") if request.GET.get("status") in Agreement.Status.values else "",
    }


@login_required
def agreement_list(request):
    filters = _agreement_filters(request)
    agreements = Agreement.objects.for_user(request.user).select_related(
        "pairing__hospital", "pairing__clinic", "programme")
    for name in ("hospital", "clinic"):
        if filters[name]:
            agreements = agreements.filter(**{f"pairing__{name}": filters[name]})
    if filters["programme"]:
        agreements = agreements.filter(programme=filters["programme"])
    if filters["status"]:
        agreements = agreements.filter(status=filters["status"])
    visible = Agreement.objects.for_user(request.user)
    return render(request, "support/plan/agreement_list.html", {
        "page": paginate(request, agreements.order_by("pairing__hospital__name", "pairing__clinic__name", "-start")),
        "query": query_without_page(request), **filters,
        "hospitals": Institution.objects.filter(pairings_given__agreements__in=visible).distinct().order_by("name"),
        "clinics": Institution.objects.filter(pairings_received__agreements__in=visible).distinct().order_by("name"),
        "programmes": Programme.objects.for_user(request.user), "statuses": Agreement.Status.choices,
        "can_add": services.agreement_pairings(request.user).exists(),
    })


@login_required
def agreement_detail(request, pk):
    agreement = Agreement.objects.get_for_user_or_404(request.user, pk=pk)
    today = _today()
    upcoming = Assignment.objects.for_user(request.user).filter(
        agreement=agreement, status=Assignment.Status.PLANNED, date__gte=today).select_related("doctor")[:20]
    return render(request, "support/plan/agreement_detail.html", {
        "agreement": agreement, "progress": agreement_progress(agreement, today), "today": today,
        "as_of": min(today, agreement.end), "upcoming": upcoming,
        "can_edit": can(request.user, CHANGE, agreement), "history": change_history(agreement),
        "may_plan": _plan_hospitals(request.user).filter(pk=agreement.pairing.hospital_id).exists(),
    })


def _target_initial(agreement):
    return [{"kind": t.kind, "quantity": t.quantity, "per": t.per} for t in agreement.targets.all()] if agreement.pk \
        else [{"kind": "expert_days", "quantity": 2, "per": "month"}]


@login_required
def agreement_edit(request, pk=None):
    agreement = Agreement.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Agreement()
    if not pk and not services.agreement_pairings(request.user).exists():
        raise Http404
    initial = {"pairing": request.GET.get("pairing")} if not pk else None
    form = AgreementForm(request.POST or None, request.FILES or None, instance=agreement, user=request.user,
                         initial=initial)
    targets = TargetFormSet(request.POST or None, initial=_target_initial(agreement), prefix="targets")
    if request.method == "POST" and form.is_valid() and targets.is_valid():
        data = {name: form.cleaned_data[name] for name in services.AGREEMENT_FIELDS}
        try:
            agreement = services.agreement_save(by=request.user, agreement=agreement if pk else None,
                                                targets=target_rows(targets), document=form.cleaned_data["document"],
                                                **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("agreement-detail", pk=agreement.pk)
    return render(request, "support/plan/agreement_form.html", {
        "form": form, "targets": targets, "agreement": agreement,
        "title": _("Edit agreement") if pk else _("New assistance agreement"),
    })


@login_required
def agreement_document(request, pk):
    agreement = Agreement.objects.get_for_user_or_404(request.user, pk=pk)
    if not agreement.signed_document:
        raise Http404
    name = Path(agreement.signed_document.name).name
    return FileResponse(agreement.signed_document.open("rb"), as_attachment=True, filename=name)


# --------------------------------------------------------------------------- doctors


def _doctor_queryset(request):
    doctors = Doctor.objects.for_user(request.user).select_related("hospital", "user")
    hospital = _pick(Institution.objects.for_user(request.user).filter(kind__in=Institution.HOSPITAL_KINDS),
                     request.GET.get("hospital"))
    if hospital:
        doctors = doctors.filter(hospital=hospital)
    text = request.GET.get("q", "").strip()
    if text:
        doctors = doctors.filter(Q(name__icontains=text) | Q(department__icontains=text)
                                 | Q(specialty__icontains=text))
    if request.GET.get("title") in Title.values:
        doctors = doctors.filter(title=request.GET["title"])
    return doctors, hospital


@login_required
def doctor_list(request):
    doctors, hospital = _doctor_queryset(request)
    return render(request, "support/plan/doctor_list.html", {
        "page": paginate(request, doctors), "query": query_without_page(request), "hospital": hospital,
        "hospitals": Institution.objects.filter(pk__in=Doctor.objects.for_user(request.user).values("hospital_id")),
        "titles": Title.choices, "can_add": services.doctor_hospitals(request.user).exists(),
    })


@login_required
def doctor_detail(request, pk):
    doctor = Doctor.objects.get_for_user_or_404(request.user, pk=pk)
    record = service_records([doctor])[0]
    upcoming = Assignment.objects.for_user(request.user).filter(
        doctor=doctor, status=Assignment.Status.PLANNED, date__gte=_today()).select_related(
        "agreement__pairing__clinic")[:20]
    return render(request, "support/plan/doctor_detail.html", {
        "doctor": doctor, "record": record, "upcoming": upcoming,
        "can_edit": can(request.user, CHANGE, doctor), "history": change_history(doctor),
    })


@login_required
def doctor_edit(request, pk=None):
    doctor = Doctor.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Doctor()
    if not pk and not services.doctor_hospitals(request.user).exists():
        raise Http404
    initial = {"hospital": request.GET.get("hospital")} if not pk else None
    form = DoctorForm(request.POST or None, instance=doctor, user=request.user, initial=initial)
    done = save_form(request, form, lambda data: services.doctor_save(
        by=request.user, doctor=doctor if pk else None, **{k: data[k] for k in services.DOCTOR_FIELDS}),
        "doctor-detail", pk=None)
    return done or render_form(request, form, _("Edit doctor") if pk else _("New doctor"), "doctor-list")


def _import_path(token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx"


@login_required
def doctor_import(request):
    """Upload → preview with row-level errors → confirm. Nothing is saved unless every row is valid."""
    if not services.doctor_hospitals(request.user).exists():
        raise Http404
    if request.method == "POST" and request.POST.get("token"):
        return _doctor_import_confirm(request, request.POST["token"])
    initial = {"hospital": request.GET.get("hospital")}
    form = DoctorImportForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        hospital, content = form.cleaned_data["hospital"], form.cleaned_data["file"].read()
        report = imports_doctors.import_doctors(request.user, hospital, content, commit=False)
        context.update(report=report, hospital=hospital)
        if report.ok:
            token = f"{request.user.pk}-{hospital.pk}-{uuid.uuid4().hex}"
            _import_path(token).parent.mkdir(parents=True, exist_ok=True)
            _import_path(token).write_bytes(content)
            context["token"] = token
    return render(request, "support/plan/doctor_import.html", context)


def _doctor_import_confirm(request, token: str):
    match = re.fullmatch(r"(\d+)-(\d+)-[0-9a-f]{32}", token)
    if not match or match[1] != str(request.user.pk) or not _import_path(token).exists():
        raise Http404
    path = _import_path(token)
    hospital = _get(services.doctor_hospitals(request.user), int(match[2]))
    report = imports_doctors.import_doctors(request.user, hospital, path.read_bytes(), commit=True)
    path.unlink(missing_ok=True)
    if report.ok:
        messages.success(request, _("Imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged.") % {
            "new": report.new, "updated": report.updated, "unchanged": report.unchanged})
        return redirect(f"{reverse('doctor-list')}?hospital={hospital.pk}")
    form = DoctorImportForm(user=request.user, initial={"hospital": hospital.pk})
    return render(request, "support/plan/doctor_import.html", {"form": form, "report": report, "hospital": hospital})


@login_required
def doctor_import_template(request):
    return file_response(imports_doctors.template_xlsx(), "doctor-roster-template.xlsx", XLSX_CONTENT_TYPE)


# ------------------------------------------------------------- grassroots service record


@login_required
def service_record_home(request):
    hospitals = _plan_hospitals(request.user).filter(doctors__isnull=False).distinct().order_by("name")
    if hospitals.count() == 1:
        return redirect("service-record-hospital", pk=hospitals.get().pk)
    return render(request, "support/plan/service_record_home.html", {"hospitals": hospitals})


def _records(request, hospital):
    records = service_records(Doctor.objects.for_user(request.user).filter(hospital=hospital))
    if request.GET.get("completed") == "1":
        records = [r for r in records if r.completed]
    years = sorted({y for r in records for y in r.by_year})
    for r in records:
        r.year_cells = [r.by_year.get(y, 0) for y in years]
    return sorted(records, key=lambda r: (-r.total, r.doctor.name)), years


@login_required
def service_record_hospital(request, pk):
    hospital = _get(_plan_hospitals(request.user), pk)
    records, years = _records(request, hospital)
    return render(request, "support/plan/service_record.html", {
        "hospital": hospital, "records": records, "years": years, "required": days_required(),
        "completed_count": sum(r.completed for r in records), "query": request.GET.urlencode(),
    })


@login_required
def service_record_export(request, pk):
    hospital = _get(_plan_hospitals(request.user), pk)
    records, years = _records(request, hospital)
    title = _("%(hospital)s: days served at the grassroots (required: %(required)s)") % {
        "hospital": hospital.name, "required": days_required()}
    content = service_record_xlsx(records, years, title=title)
    return file_response(content, f"service-record-{hospital.display_name}-{_today()}.xlsx", XLSX_CONTENT_TYPE)
