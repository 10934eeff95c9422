"""Who may see what.

Every domain model's default manager is a ScopedManager: views, exports, the API and jobs reach
rows only through ``Model.objects.for_user(user, action)``, so none of them can forget the filter.
A model says what its scope means in ``scope_q(scope, action)``.

A user's scope is the union of their memberships:
- supervisor: a region and everything under it;
- coordinator: their hospital and the institutions it is paired with;
- clinic staff: their institution and the institutions under it;
- doctor: their own institution, and their own visits and plan (matched through ``user_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q
from django.http import Http404

VIEW = "view"
CHANGE = "change"


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    user_id: int | None = None
    region_paths: tuple[str, ...] = ()
    hospital_ids: frozenset[int] = field(default_factory=frozenset)
    clinic_ids: frozenset[int] = field(default_factory=frozenset)
    doctor_institution_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (
            self.is_admin
            or self.region_paths
            or self.hospital_ids
            or self.clinic_ids
            or self.doctor_institution_ids
        )

    @property
    def is_supervisor(self) -> bool:
        return self.is_admin or bool(self.region_paths)


NOTHING = Q(pk__in=[])


def any_of(conditions) -> Q:
    """OR a list of Q objects; an empty list matches nothing."""
    conditions = [c for c in conditions if c is not None]
    return reduce(or_, conditions) if conditions else NOTHING


def under_regions(paths, lookup: str) -> Q:
    """Rows whose region path starts with one of ``paths`` (the region itself and its subtree)."""
    return any_of([Q(**{f"{lookup}__startswith": p}) for p in paths])


def ids_in(ids, lookup: str = "id") -> Q | None:
    return Q(**{f"{lookup}__in": ids}) if ids else None


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_yilian_scope", None)
    if cached is None:
        cached = _compute_scope(user)
        user._yilian_scope = cached
    return cached


def _compute_scope(user) -> Scope:
    from yilian.accounts.models import Membership
    from yilian.network.models import Institution

    if user.is_superuser:
        return Scope(is_admin=True, user_id=user.pk)
    memberships = list(Membership.objects.filter(user=user).select_related("region", "institution"))
    role = Membership.Role
    clinic_roots = {m.institution_id for m in memberships if m.role == role.CLINIC_STAFF}
    return Scope(
        user_id=user.pk,
        region_paths=tuple(m.region.path for m in memberships if m.role == role.SUPERVISOR),
        hospital_ids=frozenset(m.institution_id for m in memberships if m.role == role.COORDINATOR),
        clinic_ids=frozenset(Institution.descendant_ids(clinic_roots)),
        doctor_institution_ids=frozenset(m.institution_id for m in memberships if m.role == role.DOCTOR),
    )


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user, action: str = VIEW):
        return self.for_scope(scope_for(user), action)

    def for_scope(self, scope: Scope, action: str = VIEW):
        if scope.is_admin:
            return self
        if scope.is_empty:
            return self.none()
        return self.filter(self.model.scope_q(scope, action))

    def get_for_user_or_404(self, user, action: str = VIEW, **lookup):
        """Out of scope is 404, never 403: do not confirm that the object exists."""
        try:
            return self.for_user(user, action).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def can(user, action: str, obj) -> bool:
    return type(obj).objects.for_user(user, action).filter(pk=obj.pk).exists()
