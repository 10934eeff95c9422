"""Visits of dispatched doctors and the work they log: the assistance ledger (帮扶工作台账)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Pairing

from .plan import Assignment, Doctor


class Visit(models.Model):
    """A doctor's day at a clinic: check-in, check-out, confirmation by the clinic (受援单位日常考核)."""

    class Status(models.TextChoices):
        CHECKED_IN = "checked_in", _("Checked in")
        CHECKED_OUT = "checked_out", _("Checked out")
        CONFIRMED = "confirmed", _("Confirmed by the clinic")
        DISPUTED = "disputed", _("Disputed by the clinic")

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="visits")
    assignment = models.OneToOneField(Assignment, verbose_name=_("planned as"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="visit")
    doctor = models.ForeignKey(Doctor, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CHECKED_IN)
    check_in_at = models.DateTimeField(_("checked in at"))
    check_in_latitude = models.DecimalField(_("check-in latitude"), max_digits=9, decimal_places=6, null=True,
                                            blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    check_in_longitude = models.DecimalField(_("check-in longitude"), max_digits=9, decimal_places=6, null=True,
                                             blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_latitude = models.DecimalField(_("check-out latitude"), max_digits=9, decimal_places=6, null=True,
                                             blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    check_out_longitude = models.DecimalField(_("check-out longitude"), max_digits=9, decimal_places=6, null=True,
                                              blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    clinic_comment = models.CharField(_("clinic's comment"), max_length=300, blank=True)
    # A phone on a flaky network retries; the same client key is the same check-in.
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "doctor__name"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "date"], name="visit_one_place_a_day"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_out_at__gte=models.F("check_in_at")),
                name="visit_out_after_in",
            ),
        ]
        indexes = [models.Index(fields=["pairing", "date"])]

    def __str__(self):
        return f"{self.date} {self.doctor.name} @ {self.pairing.clinic.display_name}"

    @classmethod
    def scope_q(cls, scope, action):
        """Doctors change their own visits; coordinators and supervisors correct them."""
        if action == CHANGE:
            return any_of([
                under_regions(scope.region_paths, "pairing__clinic__region__path"),
                ids_in(scope.hospital_ids, "pairing__hospital_id"),
                Q(doctor__user_id=scope.user_id) if scope.user_id else None,
            ])
        return any_of([
            Q(pairing__in=Pairing.objects.for_scope(scope)),
            Q(doctor__user_id=scope.user_id) if scope.user_id else None,
        ])


class WorkItem(models.Model):
    """One line of the ledger: what the doctor did during a visit, with how many people."""

    class Kind(models.TextChoices):
        CLINIC_SESSION = "clinic_session", _("Specialist clinic session (patients seen)")
        TEACHING_ROUND = "teaching_round", _("Teaching round (participants)")
        CASE_DISCUSSION = "case_discussion", _("Case discussion (participants)")
        LECTURE = "lecture", _("Lecture (attendance)")
        PROCEDURE = "procedure", _("Operation / procedure (number)")
        FREE_CLINIC = "free_clinic", _("Free clinic 义诊 (people served)")
        HEALTH_TALK = "health_talk", _("Health-education talk (attendance)")
        REMOTE_GUIDANCE = "remote_guidance", _("Remote guidance (cases)")
        REFERRAL = "referral", _("Referral arranged (patients)")
        APPRENTICE = "apprentice", _("Apprentices taught (people)")

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="work_items")
    kind = models.CharField(_("kind of work"), max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(_("number"), validators=[MaxValueValidator(10000)])
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["visit__date", "created_at"]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.count}"

    @classmethod
    def scope_q(cls, scope, action):
        return Q(visit__in=Visit.objects.for_scope(scope, action))
