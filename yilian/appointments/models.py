"""Full-appointment mode (全预约就诊模式) of grassroots clinics: schedules, bookable sessions, bookings.

One booking system for the platform: a clinic's general clinic, family-doctor team, TCM, child
health and vaccination sessions, and the visiting experts of the expert studio (支援专家工作室,
``yilian.support.models.ExpertSession`` is the visiting-expert view of :class:`Session`).

A :class:`Session` is one bookable slot (e.g. 08:30–09:00, 6 places) at one clinic; a
:class:`Schedule` publishes slots on the working days of the official calendar, except on the
clinic's :class:`Closure` days. Name and phone of a booking are personal information (PIPL).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution


class SessionType(models.TextChoices):
    GENERAL = "general", _("General clinic")
    FAMILY_DOCTOR = "family_doctor", _("Family-doctor team")
    TCM = "tcm", _("Traditional Chinese medicine")
    CHILD_HEALTH = "child_health", _("Child health")
    VACCINATION = "vaccination", _("Vaccination")
    VISITING_EXPERT = "visiting_expert", _("Visiting expert")


def _clinic_scope(scope, action, clinic_field="clinic"):
    """Clinic staff and the region manage a clinic's schedule; the supporting hospital only sees it."""
    return any_of([under_regions(scope.region_paths, f"{clinic_field}__region__path"),
                   ids_in(scope.clinic_ids, f"{clinic_field}_id")])


class Schedule(models.Model):
    """Opening hours of one kind of session at a clinic, published as slots on working days."""

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="appointment_schedules")
    session_type = models.CharField(_("session type"), max_length=20, choices=SessionType.choices)
    team = models.ForeignKey("familydoctor.Team", verbose_name=_("family-doctor team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="appointment_schedules")
    weekdays = models.CharField(_("weekdays"), max_length=7, default="12345",
                                help_text=_("Days of the week, 1 = Monday … 7 = Sunday, e.g. 12345."))
    starts = models.TimeField(_("opens"))
    ends = models.TimeField(_("closes"))
    slot_minutes = models.PositiveSmallIntegerField(_("minutes per slot"), default=30,
                                                    validators=[MinValueValidator(5), MaxValueValidator(240)])
    capacity = models.PositiveSmallIntegerField(_("places per slot"), validators=[MinValueValidator(1)])
    priority_places = models.PositiveSmallIntegerField(
        _("places kept for contracted residents"), default=0,
        help_text=_("Of each slot, places only the team's contracted residents may book."))
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["clinic__name", "session_type", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="schedule_ends_after_start"),
            models.CheckConstraint(condition=Q(priority_places__lte=models.F("capacity")),
                                   name="schedule_priority_within_capacity"),
        ]

    def __str__(self):
        return f"{self.clinic.display_name} {self.get_session_type_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, action)


class Closure(models.Model):
    """Days a clinic does not receive bookings (training day, renovation, an outbreak)."""

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="appointment_closures")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="closure_end_after_start")]

    def __str__(self):
        return f"{self.clinic.display_name} {self.start}–{self.end}"

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, action)


class Session(models.Model):
    """One bookable slot at a grassroots institution, with its places."""

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="appointment_sessions")
    session_type = models.CharField(_("session type"), max_length=20, choices=SessionType.choices,
                                    default=SessionType.GENERAL, db_index=True)
    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="sessions")
    team = models.ForeignKey("familydoctor.Team", verbose_name=_("family-doctor team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="appointment_sessions")
    # visiting-expert sessions (the expert studio) name the expert and the dispatch day
    doctor = models.ForeignKey("support.Doctor", verbose_name=_("expert"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="sessions")
    assignment = models.ForeignKey("support.Assignment", verbose_name=_("dispatch day"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="sessions")
    date = models.DateField(_("date"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1)])
    priority_places = models.PositiveSmallIntegerField(_("places kept for contracted residents"), default=0)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = pgettext_lazy("appointments", "session")
        verbose_name_plural = pgettext_lazy("appointments", "sessions")
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")),
                                   name="appointment_session_ends_after_start"),
            models.UniqueConstraint(fields=["schedule", "date", "starts"], condition=Q(schedule__isnull=False),
                                    name="session_once_per_schedule_slot"),
        ]
        indexes = [models.Index(fields=["clinic", "date"], name="session_clinic_date")]

    def __str__(self):
        who = self.doctor.name if self.doctor_id else self.get_session_type_display()
        return f"{self.date} {self.starts:%H:%M} {who} @ {self.clinic.display_name}"

    @property
    def label(self) -> str:
        if self.doctor_id:
            return f"{self.get_session_type_display()} · {self.doctor.name}"
        if self.team_id:
            return f"{self.get_session_type_display()} · {self.team.name}"
        return self.get_session_type_display()

    @classmethod
    def scope_q(cls, scope, action):
        """The clinic's staff and the region manage sessions; an expert's hospital manages its expert's.

        Narrower than "any visible institution": a clinic sees the hospitals that support it, but not
        the bookings (residents' names) those hospitals' doctors have at other clinics.
        """
        managers = [under_regions(scope.region_paths, "clinic__region__path"),
                    ids_in(scope.clinic_ids, "clinic_id"), ids_in(scope.hospital_ids, "doctor__hospital_id")]
        if action == CHANGE:
            return any_of(managers)
        return any_of([*managers, ids_in(scope.doctor_institution_ids, "doctor__hospital_id"),
                       Q(doctor__user_id=scope.user_id) if scope.user_id else None])


class Booking(models.Model):
    """A resident's place in a session. Name and phone are personal information (PIPL)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        ARRIVED = "arrived", _("Arrived")
        NO_SHOW = "no_show", _("No-show")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")

    ACTIVE = (Status.BOOKED, Status.ARRIVED, Status.NO_SHOW)  # statuses that hold a place
    BOOKED_AHEAD = (Channel.ONLINE, Channel.PHONE)  # visits that count as booked (the indicator)

    session = models.ForeignKey(Session, verbose_name=pgettext_lazy("appointments", "session"),
                                on_delete=models.PROTECT, related_name="bookings")
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("booked through"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    priority = models.BooleanField(_("contracted resident"), default=False)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # The public form is sent again when a resident's connection drops: same key, same booking.
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["session__date", "session__starts", "created_at"]
        constraints = [
            # the same phone books a session once
            models.UniqueConstraint(fields=["session", "phone"], condition=Q(status="booked"),
                                    name="appointment_booking_once_per_phone"),
        ]

    def __str__(self):
        return self.code

    @property
    def masked_phone(self) -> str:
        """138****5678: enough to tell residents apart on a list, not to call them."""
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) >= 8 else "****"

    @property
    def masked_name(self) -> str:
        return f"{self.name[:1]}{'*' * max(len(self.name) - 1, 1)}" if self.name else ""

    @classmethod
    def scope_q(cls, scope, action):
        return Q(session__in=Session.objects.for_scope(scope, action))
