"""Reports: the yearly summary and self-evaluation, and background report jobs with progress."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in
from yilian.network.models import Institution, Region

from .plan import Programme


class YearlyReport(models.Model):
    """年度总结自评: prefilled with the year's figures; free-text sections; submitted by the deadline."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT,
                                  related_name="yearly_reports")
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="yearly_reports")
    figures = models.JSONField(_("figures of the year"), default=dict, blank=True)
    summary = models.TextField(_("summary of the work"), blank=True)
    achievements = models.TextField(_("results and good practice"), blank=True)
    problems = models.TextField(_("problems found"), blank=True)
    plans = models.TextField(_("plans for next year"), blank=True)
    self_score = models.PositiveSmallIntegerField(_("self-evaluation score"), null=True, blank=True,
                                                  validators=[MaxValueValidator(100)],
                                                  help_text=_("0 to 100"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly summary and self-evaluation")
        verbose_name_plural = _("yearly summaries and self-evaluations")
        constraints = [models.UniqueConstraint(fields=["programme", "institution"], name="yearly_report_once")]

    def __str__(self):
        return f"{self.institution.display_name} · {self.programme}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_late(self) -> bool:
        """Submitted after the programme's due date (allowed, but the commission sees it)."""
        due = self.programme.yearly_report_due
        if not (due and self.submitted_at):
            return False
        return timezone.localtime(self.submitted_at).date() > due

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return any_of([ids_in(scope.hospital_ids, "institution_id"), ids_in(scope.clinic_ids, "institution_id")])
        return Q(institution__in=Institution.objects.for_scope(scope))


class ReportJob(models.Model):
    """A report generated in the background worker; the page polls its progress."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly workload report")
        YEARLY = "yearly", _("Yearly summary")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # the files are written in the requester's language, not the worker's
    language = models.CharField(_("language"), max_length=10, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    xlsx = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running job touches heartbeat_at with every progress step; a stale one lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @classmethod
    def scope_q(cls, scope, action):
        return Q(requested_by_id=scope.user_id) if scope.user_id else Q(pk__in=[])
