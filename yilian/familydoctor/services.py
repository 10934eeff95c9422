"""Writes on residents, households and tags, and the audited ways to read them.

Every function checks scope (out of scope is 404), validates, saves inside one transaction and
writes its audit entry in that same transaction. Views, the API and import jobs call these only.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yilian.core import audit
from yilian.core.masking import mask_id, mask_phone
from yilian.core.scoping import CHANGE, VIEW, scope_for, under_regions
from yilian.network.models import Institution, Region

from . import idnumber
from .coverage import coverage_changed
from .models import (
    AGE_TAGS,
    REVEAL,
    Household,
    Resident,
    ResidentTag,
    Tag,
    community_area,
    refresh_age_tags,
)

Action = audit.Action
RESIDENT_FIELDS = ("name", "id_number", "phone", "address", "community", "clinic")
REVEALABLE = {"id_number": mask_id, "phone": mask_phone}
MIN_REASON_LENGTH = 4


# ------------------------------------------------------------------------------ what a user may use


def clinics_for(user):
    """Grassroots institutions where the user may register residents (their own clinics)."""
    scope = scope_for(user)
    clinics = Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS)
    return clinics if scope.is_admin else clinics.filter(pk__in=scope.clinic_ids)


def communities_for(user, action: str = CHANGE):
    """Communities a user may pick: those served by their clinics, and (to filter lists) those in
    a supervised region."""
    scope = scope_for(user)
    communities = Region.objects.filter(level=Region.Level.COMMUNITY)
    if scope.is_admin:
        return communities
    paths = {community_area(c).path for c in clinics_for(user).select_related("region__parent")}
    if action != CHANGE:
        paths |= set(scope.region_paths)
    if not paths:
        return communities.none()
    return communities.filter(under_regions(sorted(paths), "path"))


def _require(queryset, obj, field):
    if obj is not None and not queryset.filter(pk=obj.pk).exists():
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})


def _check_in_scope(model, user, obj, action=CHANGE):
    if not model.objects.for_user(user, action).filter(pk=obj.pk).exists():
        raise Http404


# ------------------------------------------------------------------------------------ reads


def resident_read(*, by, pk, origin=None, action=VIEW) -> Resident:
    """The resident ``pk`` if ``by`` may see it (else 404), with the read written to the audit log."""
    resident = Resident.objects.select_related("clinic__region", "community", "household").get_for_user_or_404(
        by, action, pk=pk)
    audit.record(by, Action.READ, resident, origin=origin)
    return resident


def resident_reveal(*, by, resident: Resident, field: str, reason: str, origin=None) -> str:
    """The full ID or phone number of one resident, for a stated reason; written to the audit log."""
    _check_in_scope(Resident, by, resident, REVEAL)
    errors = {}
    if field not in REVEALABLE:
        errors["field"] = _("Choose the ID number or the phone number.")
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        errors["reason"] = _("State why you need the full number (at least %(n)s characters).") % {
            "n": MIN_REASON_LENGTH}
    if errors:
        raise ValidationError(errors)
    value = getattr(resident, field)
    # summaries name fields by their code (language-neutral, searchable), never with a full value
    audit.record(by, Action.REVEAL, resident, reason=reason, origin=origin,
                 summary=f"{resident.audit_summary()} · {field} {REVEALABLE[field](value)}")
    return value


# ------------------------------------------------------------------------------------ writes


def _apply(resident: Resident, data: dict):
    unknown = set(data) - set(RESIDENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in data.items():
        setattr(resident, name, "" if value is None and name in ("phone", "address") else value)


def _check_links(by, resident: Resident):
    _require(clinics_for(by), resident.clinic if resident.clinic_id else None, "clinic")
    _require(communities_for(by), resident.community, "community")


def _validate(resident: Resident):
    try:
        resident.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def _save(resident: Resident):
    """Save; the same ID number registered concurrently (after our check) reads as the same error."""
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise ValidationError({"id_number": _("A resident with this ID number is already registered.")}) from exc


SNAPSHOT_FIELDS = ("name", "id_number", "phone", "address", "community", "clinic", "household")


def _snapshot(resident: Resident) -> dict:
    return {f: getattr(resident, Resident._meta.get_field(f).attname) for f in SNAPSHOT_FIELDS}


def _changed(before: dict, after: Resident) -> list[str]:
    return [name for name, value in _snapshot(after).items() if before[name] != value]


def _find_head(by, head_id_number: str) -> Resident:
    try:
        number = idnumber.parse(head_id_number).number
    except idnumber.IdNumberError as exc:
        raise ValidationError({"household_head": exc.message}) from exc
    head = Resident.objects.for_user(by, CHANGE).filter(id_number=number).select_related("household").first()
    if head is None:
        raise ValidationError({"household_head": _(
            "No resident with this ID number is registered with your clinic: register the head first.")})
    return head


def _household_of_head(by, head: Resident, origin) -> Household:
    """The household ``head`` heads, created (at the head's address) when they have none yet."""
    if head.household_id:
        if head.household.head_id not in (None, head.pk):
            raise ValidationError({"household_head": _("This person is a member of a household with another head.")})
        if head.household.head_id is None:
            head.household.head = head
            head.household.save(update_fields=["head", "updated_at"])
        return head.household
    household = Household.objects.create(clinic_id=head.clinic_id, address=head.address,
                                         community_id=head.community_id, head=head)
    audit.record(by, Action.CREATE, household, origin=origin)
    head.household = household
    Resident.objects.filter(pk=head.pk).update(household=household)
    return household


def _link_household(by, resident: Resident, head_id_number: str, origin):
    """Join the household headed by the person with ``head_id_number`` (possibly the resident)."""
    if idnumber.normalise(head_id_number) == resident.id_number:
        household = _household_of_head(by, resident, origin)
    else:
        household = _household_of_head(by, _find_head(by, head_id_number), origin)
    if household.clinic_id != resident.clinic_id:
        raise ValidationError({"household_head": _("The head of household is registered with another clinic.")})
    if resident.household_id != household.pk:
        resident.household = household
        Resident.objects.filter(pk=resident.pk).update(household=household)
    return household


def _leave_household(resident: Resident):
    household = resident.household
    if household and household.head_id == resident.pk:
        Household.objects.filter(pk=household.pk).update(head=None)
    resident.household = None
    Resident.objects.filter(pk=resident.pk).update(household=None)


@transaction.atomic
def resident_create(*, by, household_head: str = "", origin=None, today: dt.date | None = None, **data) -> Resident:
    resident = Resident()
    _apply(resident, data)
    if not resident.clinic_id:
        clinics = list(clinics_for(by)[:2])
        if len(clinics) == 1:
            resident.clinic = clinics[0]
    _check_links(by, resident)
    _validate(resident)
    _save(resident)
    if household_head:
        _link_household(by, resident, household_head, origin)
    refresh_age_tags(today, Resident.objects.filter(pk=resident.pk))
    audit.record(by, Action.CREATE, resident, origin=origin)
    return resident


@transaction.atomic
def resident_update(*, by, resident: Resident, household_head: str = "", leave_household: bool = False,
                    origin=None, today: dt.date | None = None, **data) -> Resident:
    _check_in_scope(Resident, by, resident)
    before = _snapshot(resident)
    if "id_number" in data and not data["id_number"]:
        del data["id_number"]  # blank = keep the number (the form never shows it in full)
    if "phone" in data and data["phone"] is None:
        del data["phone"]
    _apply(resident, data)
    _check_links(by, resident)
    _validate(resident)
    _save(resident)
    if leave_household and resident.household_id:
        _leave_household(resident)
    if household_head:
        _link_household(by, resident, household_head, origin)
    changed = _changed(before, resident)
    if "id_number" in changed:
        refresh_age_tags(today, Resident.objects.filter(pk=resident.pk))
    if changed:
        audit.record(by, Action.UPDATE, resident, origin=origin,
                     summary=f"{resident.audit_summary()} · {', '.join(changed)}")
    return resident


@transaction.atomic
def tag_add(*, by, resident: Resident, kind: str, source: str, recorded_on: dt.date, origin=None) -> ResidentTag:
    _check_in_scope(Resident, by, resident)
    if kind not in Tag.values:
        raise ValidationError({"kind": _("Choose a key population.")})
    if resident.tags.filter(kind=kind).exists():
        raise ValidationError({"kind": _("The resident already has this tag.")})
    tag = ResidentTag(resident=resident, kind=kind, source=(source or "").strip(), recorded_on=recorded_on,
                      recorded_by=by)
    try:
        tag.full_clean(exclude=["resident"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    tag.save()
    audit.record(by, Action.UPDATE, resident, origin=origin,
                 summary=f"{resident.audit_summary()} · +{tag.kind}")
    return tag


@transaction.atomic
def tag_remove(*, by, tag: ResidentTag, origin=None):
    resident = tag.resident
    _check_in_scope(Resident, by, resident)
    if tag.kind in AGE_TAGS:
        raise ValidationError(_("This tag follows from the age in the ID number and cannot be removed."))
    kind = tag.kind
    tag.delete()
    coverage_changed([resident.clinic_id])
    audit.record(by, Action.UPDATE, resident, origin=origin, summary=f"{resident.audit_summary()} · -{kind}")


@transaction.atomic
def household_update(*, by, household: Household, address: str, community, head=None, origin=None) -> Household:
    _check_in_scope(Household, by, household)
    _require(communities_for(by), community, "community")
    if head is not None and head.household_id != household.pk:
        raise ValidationError({"head": _("The head of a household must be one of its members.")})
    household.address, household.community, household.head = address, community, head
    try:
        household.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    household.save()
    audit.record(by, Action.UPDATE, household, origin=origin)
    return household
