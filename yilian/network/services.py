"""Writes on the alliance network. Each service checks scope, validates, saves and is audited.

Views and API handlers call these and nothing else to change the registry.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, VIEW
from yilian.core.services import save_validated

from .models import Alliance, Institution, Liaison, Pairing, PilotCommunity, Region

INSTITUTION_FIELDS = (
    "name", "short_name", "kind", "parent", "region", "address", "latitude", "longitude",
    "population_served", "standard", "standard_year", "phone", "notes",
)
PAIRING_FIELDS = ("hospital", "clinic", "start", "end", "department", "responsible_persons", "notes")
LIAISON_FIELDS = ("hospital", "name", "department", "phone", "remarks")


def _require_in(queryset, obj, field):
    """A related object the user picks must be one they may see; otherwise it 'does not exist'."""
    if obj is not None and not queryset.filter(pk=obj.pk).exists():
        message = _("Select a valid choice. That choice is not one of the available choices.")
        raise ValidationError({field: message})


def _apply(obj, data: dict, allowed: tuple[str, ...]):
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in data.items():
        setattr(obj, name, value)
    return obj


def _check_institution_links(by, institution: Institution):
    _require_in(Region.objects.for_user(by, CHANGE), institution.region, "region")
    _require_in(Institution.objects.for_user(by, VIEW), institution.parent, "parent")


def institution_create(*, by, **data) -> Institution:
    institution = _apply(Institution(), data, INSTITUTION_FIELDS)
    _check_institution_links(by, institution)
    return save_validated(institution, by)


def institution_update(*, by, institution: Institution, **data) -> Institution:
    if not Institution.objects.for_user(by, CHANGE).filter(pk=institution.pk).exists():
        raise Http404
    if "region" in data and data["region"] != institution.region:
        _require_in(Region.objects.for_user(by, CHANGE), data["region"], "region")
    _apply(institution, data, INSTITUTION_FIELDS)
    _require_in(Institution.objects.for_user(by, VIEW), institution.parent, "parent")
    return save_validated(institution, by)


def _check_pairing_sides(by, pairing: Pairing):
    # The commission pairs clinics of its own region with any hospital it can see.
    _require_in(Institution.objects.for_user(by, VIEW), pairing.hospital, "hospital")
    _require_in(Institution.objects.for_user(by, CHANGE), pairing.clinic, "clinic")


@transaction.atomic
def pairing_create(*, by, pilots=(), **data) -> Pairing:
    pairing = _apply(Pairing(), data, PAIRING_FIELDS)
    _check_pairing_sides(by, pairing)
    save_validated(pairing, by)
    pairing_set_pilots(by=by, pairing=pairing, pilots=pilots)
    return pairing


@transaction.atomic
def pairing_update(*, by, pairing: Pairing, pilots=None, **data) -> Pairing:
    if not Pairing.objects.for_user(by, CHANGE).filter(pk=pairing.pk).exists():
        raise Http404
    _apply(pairing, data, PAIRING_FIELDS)
    _check_pairing_sides(by, pairing)
    save_validated(pairing, by)
    if pilots is not None:
        pairing_set_pilots(by=by, pairing=pairing, pilots=pilots)
    return pairing


def pairing_set_pilots(*, by, pairing: Pairing, pilots):
    visible = PilotCommunity.objects.for_user(by, VIEW)
    pilots = list(pilots)
    for pilot in pilots:
        _require_in(visible, pilot, "pilots")
    pairing._history_user = by
    pairing.pilots.set(pilots)


def liaison_save(*, by, liaison: Liaison | None = None, **data) -> Liaison:
    liaison = liaison or Liaison()
    if liaison.pk and not Liaison.objects.for_user(by, CHANGE).filter(pk=liaison.pk).exists():
        raise Http404
    _apply(liaison, data, LIAISON_FIELDS)
    hospital = liaison.hospital if liaison.hospital_id else None
    _require_in(Liaison.hospitals_for(by, CHANGE), hospital, "hospital")
    return save_validated(liaison, by)


def liaison_delete(*, by, liaison: Liaison):
    if not Liaison.objects.for_user(by, CHANGE).filter(pk=liaison.pk).exists():
        raise Http404
    liaison._history_user = by
    liaison.delete()


def alliance_save(*, by, alliance: Alliance | None = None, members=None, **data) -> Alliance:
    alliance = alliance or Alliance()
    if alliance.pk and not Alliance.objects.for_user(by, CHANGE).filter(pk=alliance.pk).exists():
        raise Http404
    _apply(alliance, data, ("name", "kind", "lead", "established"))
    _require_in(Institution.objects.for_user(by, CHANGE), alliance.lead, "lead")
    with transaction.atomic():
        save_validated(alliance, by)
        if members is not None:
            visible = Institution.objects.for_user(by, VIEW)
            for member in members:
                _require_in(visible, member, "members")
            alliance.members.set(members)
    return alliance


def pilot_save(*, by, pilot: PilotCommunity | None = None, serving_institutions=None, **data) -> PilotCommunity:
    pilot = pilot or PilotCommunity()
    if pilot.pk and not PilotCommunity.objects.for_user(by, CHANGE).filter(pk=pilot.pk).exists():
        raise Http404
    _apply(pilot, data, ("name", "programme", "region", "sequence", "year_entered", "status", "notes"))
    _require_in(Region.objects.for_user(by, CHANGE), pilot.region if pilot.region_id else None, "region")
    with transaction.atomic():
        save_validated(pilot, by)
        if serving_institutions is not None:
            visible = Institution.objects.for_user(by, VIEW)
            for institution in serving_institutions:
                _require_in(visible, institution, "serving_institutions")
            pilot.serving_institutions.set(serving_institutions)
    return pilot


def region_save(*, by, region: Region | None = None, **data) -> Region:
    region = region or Region()
    if region.pk and not Region.objects.for_user(by, CHANGE).filter(pk=region.pk).exists():
        raise Http404
    _apply(region, data, ("name", "level", "parent", "code"))
    _require_in(Region.objects.for_user(by, CHANGE), region.parent, "parent")
    return save_validated(region, by)
