"""The roster optimiser's own state: doctors' availability, travel times, pins and forbids, runs.

The approved roster itself is written into the counterpart-support dispatch plan
(``yilian.support.models.Assignment``) through its services; nothing here duplicates it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from yilian.core.scoping import ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution, Region
from yilian.support.models import Doctor, Programme


def _hospital_q(scope, lookup: str) -> Q:
    """The hospital's coordinators and the supervisors of its region (view and change alike)."""
    return any_of([ids_in(scope.hospital_ids, f"{lookup}_id"),
                   under_regions(scope.region_paths, f"{lookup}__region__path")])


class Absence(models.Model):
    """Days a doctor cannot be sent out: leave, duty, his own clinic sessions, a cancellation."""

    class Reason(models.TextChoices):
        LEAVE = "leave", _("Leave")
        DUTY = "duty", _("On duty")
        SESSION = "session", _("Own clinic session")
        CANCELLED = "cancelled", pgettext_lazy("roster absence", "Cancelled")

    doctor = models.ForeignKey(Doctor, verbose_name=_("doctor"), on_delete=models.CASCADE, related_name="absences")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, default=Reason.LEAVE)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("doctor absence")
        verbose_name_plural = _("doctor absences")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="absence_ordered")]

    def __str__(self):
        return f"{self.doctor.name} {self.start}–{self.end}"

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The period ends before it starts.")})

    @classmethod
    def scope_q(cls, scope, action):
        return _hospital_q(scope, "doctor__hospital")


class TravelTime(models.Model):
    """Measured travel time from a hospital to a clinic; without one, it is estimated from the map."""

    hospital = models.ForeignKey(Institution, verbose_name=_("hospital"), on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="+")
    minutes = models.PositiveSmallIntegerField(_("minutes one way"), validators=[MaxValueValidator(24 * 60)])

    objects = ScopedManager()

    class Meta:
        verbose_name = _("travel time")
        verbose_name_plural = _("travel times")
        constraints = [models.UniqueConstraint(fields=["hospital", "clinic"], name="travel_time_once")]

    def __str__(self):
        return f"{self.hospital} → {self.clinic}: {self.minutes}"

    @classmethod
    def scope_q(cls, scope, action):
        return _hospital_q(scope, "hospital")


class RosterRule(models.Model):
    """A coordinator's hand adjustment for a month: this doctor at this clinic (on this day) — or never."""

    class Kind(models.TextChoices):
        PIN = "pin", _("Pin")
        FORBID = "forbid", _("Forbid")

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # the first day
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    doctor = models.ForeignKey(Doctor, verbose_name=_("doctor"), on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"), null=True, blank=True, help_text=_("Empty: the whole month"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pin or forbid")
        verbose_name_plural = _("pins and forbids")
        ordering = ["month", "day"]
        constraints = [models.UniqueConstraint(fields=["programme", "month", "kind", "doctor", "clinic", "day"],
                                               name="roster_rule_once")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.doctor.name} → {self.clinic.name} {self.day or ''}"

    @classmethod
    def scope_q(cls, scope, action):
        return _hospital_q(scope, "doctor__hospital")


class RosterRun(models.Model):
    """One solve (or re-plan) of a month, run by the worker; the page polls its progress."""

    class Kind(models.TextChoices):
        SOLVE = "solve", _("Solve")
        REPLAN = "replan", _("Re-plan after a cancellation")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        CONFLICT = "conflict", _("Rules in conflict")
        FAILED = "failed", _("Failed")
        APPROVED = "approved", _("Approved")

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    hospital = models.ForeignKey(Institution, verbose_name=_("hospital"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SOLVE)
    base = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_doctor = models.ForeignKey(Doctor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    max_days_away = models.PositiveSmallIntegerField(_("days away per doctor per month (N)"), default=2,
                                                     validators=[MinValueValidator(1), MaxValueValidator(31)])
    department_share = models.PositiveSmallIntegerField(_("share of a department away on one day (P %)"),
                                                        default=30, validators=[MinValueValidator(1),
                                                                                MaxValueValidator(100)])
    travel_limit = models.PositiveSmallIntegerField(_("travel time limit (minutes one way)"), default=90,
                                                    validators=[MinValueValidator(5), MaxValueValidator(600)])
    time_limit = models.PositiveSmallIntegerField(_("time limit (seconds)"), default=20,
                                                  validators=[MinValueValidator(1), MaxValueValidator(300)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    best_unmet = models.IntegerField(_("unmet clinic-days so far"), null=True, blank=True)
    bound = models.IntegerField(_("lower bound"), null=True, blank=True)
    demand = models.IntegerField(_("clinic-days asked for"), null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)  # assignments, unmet, conflicts, measures
    language = models.CharField(max_length=10, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("roster run")
        verbose_name_plural = _("roster runs")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(hospital__isnull=True) | Q(region__isnull=True),
                                              name="roster_run_one_scope")]

    def __str__(self):
        return f"{self.programme.name} {self.month:%Y-%m}"

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def scope_label(self) -> str:
        return self.hospital.name if self.hospital_id else self.region.name

    @classmethod
    def scope_q(cls, scope, action):
        """A hospital's runs: its coordinators and the supervisors above it; a region's: its supervisors."""
        return any_of([ids_in(scope.hospital_ids, "hospital_id"), under_regions(scope.region_paths, "region__path"),
                       under_regions(scope.region_paths, "hospital__region__path")])

