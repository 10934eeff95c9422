"""Writes on users and memberships. Supervisors manage the people inside their region."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, VIEW
from yilian.network.models import Institution, Region

from .models import Membership

User = get_user_model()


def _check_scope_object(by, membership: Membership):
    """The new membership's region or institution must lie inside what ``by`` may change."""
    if membership.role == Membership.Role.SUPERVISOR:
        allowed = Region.objects.for_user(by, CHANGE).filter(pk=membership.region_id).exists()
        field = "region"
    else:
        allowed = Institution.objects.for_user(by, VIEW).filter(
            pk=membership.institution_id, region__in=Region.objects.for_user(by, CHANGE)
        ).exists()
        field = "institution"
    if not allowed:
        raise ValidationError({field: _("This is outside the region you supervise.")})


def membership_add(*, by, user, role, region=None, institution=None) -> Membership:
    if not (by.is_superuser or Region.objects.for_user(by, CHANGE).exists()):
        raise PermissionDenied
    membership = Membership(user=user, role=role, region=region, institution=institution)
    membership.full_clean()
    _check_scope_object(by, membership)
    membership._history_user = by
    membership.save()
    return membership


def membership_remove(*, by, membership: Membership):
    if not Membership.objects.for_user(by, CHANGE).filter(pk=membership.pk).exists():
        raise PermissionDenied
    membership._history_user = by
    membership.delete()


@transaction.atomic
def user_create(*, by, username, password, full_name="", email="", role, region=None, institution=None):
    """A new user with their first membership; both are saved or neither."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with this name already exists.")})
    user = User(username=username, first_name=full_name, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership_add(by=by, user=user, role=role, region=region, institution=institution)
    return user
