"""Remote reading (心电一张网, 基层检查、上级诊断) and video consultation (远程会诊).

Glossary: 检查 study · 读片中心 reading centre (the hub that reads) · 报告 report · 危急值 critical
finding · 会诊 consultation · 周转时间 turnaround (from sending to the signed report).

A Study is sent by a clinic for one resident; the reading centre claims it, writes a Report and
signs it. Files are stored only after their content has been checked (``intake.py``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.core.masking import mask_name
from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

# Minutes from sending to signed report; settings.YILIAN_TELEHEALTH_TARGET_MINUTES may override.
DEFAULT_TARGET_MINUTES = {1: 10, 2: 60, 3: 24 * 60}  # emergency, urgent, routine
ESCALATE_AT_SHARE = 0.8  # the duty leader hears of a study at 80 % of its target, before it is missed


def target_minutes(urgency: int) -> int:
    targets = {**DEFAULT_TARGET_MINUTES, **getattr(settings, "YILIAN_TELEHEALTH_TARGET_MINUTES", {})}
    return int(targets[int(urgency)])


def _hospital_ids(scope):
    return scope.hospital_ids | scope.doctor_institution_ids


def _institution_q(scope, action, clinic_field: str, centre_field: str) -> Q:
    """Clinic staff: what their clinic sent; hub staff and doctors: what was sent to their hospital;
    supervisors: their region, read-only."""
    mine = [ids_in(scope.clinic_ids, f"{clinic_field}_id"), ids_in(_hospital_ids(scope), f"{centre_field}_id")]
    if action == CHANGE:
        return any_of(mine)
    return any_of([*mine, under_regions(scope.region_paths, f"{clinic_field}__region__path")])


class Urgency(models.IntegerChoices):
    EMERGENCY = 1, _("Emergency")
    URGENT = 2, _("Urgent")
    ROUTINE = 3, _("Routine")


class Study(models.Model):
    """检查: an ECG or an imaging study a clinic sends to a reading centre."""

    class Modality(models.TextChoices):
        ECG = "ecg", _("ECG")
        IMAGING = "imaging", _("Imaging")

    class Status(models.TextChoices):
        SENT = "sent", pgettext_lazy("study", "Waiting")
        CLAIMED = "claimed", pgettext_lazy("study", "Being read")
        REPORTED = "reported", pgettext_lazy("study", "Reported")
        CANCELLED = "cancelled", pgettext_lazy("study", "Cancelled")

    OPEN_STATES = (Status.SENT, Status.CLAIMED)

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="studies")
    clinic = models.ForeignKey(Institution, verbose_name=_("sending clinic"), on_delete=models.PROTECT,
                               related_name="studies_sent")
    centre = models.ForeignKey(Institution, verbose_name=_("reading centre"), on_delete=models.PROTECT,
                               related_name="studies_received")
    modality = models.CharField(_("modality"), max_length=10, choices=Modality.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.ROUTINE)
    question = models.TextField(_("clinical question"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    # header fields of the first DICOM file (modality, body part, study date) or the ECG's summary
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
                                related_name="+")
    sent_at = models.DateTimeField(_("sent"), db_index=True)
    due_at = models.DateTimeField(_("due"))
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("claimed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # whole minutes from sending to the signed report, kept for the monthly statistics
    turnaround_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    client_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            # the worklist: open studies of one centre by urgency, then waiting time
            models.Index(fields=["centre", "status", "urgency", "sent_at"], name="study_worklist"),
            models.Index(fields=["clinic", "sent_at"], name="study_sent"),
            models.Index(fields=["status", "escalated_at", "due_at"], name="study_escalation"),
        ]

    def __str__(self):
        return _("Study %(number)s") % {"number": self.pk or ""}

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def target(self) -> timedelta:
        return timedelta(minutes=target_minutes(self.urgency))

    def audit_summary(self) -> str:
        return f"{self} {mask_name(self.resident.name)} {self.resident.masked_id}"

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _institution_q(scope, action, "clinic", "centre")


def _file_path(instance, filename):
    return f"telehealth/{instance.study_id}/{instance.sha256[:16]}.bin"


class StudyFile(models.Model):
    """One uploaded file of a study, stored under a neutral name; its kind was decided by content."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF printout")
        JPEG = "jpeg", _("JPEG image")
        PNG = "png", _("PNG image")
        DICOM_WAVEFORM = "dicom_ecg", _("DICOM ECG waveform")
        DICOM_IMAGE = "dicom_image", _("DICOM image")
        AECG = "aecg", _("HL7 aECG")

    CONTENT_TYPES = {Kind.PDF: "application/pdf", Kind.JPEG: "image/jpeg", Kind.PNG: "image/png",
                     Kind.DICOM_WAVEFORM: "application/dicom", Kind.DICOM_IMAGE: "application/dicom",
                     Kind.AECG: "application/octet-stream"}

    study = models.ForeignKey(Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=_file_path)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("study file")
        verbose_name_plural = _("study files")
        ordering = ["study_id", "pk"]

    def __str__(self):
        return self.name

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.kind]

    @property
    def is_waveform(self) -> bool:
        return self.kind in (self.Kind.DICOM_WAVEFORM, self.Kind.AECG)

    @classmethod
    def scope_q(cls, scope, action):
        return Q(study__in=Study.objects.for_scope(scope, action))


