"""The expert studio (支援专家工作室): residents see who comes when and book a visiting expert's session.

It grew into the clinic-wide appointment system (full-appointment mode, ``yilian.appointments``):
an expert session is the visiting-expert kind of :class:`yilian.appointments.models.Session`, and
its bookings are the platform's bookings.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from yilian.appointments.models import Booking, Session, SessionType
from yilian.core.scoping import ScopedManager

__all__ = ["Booking", "ExpertSession"]


class ExpertSessionManager(ScopedManager):
    def get_queryset(self):
        return super().get_queryset().filter(session_type=SessionType.VISITING_EXPERT)


class ExpertSession(Session):
    """A visiting expert's clinic session at a grassroots institution, open for booking."""

    objects = ExpertSessionManager()

    class Meta:
        proxy = True
        verbose_name = _("expert session")
        verbose_name_plural = _("expert sessions")

    def save(self, *args, **kwargs):
        self.session_type = SessionType.VISITING_EXPERT
        super().save(*args, **kwargs)
