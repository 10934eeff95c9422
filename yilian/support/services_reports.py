"""Report services: scopes, the monthly workload report, background report jobs, and the yearly
summary and self-evaluation (年度总结自评). Views and tasks only call these.

Every figure is computed from querysets filtered through ``for_user`` of the person who asked,
also in the worker, so a report never shows more than its requester may see.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, VIEW, scope_for
from yilian.core.services import save_validated
from yilian.network.models import Institution, Pairing, Region
from yilian.ops.jobs import heartbeat

from . import reports
from .models import Agreement, Programme, ReportJob, Visit, YearlyReport

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- scope and period


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: a region (the city or a district) or one hospital or clinic."""

    region: Region | None = None
    institution: Institution | None = None

    @property
    def key(self) -> str:
        return f"region:{self.region.pk}" if self.region else f"institution:{self.institution.pk}"

    @property
    def label(self) -> str:
        return self.region.name if self.region else self.institution.name

    def q(self, prefix: str = "") -> Q:
        """Filter for pairings (prefix "") or visits (prefix "pairing__") inside the scope."""
        if self.region:
            return Q(**{f"{prefix}clinic__region__path__startswith": self.region.path})
        side = "hospital" if self.institution.is_hospital else "clinic"
        return Q(**{f"{prefix}{side}": self.institution})


def report_scopes(user) -> list[ReportScope]:
    """The regions and institutions the user may report on: supervisors their regions and the
    hospitals in them, coordinators their hospital and the clinics it supports, clinic staff their clinic."""
    scope = scope_for(user)
    paired = Pairing.objects.for_user(user).values("pk")
    regions = Region.objects.for_user(user, CHANGE).filter(
        level__in=[Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT]) if scope.is_supervisor else []
    institutions = Institution.objects.for_user(user, VIEW).filter(
        Q(pairings_given__in=paired) | Q(pairings_received__in=paired)).distinct().select_related("region")
    if not scope.is_supervisor:  # a clinic does not report for the hospitals that support it
        institutions = institutions.filter(pk__in=scope.hospital_ids | scope.clinic_ids | _supported(scope))
    hospitals = sorted((i for i in institutions if i.is_hospital), key=lambda i: i.name)
    clinics = sorted((i for i in institutions if not i.is_hospital), key=lambda i: (i.region.path, i.name))
    return ([ReportScope(region=r) for r in regions] + [ReportScope(institution=i) for i in hospitals]
            + [ReportScope(institution=i) for i in clinics])


def _supported(scope) -> set[int]:
    return set(Pairing.all_rows.filter(hospital_id__in=scope.hospital_ids).values_list("clinic_id", flat=True))


def resolve_scope(user, key: str) -> ReportScope:
    """The scope a form field names, if the user may report on it; anything else is 404."""
    for candidate in report_scopes(user):
        if candidate.key == key:
            return candidate
    raise Http404


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(raw: str) -> tuple[date, date]:
    """"2026-11" → (1 Nov, 30 Nov); a bad or future month is a ValidationError naming the field."""
    match = _MONTH.match((raw or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise ValidationError({"month": _("Give the month as YYYY-MM, e.g. 2026-11.")})
    year, month = int(match[1]), int(match[2])
    start = date(year, month, 1)
    if start > timezone.localdate():
        raise ValidationError({"month": _("The month has not begun yet.")})
    return start, date(year, month, calendar.monthrange(year, month)[1])


def previous_month(today: date | None = None) -> str:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def monthly_report(user, scope: ReportScope, start: date, end: date) -> reports.PeriodReport:
    visits = Visit.objects.for_user(user).filter(scope.q("pairing__"))
    pairings = Pairing.objects.for_user(user).filter(scope.q())
    return reports.period_report(visits, pairings, start, end, unit=scope.label)


def report_filename(report: reports.PeriodReport, extension: str) -> str:
    return f"{reports.monthly_title(report)} {report.unit}.{extension}".replace("/", "_")


# ---------------------------------------------------------------------------- background jobs


def report_job_start(*, by, scope_key: str, month: str, language: str = "") -> ReportJob:
    """Queue the monthly report of a scope for the worker. Asking again while the same report is
    still queued or running returns that job (a double click does not generate it twice)."""
    scope = resolve_scope(by, scope_key)
    start, end = month_bounds(month)
    pending = ReportJob.objects.filter(
        requested_by=by, kind=ReportJob.Kind.MONTHLY, region=scope.region, institution=scope.institution,
        period_start=start, status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING]).first()
    if pending:
        return pending
    job = save_validated(ReportJob(
        kind=ReportJob.Kind.MONTHLY, requested_by=by, region=scope.region, institution=scope.institution,
        period_start=start, period_end=end, language=language or settings.LANGUAGE_CODE,
        message=_("Waiting for the worker…")), by)
    _enqueue(job)
    job.refresh_from_db()
    return job


def _enqueue(job: ReportJob):
    from .tasks import generate_monthly_report

    # The row is committed above (save_validated's own transaction), so the worker can read it.
    result = generate_monthly_report.enqueue(job.pk)
    ReportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))