class Report(models.Model):
    """The reading centre's structured report on a study; signed once, then final."""

    class Recommendation(models.TextChoices):
        LOCAL = "local", _("Treat locally")
        REFER = "refer", _("Refer up")
        GREEN = "green", _("Green channel")

    study = models.OneToOneField(Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="report")
    findings = models.TextField(_("findings"))
    conclusion = models.TextField(_("conclusion"))
    critical = models.BooleanField(_("critical finding"), default=False)
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Recommendation.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT,
                                  related_name="+")
    signed_at = models.DateTimeField(_("signed"))
    # the green-channel referral the clinic sent from this report (the link lives on our side)
    referral = models.OneToOneField("referrals.Referral", verbose_name=_("referral"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="telehealth_report")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-signed_at"]

    def __str__(self):
        return _("Report on %(study)s") % {"study": self.study}

    def audit_summary(self) -> str:
        return self.study.audit_summary()

    def audit_region_path(self) -> str:
        return self.study.audit_region_path()

    @classmethod
    def scope_q(cls, scope, action):
        return Q(study__in=Study.objects.for_scope(scope, action))


class Consultation(models.Model):
    """远程会诊: a clinic asks a hospital department for a video consultation on a resident."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        CONFIRMED = "confirmed", _("Confirmed")
        DONE = "done", _("Opinion recorded")
        CANCELLED = "cancelled", pgettext_lazy("consultation", "Cancelled")

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="consultations")
    clinic = models.ForeignKey(Institution, verbose_name=_("requesting clinic"), on_delete=models.PROTECT,
                               related_name="consultations_requested")
    department = models.ForeignKey("referrals.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="consultations")
    hospital = models.ForeignKey(Institution, verbose_name=_("hospital"), on_delete=models.PROTECT,
                                 related_name="consultations_received")
    requested_for = models.DateTimeField(_("requested time"))
    question = models.TextField(_("question"))
    studies = models.ManyToManyField(Study, verbose_name=_("attached studies"), blank=True,
                                     related_name="consultations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    slot = models.DateTimeField(_("confirmed slot"), null=True, blank=True)
    meeting_url = models.URLField(_("meeting link"), blank=True)
    opinion = models.TextField(_("consultation opinion"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    opinion_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opinion by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    opinion_at = models.DateTimeField(_("opinion recorded"), null=True, blank=True)
    client_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["hospital", "status", "requested_for"], name="consultation_queue")]

    def __str__(self):
        return _("Consultation %(number)s") % {"number": self.pk or ""}

    def audit_summary(self) -> str:
        return f"{self} {mask_name(self.resident.name)} {self.resident.masked_id}"

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _institution_q(scope, action, "clinic", "hospital")
