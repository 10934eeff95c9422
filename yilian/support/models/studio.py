"""The expert studio (支援专家工作室): residents see who comes when and book a visiting expert's session.

Designed to grow into the clinic-wide appointment system (full-appointment mode) rather than to be
replaced by it: a session is a bookable block with a capacity; bookings hold the resident's contact.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution

from .plan import Assignment, Doctor


class ExpertSession(models.Model):
    """A visiting expert's clinic session at a grassroots institution, open for booking."""

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="expert_sessions")
    doctor = models.ForeignKey(Doctor, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="sessions")
    assignment = models.ForeignKey(Assignment, verbose_name=_("dispatch day"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="sessions")
    date = models.DateField(_("date"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1)])
    cancelled = models.BooleanField(_("cancelled"), default=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expert session")
        verbose_name_plural = _("expert sessions")
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="session_ends_after_start"),
        ]
        indexes = [models.Index(fields=["clinic", "date"])]

    def __str__(self):
        return f"{self.date} {self.starts:%H:%M} {self.doctor.name} @ {self.clinic.display_name}"

    @classmethod
    def scope_q(cls, scope, action):
        """The clinic's staff, the expert's hospital and the region manage sessions; the expert sees their own.

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
    """A resident's booking of an expert session. Name and phone are personal information (PIPL)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        ARRIVED = "arrived", _("Arrived")
        NO_SHOW = "no_show", _("No-show")

    ACTIVE = (Status.BOOKED, Status.ARRIVED, Status.NO_SHOW)  # statuses that hold a place

    session = models.ForeignKey(ExpertSession, verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="bookings")
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
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
                                    name="booking_once_per_phone"),
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
        return Q(session__in=ExpertSession.objects.for_scope(scope, action))
