"""Notices: one inbox for every message the platform sends to a user.

A referral accepted, a critical ECG finding, a visit due, a laggard indicator: each capability calls
``yilian.notices.services.notify`` and the user reads them all in one place. Channels beyond the
in-app inbox (e-mail, SMS) hang off the same row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import ScopedManager


class Notice(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notices")
    kind = models.SlugField(_("kind"), max_length=50)  # e.g. "referral.accepted", "telehealth.critical"
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    essential = models.BooleanField(_("essential"), default=True)
    # The same event notified twice (a retried job, a resubmitted form) yields one notice per user.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="notice_once_per_event_and_recipient"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread")]

    def __str__(self):
        return self.text

    @classmethod
    def scope_q(cls, scope, action):
        return Q(recipient_id=scope.user_id)
