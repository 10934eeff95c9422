"""Two-way referral (双向转诊), the emergency green channel (绿色通道) and the hubs' duty roster.

Glossary: 上转 up-referral (clinic → hospital) · 下转 down-referral (hospital → clinic) ·
绿色通道 green channel · 值班台 duty desk · 值班负责人 duty leader · 随访 follow-up.

The rules of a referral's life live in ``TRANSITIONS`` and ``Referral.check_transition``: which
step may follow which, and which side (sender or receiver) may take it. Services call it before
every write; nothing else changes ``status``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yilian.core.masking import mask_name
from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

# Minutes without acceptance before the duty leader is alerted (a green-channel type may override).
ESCALATE_AFTER_MINUTES = {1: 5, 2: 30, 3: 120}  # emergency, urgent, routine
DOOR_TO_ADMISSION_TARGET_MINUTES = 60
FOLLOW_UP_DAYS = 7


def _hospital_ids(scope):
    return scope.hospital_ids | scope.doctor_institution_ids


class Department(models.Model):
    """A hospital department that takes referrals (心内科, 神经内科 …)."""

    hospital = models.ForeignKey(Institution, verbose_name=_("hospital"), on_delete=models.CASCADE,
                                 related_name="referral_departments")
    name = models.CharField(_("name"), max_length=60)
    takes_referrals = models.BooleanField(_("takes referrals"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hospital_id", "name"]
        constraints = [models.UniqueConstraint(fields=["hospital", "name"], name="department_unique_name")]

    def __str__(self):
        return f"{self.hospital.display_name} · {self.name}"

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return any_of([ids_in(scope.hospital_ids, "hospital_id")])
        return Q()  # every logged-in member may see where referrals can go


class GreenChannelType(models.Model):
    """A declared emergency type a hub runs a green channel for; configurable per hub."""

    class Kind(models.TextChoices):
        CHEST_PAIN = "chest_pain", _("Chest pain / ACS (胸痛)")
        STROKE = "stroke", _("Stroke (卒中)")
        TRAUMA = "trauma", _("Severe trauma (创伤)")
        PREGNANCY = "pregnancy", _("High-risk pregnancy (危重孕产妇)")
        NEWBORN = "newborn", _("Critically ill newborn (危重新生儿)")

    hub = models.ForeignKey(Institution, verbose_name=_("hub"), on_delete=models.CASCADE,
                            related_name="green_channel_types")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    escalate_after_minutes = models.PositiveSmallIntegerField(_("escalate after (minutes)"), default=5)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("green-channel type")
        verbose_name_plural = _("green-channel types")
        ordering = ["hub_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["hub", "kind"], name="green_channel_unique_kind")]

    def __str__(self):
        return self.get_kind_display()

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return any_of([ids_in(scope.hospital_ids, "hub_id")])
        return Q()


class DutyShift(models.Model):
    """One person on the hub's 24-hour referral desk, or its duty leader, for one shift."""

    class Role(models.TextChoices):
        DESK = "desk", _("Duty desk")
        LEADER = "leader", _("Duty leader")

    hub = models.ForeignKey(Institution, verbose_name=_("hub"), on_delete=models.CASCADE, related_name="duty_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="duty_shifts")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.DESK)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["hub_id", "start"]
        indexes = [models.Index(fields=["hub", "role", "start", "end"], name="dutyshift_lookup")]

    def __str__(self):
        return f"{self.get_role_display()} {self.user} {self.start:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("A shift must end after it starts.")})

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return any_of([ids_in(scope.hospital_ids, "hub_id")])
        return any_of([ids_in(_hospital_ids(scope), "hub_id"), under_regions(scope.region_paths, "hub__region__path")])

    @classmethod
    def on_duty(cls, hub_id, role, at):
        return cls.objects.filter(hub_id=hub_id, role=role, start__lte=at, end__gt=at)


class Referral(models.Model):
    """转诊单: one patient moved up (clinic → hospital) or down (hospital → clinic)."""

    class Direction(models.TextChoices):
        UP = "up", _("Up-referral (上转)")
        DOWN = "down", _("Down-referral (下转)")

    class Urgency(models.IntegerChoices):
        EMERGENCY = 1, _("Emergency")
        URGENT = 2, _("Urgent")
        ROUTINE = 3, _("Routine")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        ARRIVED = "arrived", _("Arrived")
        ADMITTED = "admitted", _("Admitted")
        REFERRED_DOWN = "referred_down", _("Referred down")
        CANCELLED = "cancelled", _("Cancelled")
        CLOSED = "closed", _("Closed")

    CLOSED_STATES = frozenset({Status.DECLINED, Status.CANCELLED, Status.CLOSED})

    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.UP)
    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="referrals")
    from_institution = models.ForeignKey(Institution, verbose_name=_("from"), on_delete=models.PROTECT,
                                         related_name="referrals_sent")
    to_institution = models.ForeignKey(Institution, verbose_name=_("to"), on_delete=models.PROTECT,
                                       related_name="referrals_received")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="referrals")
    parent = models.ForeignKey("self", verbose_name=_("up-referral"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="down_referrals")
    reason = models.TextField(_("reason"), blank=True)
    icd_code = models.CharField(_("ICD-10 code"), max_length=10, blank=True)
    diagnosis = models.CharField(_("working diagnosis"), max_length=200, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.ROUTINE)
    green_channel = models.ForeignKey(GreenChannelType, verbose_name=_("green channel"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="referrals")
    consent = models.BooleanField(_("patient consent"), default=False)
    # down-referral
    discharge_summary = models.TextField(_("discharge summary"), blank=True)
    medication = models.TextField(_("medication"), blank=True)
    follow_up_instructions = models.TextField(_("follow-up instructions"), blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SENT,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("sent"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    bed = models.CharField(_("bed"), max_length=30, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=255, blank=True)
    alternative = models.CharField(_("alternative"), max_length=255, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("admitted"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    client_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # whole minutes, kept by the services for the monthly statistics (GROUP BY instead of a Python loop)
    accept_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    admission_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["to_institution", "status", "urgency", "created_at"], name="referral_queue"),
            models.Index(fields=["from_institution", "created_at"], name="referral_sent"),
            models.Index(fields=["to_institution", "created_at"], name="referral_received"),
            models.Index(fields=["status", "escalated_at", "created_at"], name="referral_escalation"),
        ]

    def __str__(self):
        return _("Referral %(number)s") % {"number": self.pk or ""}

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATES

    @property
    def escalate_after(self) -> timedelta:
        if self.green_channel_id:
            return timedelta(minutes=self.green_channel.escalate_after_minutes)
        return timedelta(minutes=ESCALATE_AFTER_MINUTES[self.urgency])

    def minutes_between(self, start, end) -> int | None:
        if start is None or end is None:
            return None
        return max(0, int((end - start).total_seconds() // 60))

    @property
    def door_to_admission(self) -> int | None:
        """Minutes from referral to admission: the green channel's one-hour target."""
        return self.minutes_between(self.created_at, self.admitted_at)

    @property
    def within_target(self) -> bool | None:
        minutes = self.door_to_admission
        return None if minutes is None else minutes < DOOR_TO_ADMISSION_TARGET_MINUTES

    def audit_summary(self) -> str:
        return f"{self} {mask_name(self.resident.name)} {self.resident.masked_id}"

    def audit_region_path(self) -> str:
        return self.from_institution.region.path if self.direction == self.Direction.UP else \
            self.to_institution.region.path

    def check_transition(self, action: str, institution_id: int | None):
        """Raise ValidationError unless ``action`` may follow the current status, taken by ``institution_id``
        (None means an administrator)."""
        rule = TRANSITIONS.get((self.direction, action))
        if rule is None:
            raise ValidationError({"status": _("This step does not apply to this referral.")})
        side, sources, _target = rule
        if self.is_closed:
            raise ValidationError({"status": _("This referral is closed and can no longer be changed.")})
        if self.status not in sources:
            raise ValidationError({"status": _("This step is not possible while the referral is %(status)s.") % {
                "status": self.get_status_display()}})
        if institution_id is not None:
            expected = self.to_institution_id if side == "receiver" else self.from_institution_id
            if institution_id != expected:
                raise ValidationError({"status": _("Only %(institution)s can take this step.") % {
                    "institution": (self.to_institution if side == "receiver" else self.from_institution).name}})
        return _target

    @classmethod
    def scope_q(cls, scope, action):
        mine = [ids_in(scope.clinic_ids, "from_institution_id"), ids_in(scope.clinic_ids, "to_institution_id"),
                ids_in(_hospital_ids(scope), "to_institution_id"), ids_in(_hospital_ids(scope), "from_institution_id")]
        if action == CHANGE:
            return any_of(mine)
        if not scope.region_paths:
            return any_of(mine)
        # the region's institutions as a subquery: no join per referral row; the sent/received
        # indexes (institution, created_at) serve both sides of the OR
        in_region = Institution.objects.filter(under_regions(scope.region_paths, "region__path")).values("pk")
        return any_of([*mine, Q(from_institution_id__in=in_region), Q(to_institution_id__in=in_region)])


S = Referral.Status
UP, DOWN = Referral.Direction.UP, Referral.Direction.DOWN
# (direction, action) -> (who takes it, allowed source states, target state)
TRANSITIONS = {
    (UP, "accept"): ("receiver", {S.SENT}, S.ACCEPTED),
    (UP, "decline"): ("receiver", {S.SENT}, S.DECLINED),
    (UP, "cancel"): ("sender", {S.SENT, S.ACCEPTED}, S.CANCELLED),
    (UP, "arrive"): ("receiver", {S.ACCEPTED}, S.ARRIVED),
    (UP, "admit"): ("receiver", {S.ARRIVED}, S.ADMITTED),
    (UP, "refer_down"): ("receiver", {S.ARRIVED, S.ADMITTED}, S.REFERRED_DOWN),
    (UP, "complete"): ("receiver", {S.ARRIVED, S.ADMITTED}, S.CLOSED),
    (DOWN, "accept"): ("receiver", {S.SENT}, S.ACCEPTED),
    (DOWN, "decline"): ("receiver", {S.SENT}, S.DECLINED),
    (DOWN, "close"): ("receiver", {S.ACCEPTED}, S.CLOSED),
}


def _attachment_path(instance, filename):
    return f"referrals/{instance.referral_id}/{filename}"


class Attachment(models.Model):
    """An ECG, image or lab result sent with a referral (PDF, JPEG or PNG, checked by content)."""

    referral = models.ForeignKey(Referral, verbose_name=_("referral"), on_delete=models.CASCADE,
                                 related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path)
    name = models.CharField(_("name"), max_length=150)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["referral_id", "pk"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope, action):
        return Q(referral__in=Referral.objects.for_scope(scope, action))


class ReferralEvent(models.Model):
    """One step of a referral: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        ARRIVED = "arrived", _("Arrived")
        ADMITTED = "admitted", _("Admitted")
        REFERRED_DOWN = "referred_down", _("Referred down")
        ESCALATED = "escalated", _("Escalated to the duty leader")
        CLOSED = "closed", _("Closed")

    referral = models.ForeignKey(Referral, verbose_name=_("referral"), on_delete=models.CASCADE,
                                 related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["referral_id", "at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def scope_q(cls, scope, action):
        return Q(referral__in=Referral.objects.for_scope(scope, action))


class FollowUpTask(models.Model):
    """随访任务: the resident's clinic sees the patient after a down-referral (within 7 days by default)."""

    referral = models.OneToOneField(Referral, verbose_name=_("down-referral"), on_delete=models.CASCADE,
                                    related_name="follow_up")
    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="referral_follow_ups")
    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="referral_follow_ups")
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["clinic", "done_at", "due"], name="followup_open")]

    def __str__(self):
        return _("Follow-up of %(name)s by %(due)s") % {"name": mask_name(self.resident.name), "due": self.due}

    @property
    def done_in_time(self) -> bool:
        return self.done_at is not None and self.done_at.date() <= self.due

    @classmethod
    def scope_q(cls, scope, action):
        clinics = ids_in(scope.clinic_ids, "clinic_id")
        if action == CHANGE:
            return any_of([clinics])
        return any_of([clinics, under_regions(scope.region_paths, "clinic__region__path")])