def _progress(job: ReportJob, percent: int, message: str, status: str = ReportJob.Status.RUNNING, **extra):
    job.progress, job.message, job.status = percent, message[:300], status
    ReportJob.objects.filter(pk=job.pk).update(progress=percent, message=message[:300], status=status,
                                               heartbeat_at=timezone.now(), **extra)


# A job interrupted this often (its worker killed, the machine restarted) is failed, not started again.
MAX_ATTEMPTS = 2


def report_jobs_recover(stale_after: timedelta) -> dict[str, int]:
    """Jobs whose worker died: start them again, or mark them failed so the user can ask again.

    Run by the worker at start and every minute. Running a job twice is safe: the claim in
    ``report_job_run`` lets one run through and the files are written whole or not at all.
    """
    cutoff = timezone.now() - stale_after
    stale = ReportJob.objects.filter(status=ReportJob.Status.RUNNING, heartbeat_at__lt=cutoff)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ReportJob.Status.FAILED, finished_at=timezone.now(),
        message=_("The report was interrupted. Please ask for it again."))
    restart_ids = list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    ReportJob.objects.filter(pk__in=restart_ids, status=ReportJob.Status.RUNNING).update(
        status=ReportJob.Status.QUEUED, message=_("Interrupted; starting again…"))
    # Queued but never picked up (the task was lost with the worker that dequeued it).
    lost_ids = list(ReportJob.objects.filter(status=ReportJob.Status.QUEUED, created_at__lt=cutoff)
                    .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
                    .exclude(pk__in=restart_ids).values_list("pk", flat=True))
    for job in ReportJob.objects.filter(pk__in=restart_ids + lost_ids):
        ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
        _enqueue(job)
    return {"failed": failed, "restarted": len(restart_ids), "requeued": len(lost_ids)}


def report_job_run(job_id: int):
    """The worker's part: figures, Excel, PDF, with progress. A job runs once; a retry of a finished job is a no-op."""
    with transaction.atomic():
        claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED).update(
            status=ReportJob.Status.RUNNING, attempts=F("attempts") + 1, heartbeat_at=timezone.now())
    if not claimed:
        return
    job = ReportJob.objects.select_related("requested_by", "region", "institution").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE), heartbeat(ReportJob.objects.filter(pk=job_id)):
        try:
            _generate(job)
        except Exception:
            logger.exception("report job %s failed", job.pk)
            _progress(job, job.progress, _("The report could not be generated. Please try again or tell "
                                           "the administrator."), ReportJob.Status.FAILED,
                      finished_at=timezone.now())


