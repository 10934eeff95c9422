"""Shared models: the stored responses that make API creates safe to retry, and the audit log."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yilian.core.scoping import VIEW, ScopedQuerySet, under_regions


class IdempotencyConflict(Exception):
    """Another request with the same key is being processed right now."""


class IdempotentRequest(models.Model):
    """A create request sent with an ``Idempotency-Key``: a retry gets the stored answer back.

    Clinic networks drop connections; a client that never saw the answer sends the request again,
    and must not create a second pairing by doing so.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"

    @staticmethod
    def fingerprint_of(method: str, path: str, body) -> str:
        canonical = json.dumps([method, path, body], sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def replay_or_run(cls, *, user, key: str, fingerprint: str, run) -> tuple[int, dict]:
        """Return the stored (status, body) for ``key``, or ``run()`` and store what it returns.

        ``run`` and the stored row share one transaction: if ``run`` fails, nothing is kept and
        the client may retry with the same key.
        """
        if len(key) > cls._meta.get_field("key").max_length:
            raise ValidationError({"Idempotency-Key": _("The Idempotency-Key is too long.")})
        with transaction.atomic():
            stored = cls.objects.filter(user=user, key=key).first()
            if stored is not None:
                return stored._replay(fingerprint)
            status, body = run()
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, key=key, fingerprint=fingerprint, status=status, response=body)
            except IntegrityError as exc:
                # A concurrent request took the key first; undo our work and let the client retry.
                raise IdempotencyConflict from exc
        return status, body

    def _replay(self, fingerprint: str) -> tuple[int, dict]:
        if fingerprint != self.fingerprint:
            raise ValidationError(
                {"Idempotency-Key": _("This Idempotency-Key was already used for a different request.")}
            )
        return self.status, self.response


# ------------------------------------------------------------------------------------ audit log

AUDIT_MIN_RETENTION_DAYS = 180  # 至少保存 6 个月: the purge refuses anything shorter


class AuditLogIsAppendOnly(Exception):
    """Audit entries are written once and never changed or deleted through the application."""


class AuditQuerySet(ScopedQuerySet):
    """Append-only: no update, no delete. ``purge_older_than`` is the single way rows leave."""

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def update_or_create(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted; see the purge_audit command.")

    def purge_older_than(self, days: int, *, now=None) -> int:
        """Delete entries older than ``days`` (at least AUDIT_MIN_RETENTION_DAYS); returns how many."""
        from datetime import timedelta

        from django.utils import timezone

        if not isinstance(days, int) or days < AUDIT_MIN_RETENTION_DAYS:
            raise ValueError(f"the audit log is kept at least {AUDIT_MIN_RETENTION_DAYS} days; refusing {days!r}")
        cutoff = (now or timezone.now()) - timedelta(days=days)
        old = self.model.all_rows.filter(at__lt=cutoff)
        deleted, _per_model = models.QuerySet.delete(old)
        return deleted


class AuditEntry(models.Model):
    """One read, reveal or write of personal data: who, when, what, why, from where.

    Append-only (save of an existing row, delete, queryset update/delete all raise; the database
    refuses UPDATE as well). Supervisors see the entries about records in their region. Rows leave
    only through ``manage.py purge_audit`` once older than the retention (≥ 180 days).
    """

    class Action(models.TextChoices):
        READ = "read", gettext_lazy("Read")
        REVEAL = "reveal", gettext_lazy("Reveal")
        CREATE = "create", gettext_lazy("Create")
        UPDATE = "update", gettext_lazy("Update")
        DELETE = "delete", gettext_lazy("Delete")
        EXPORT = "export", gettext_lazy("Export")
        IMPORT = "import", gettext_lazy("Import")

    at = models.DateTimeField(gettext_lazy("when"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("user"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    username = models.CharField(gettext_lazy("user name"), max_length=150, blank=True)  # as it was then
    action = models.CharField(gettext_lazy("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(gettext_lazy("object type"), max_length=60)  # "familydoctor.resident"
    object_id = models.PositiveBigIntegerField(gettext_lazy("object id"), null=True, blank=True)
    summary = models.CharField(gettext_lazy("summary"), max_length=255, blank=True)  # masked
    reason = models.CharField(gettext_lazy("reason"), max_length=255, blank=True)
    # region path of the record's institution when the entry was written: what supervisors see
    region_path = models.CharField(max_length=255, blank=True, db_index=True)
    request_id = models.CharField(gettext_lazy("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(gettext_lazy("IP address"), null=True, blank=True)

    objects = models.Manager.from_queryset(AuditQuerySet)()
    all_rows = models.Manager.from_queryset(AuditQuerySet)()  # unscoped, for the purge only

    class Meta:
        verbose_name = gettext_lazy("audit entry")
        verbose_name_plural = gettext_lazy("audit log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)  # no add, change or delete permission exists to grant
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object"),
            models.Index(fields=["user", "at"], name="audit_user"),
            models.Index(fields=["action", "at"], name="audit_action"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted; see the purge_audit command.")

    @classmethod
    def scope_q(cls, scope, action):
        if action != VIEW:
            return models.Q(pk__in=[])
        return under_regions(scope.region_paths, "region_path")
