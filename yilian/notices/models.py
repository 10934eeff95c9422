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


class Delivery(models.Model):
    """One notice sent to one address through e-mail or SMS, with its delivery status.

    Residents are not users: a booking reminder goes to a phone number. Users' inbox notices may
    also be copied to their e-mail address. Failed deliveries are retried by the worker.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed")
        OPTED_OUT = "opted_out", _("Not sent (opted out)")

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    notice = models.ForeignKey(Notice, verbose_name=_("notice"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="deliveries")
    kind = models.SlugField(_("kind"), max_length=50)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.CharField(_("text"), max_length=500)
    essential = models.BooleanField(_("essential"), default=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="delivery_once_per_event_and_address"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.channel} {self.masked_address}: {self.kind}"

    @property
    def masked_address(self) -> str:
        if self.channel == self.Channel.SMS:
            return f"{self.address[:3]}****{self.address[-4:]}"
        local, _at, domain = self.address.partition("@")
        return f"{local[:1]}***@{domain}"

    @classmethod
    def scope_q(cls, scope, action):
        return Q(pk__in=[])  # the delivery log is read by administrators (admin site) only


class OptOut(models.Model):
    """A resident's "no more non-essential notices" for a phone number or an e-mail address."""

    channel = models.CharField(_("channel"), max_length=5, choices=Delivery.Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="optout_once_per_address")]

    def __str__(self):
        return f"{self.channel}:{self.address}"