def _generate(job: ReportJob):
    scope = ReportScope(region=job.region, institution=job.institution)
    _progress(job, 5, _("Adding up the ledger…"))
    report = monthly_report(job.requested_by, scope, job.period_start, job.period_end)
    prepared_on = timezone.localdate(job.created_at)
    _progress(job, 15, _("Writing the Excel workbook…"))

    def sheet_done(done, total):
        if done % 5 == 0 or done == total:
            _progress(job, 15 + 25 * done // max(total, 1), _("Writing the Excel workbook…"))

    xlsx = reports.monthly_xlsx(report, prepared_on=prepared_on, progress=sheet_done)
    job.xlsx.save(f"monthly-{job.pk}.xlsx", ContentFile(xlsx), save=False)
    ReportJob.objects.filter(pk=job.pk).update(xlsx=job.xlsx.name)
    _progress(job, 40, _("Laying out the PDF (%(n)s institutions)…") % {"n": len(report.clinics)})
    pdf = reports.monthly_pdf(report, prepared_on=prepared_on,
                              progress=lambda percent, text: _progress(job, 40 + percent * 55 // 100, text))
    job.pdf.save(f"monthly-{job.pk}.pdf", ContentFile(pdf), save=False)
    _progress(job, 100, _("Done: %(n)s institutions, %(v)s visits.") % {
        "n": len(report.clinics), "v": report.total.visits}, ReportJob.Status.DONE,
        pdf=job.pdf.name, finished_at=timezone.now())


def job_title(job: ReportJob) -> str:
    scope_name = job.region.name if job.region_id else job.institution.name
    return f"{reports.period_label(job.period_start, job.period_end)} · {scope_name}"


# ---------------------------------------------------------------------------- yearly summary


def _participation_q(institution: Institution, prefix: str = "") -> Q:
    return Q(**{f"{prefix}pairing__hospital": institution}) | Q(**{f"{prefix}pairing__clinic": institution})


def programme_participants(programme: Programme) -> list[Institution]:
    """Every hospital and clinic with an agreement in the programme: who owes a yearly report."""
    pairings = Agreement.objects.filter(programme=programme).values_list("pairing__hospital_id", "pairing__clinic_id")
    ids = {pk for pair in pairings for pk in pair}
    return list(Institution.objects.filter(pk__in=ids).select_related("region"))


def yearly_figures(user, programme: Programme, institution: Institution) -> dict:
    """The year's figures of an institution in a programme, from the ledger, as stored JSON."""
    start = date(programme.year, 1, 1)
    end = min(date(programme.year, 12, 31), timezone.localdate())
    agreements = Agreement.objects.filter(programme=programme).filter(_participation_q(institution))
    pairings = Pairing.objects.for_user(user).filter(pk__in=agreements.values("pairing_id"))
    visits = Visit.objects.for_user(user).filter(pairing__in=pairings.values("pk"))
    report = reports.period_report(visits, pairings, start, max(start, end), unit=institution.name)
    figures = reports.figures_dict(report, reports.monthly_series(visits, start, end))
    figures["as_of"] = timezone.localdate().isoformat()
    return figures


def yearly_candidates(user) -> list[tuple[Programme, Institution, YearlyReport | None]]:
    """(programme, institution, report or None) for each institution the user writes reports for."""
    scope = scope_for(user)
    own = Institution.objects.filter(pk__in=scope.hospital_ids | scope.clinic_ids)
    result = []
    for institution in own:
        programmes = Programme.objects.for_user(user).filter(
            agreements__in=Agreement.objects.filter(_participation_q(institution))).distinct()
        for programme in programmes:
            report = YearlyReport.objects.filter(programme=programme, institution=institution).first()
            result.append((programme, institution, report))
    return sorted(result, key=lambda row: (-row[0].year, row[0].name, row[1].name))


def yearly_report_open(*, by, programme_id, institution_id) -> YearlyReport:
    """The institution's report for the programme, created and prefilled with the figures the first time."""
    programme = Programme.objects.get_for_user_or_404(by, VIEW, pk=programme_id)
    institution = Institution.objects.get_for_user_or_404(by, CHANGE, pk=institution_id)
    scope = scope_for(by)
    if not (scope.is_admin or institution.pk in scope.hospital_ids | scope.clinic_ids):
        raise Http404  # supervisors read the reports; the institutions write them
    if not Agreement.objects.filter(programme=programme).filter(_participation_q(institution)).exists():
        raise ValidationError(_("%(name)s has no agreement in this programme.") % {"name": institution.name})
    existing = YearlyReport.objects.filter(programme=programme, institution=institution).first()
    if existing:
        return existing
    report = YearlyReport(programme=programme, institution=institution,
                          figures=yearly_figures(by, programme, institution))
    return save_validated(report, by)


def _editable(by, report: YearlyReport) -> YearlyReport:
    report = YearlyReport.objects.get_for_user_or_404(by, CHANGE, pk=report.pk)
    if report.is_submitted:
        raise ValidationError(_("This report has been submitted and can no longer be changed."))
    return report


TEXT_FIELDS = ("summary", "achievements", "problems", "plans", "self_score")


def yearly_report_update(*, by, report: YearlyReport, data: dict) -> YearlyReport:
    report = _editable(by, report)
    for name in TEXT_FIELDS:
        if name in data:
            setattr(report, name, data[name])
    return save_validated(report, by)


def yearly_report_refresh(*, by, report: YearlyReport) -> YearlyReport:
    """Take the figures again from the ledger (while the report is a draft)."""
    report = _editable(by, report)
    report.figures = yearly_figures(by, report.programme, report.institution)
    return save_validated(report, by)


def yearly_report_submit(*, by, report: YearlyReport) -> YearlyReport:
    """Lock the report. Late submissions are accepted and flagged; submitting twice changes nothing."""
    report = YearlyReport.objects.get_for_user_or_404(by, CHANGE, pk=report.pk)
    if report.is_submitted:
        return report
    errors = {}
    if not report.summary.strip():
        errors["summary"] = _("Write the summary of the work before submitting.")
    if report.self_score is None:
        errors["self_score"] = _("Give the self-evaluation score (0–100) before submitting.")
    if errors:
        raise ValidationError(errors)
    report.status = YearlyReport.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = by
    return save_validated(report, by)


@dataclass
class SubmissionRow:
    institution: Institution
    report: YearlyReport | None

    @property
    def submitted(self) -> bool:
        return bool(self.report and self.report.is_submitted)


@dataclass(frozen=True)
class Deadline:
    due: date
    days: int  # days left until the due date; negative once it has passed

    @property
    def overdue(self) -> int:
        return max(0, -self.days)


def deadline(programme: Programme, today: date | None = None) -> Deadline | None:
    """The yearly report's due date and the days left (or overdue); None when the programme sets none."""
    if not programme.yearly_report_due:
        return None
    return Deadline(programme.yearly_report_due, (programme.yearly_report_due - (today or timezone.localdate())).days)


def yearly_status(user, programme: Programme) -> list[SubmissionRow]:
    """Who has and has not submitted: every participant the user may see, hospitals first."""
    visible = set(Institution.objects.for_user(user).values_list("pk", flat=True))
    participants = [i for i in programme_participants(programme) if i.pk in visible]
    found = {r.institution_id: r for r in YearlyReport.objects.filter(programme=programme)
             .select_related("submitted_by", "programme")}
    rows = [SubmissionRow(i, found.get(i.pk)) for i in participants]
    return sorted(rows, key=lambda r: (not r.institution.is_hospital, r.submitted, r.institution.region.path,
                                       r.institution.name))
