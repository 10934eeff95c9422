"""Memberships (role × scope) and API tokens. Users are Django's own auth users."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, any_of, under_regions


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user, action="view"):
        """Memberships a user may see or manage: their own, plus all inside a supervised region."""
        from yilian.core.scoping import scope_for

        scope = scope_for(user)
        if scope.is_admin:
            return self
        managed = any_of([
            under_regions(scope.region_paths, "region__path"),
            under_regions(scope.region_paths, "institution__region__path"),
        ])
        if action == CHANGE:
            return self.filter(managed)
        return self.filter(managed | Q(user=user))


class Membership(models.Model):
    class Role(models.TextChoices):
        SUPERVISOR = "supervisor", _("Commission supervisor")
        COORDINATOR = "coordinator", _("Hospital coordinator")
        CLINIC_STAFF = "clinic_staff", _("Clinic staff")
        DOCTOR = "doctor", _("Doctor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "network.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="memberships",
    )
    institution = models.ForeignKey(
        "network.Institution", verbose_name=_("institution"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="memberships",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region", "institution"], name="membership_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(Q(role="supervisor", region__isnull=False, institution__isnull=True)
                           | (~Q(role="supervisor") & Q(region__isnull=True, institution__isnull=False))),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope_object(self):
        return self.region if self.role == self.Role.SUPERVISOR else self.institution

    def clean(self):
        if self.role == self.Role.SUPERVISOR:
            if not self.region_id:
                raise ValidationError({"region": _("A supervisor's scope is a region.")})
            self.institution = None
            return
        if not self.institution_id:
            raise ValidationError({"institution": _("This role's scope is an institution.")})
        self.region = None
        if self.role == self.Role.COORDINATOR and not self.institution.is_hospital:
            raise ValidationError({"institution": _("A coordinator works for a hospital.")})
        if self.role == self.Role.CLINIC_STAFF and not self.institution.is_grassroots:
            raise ValidationError({"institution": _("Clinic staff work at a grassroots institution.")})


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for API clients. Only its hash is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        key = "yl_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], digest=_digest(key))
        return token, key

    @classmethod
    def find(cls, key: str):
        return cls.objects.select_related("user").filter(digest=_digest(key), user__is_active=True).first()


class PasswordAge(models.Model):
    """When the user last chose a password (for periodic change, YILIAN_PASSWORD_MAX_AGE_DAYS)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="password_age")
    changed_at = models.DateTimeField(_("password changed"))

    class Meta:
        verbose_name = _("password age")
        verbose_name_plural = _("password ages")

    def __str__(self):
        return f"{self.user_id}: {self.changed_at:%Y-%m-%d}"
