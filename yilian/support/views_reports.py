"""Report pages: the monthly workload report (background jobs with progress, direct downloads) and
the yearly summary and self-evaluation. Thin: services and scoped querysets do the work."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, can, scope_for
from yilian.core.views import change_history, file_response

from . import reports
from . import services_reports as services
from .models import Programme, ReportJob, YearlyReport

FORMATS = {"xlsx": reports.XLSX_CONTENT_TYPE, "pdf": reports.PDF_CONTENT_TYPE}


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------------------- monthly report


@login_required
def monthly(request):
    """Start a report in the background, follow the jobs, or download one institution's report directly."""
    scopes = services.report_scopes(request.user)
    month = request.GET.get("month") or services.previous_month()
    month_error = ""
    try:
        services.month_bounds(month)
    except ValidationError as exc:
        month_error, month = _error_text(exc), services.previous_month()
    jobs = ReportJob.objects.for_user(request.user).select_related("region", "institution")[:10]
    return render(request, "support/reports/monthly.html", {
        "scopes": scopes, "month": month, "month_error": month_error,
        "institution_scopes": [s for s in scopes if s.institution],
        "jobs": [(job, services.job_title(job)) for job in jobs],
    })


@login_required
@require_POST
def job_start(request):
    try:
        job = services.report_job_start(by=request.user, scope_key=request.POST.get("scope", ""),
                                        month=request.POST.get("month", ""), language=get_language())
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("report-monthly")
    return redirect("report-job", pk=job.pk)


@login_required
def job_detail(request, pk: int):
    """The job's progress; htmx polls the fragment every second until the files are ready."""
    job = ReportJob.objects.select_related("region", "institution").get_for_user_or_404(request.user, pk=pk)
    context = {"job": job, "title": services.job_title(job)}
    if request.htmx:
        return render(request, "support/reports/_job.html", context)
    return render(request, "support/reports/job.html", context)


@login_required
def job_file(request, pk: int, fmt: str):
    """A finished job's Excel or PDF: only for the person who asked for it (404 for anyone else)."""
    job = ReportJob.objects.select_related("region", "institution").get_for_user_or_404(request.user, pk=pk)
    field = getattr(job, fmt, None) if fmt in FORMATS else None
    if job.status != ReportJob.Status.DONE or not field:
        raise Http404
    filename = f"{_('Monthly workload report')} {services.job_title(job)}.{fmt}".replace("/", "_")
    return FileResponse(field.open("rb"), as_attachment=True, filename=filename, content_type=FORMATS[fmt])


@login_required
def monthly_file(request, fmt: str):
    """One hospital's or clinic's report, generated while the user waits (a city goes to the worker)."""
    if fmt not in FORMATS:
        raise Http404
    scope = services.resolve_scope(request.user, request.GET.get("scope", ""))
    if scope.region:
        raise Http404  # whole regions are generated in the background
    try:
        start, end = services.month_bounds(request.GET.get("month", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("report-monthly")
    report = services.monthly_report(request.user, scope, start, end)
    today = timezone.localdate()
    content = (reports.monthly_xlsx(report, prepared_on=today) if fmt == "xlsx"
               else reports.monthly_pdf(report, prepared_on=today, processes=1))  # no forking in a web process
    return file_response(content, services.report_filename(report, fmt), FORMATS[fmt])


# ---------------------------------------------------------------------------- yearly summary


class YearlyReportForm(forms.ModelForm):
    class Meta:
        model = YearlyReport
        fields = ["summary", "achievements", "problems", "plans", "self_score"]
        widgets = {name: forms.Textarea(attrs={"rows": 6}) for name in ["summary", "achievements", "problems", "plans"]}


@login_required
def yearly_list(request):
    """Institutions: their yearly reports to write. Supervisors: each programme's submissions."""
    scope = scope_for(request.user)
    programmes = Programme.objects.for_user(request.user).select_related("region") if scope.is_supervisor else []
    rows = []
    for programme in programmes:
        status = services.yearly_status(request.user, programme)
        rows.append((programme, sum(r.submitted for r in status), len(status), services.deadline(programme)))
    return render(request, "support/reports/yearly_list.html", {
        "candidates": services.yearly_candidates(request.user), "programmes": rows,
    })


@login_required
@require_POST
def yearly_open(request):
    try:
        report = services.yearly_report_open(by=request.user, programme_id=request.POST.get("programme"),
                                             institution_id=request.POST.get("institution"))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("yearly-list")
    return redirect("yearly-detail", pk=report.pk)


def _yearly(request, pk):
    return YearlyReport.objects.select_related("programme", "institution", "submitted_by").get_for_user_or_404(
        request.user, pk=pk)


@login_required
def yearly_detail(request, pk: int):
    report = _yearly(request, pk)
    may_change = can(request.user, CHANGE, report)
    can_edit = may_change and not report.is_submitted
    form = YearlyReportForm(request.POST or None, instance=report) if can_edit else None
    if request.method == "POST":
        if not may_change:
            raise Http404
        if report.is_submitted:
            messages.error(request, _("This report has been submitted and can no longer be changed."))
            return redirect("yearly-detail", pk=report.pk)
        if form.is_valid():
            try:
                services.yearly_report_update(by=request.user, report=report, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("yearly-detail", pk=report.pk)
    return render(request, "support/reports/yearly_detail.html", {
        "report": report, "form": form, "can_edit": can_edit, "figures": _figure_rows(report.figures),
        "deadline": services.deadline(report.programme), "history": change_history(report),
    })


def _figure_rows(figures: dict) -> dict:
    """The stored figures, with the kinds labelled in the reader's language."""
    total = figures.get("total") or {}
    kinds = [(str(reports.KIND_HEADS[k][0]), str(reports.KIND_HEADS[k][1]), total.get("items", {}).get(k, 0),
              total.get("counts", {}).get(k, 0)) for k in reports.KINDS]
    return {"total": total, "kinds": kinds, "clinics": figures.get("clinics", []), "months": figures.get("months", []),
            "as_of": figures.get("as_of", "")}


@login_required
@require_POST
def yearly_submit(request, pk: int):
    report = _yearly(request, pk)
    try:
        report = services.yearly_report_submit(by=request.user, report=report)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Submitted late: the commission sees the date.") if report.is_late
                         else _("Submitted."))
    return redirect("yearly-detail", pk=report.pk)


@login_required
@require_POST
def yearly_refresh(request, pk: int):
    try:
        services.yearly_report_refresh(by=request.user, report=_yearly(request, pk))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The figures were taken again from the ledger."))
    return redirect("yearly-detail", pk=pk)


@login_required
def yearly_pdf(request, pk: int):
    report = _yearly(request, pk)
    content = reports.render_pdf("support/reports/yearly_pdf.html", {
        "report": report, "figures": _figure_rows(report.figures), "portrait": True,
        "prepared_on": timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate(),
    })
    name = f"{_('Yearly summary and self-evaluation')} {report.programme.year} {report.institution.name}.pdf"
    return file_response(content, name.replace("/", "_"), reports.PDF_CONTENT_TYPE)


@login_required
def yearly_status(request, pk: int):
    """The commission's view: who has and has not submitted, against the deadline."""
    programme = Programme.objects.select_related("region").get_for_user_or_404(request.user, pk=pk)
    rows = services.yearly_status(request.user, programme)
    return render(request, "support/reports/yearly_status.html", {
        "programme": programme, "rows": rows, "deadline": services.deadline(programme),
        "submitted": sum(r.submitted for r in rows), "late": sum(bool(r.report and r.report.is_late) for r in rows),
    })
