"""Shared models: the stored responses that make API creates safe to retry."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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
