"""REST endpoints for the alliance network: a thin shell over scoped querysets and services.

Reads go through ``Model.objects.for_user(user, "view")``; out of scope is 404. Writes resolve
the ids of the payload through the user's scoped querysets, then call ``services``.
"""

import json
import re
from datetime import date
from typing import Annotated, Literal, get_args

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, PatchDict, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Response
from pydantic import BeforeValidator

from yilian.core.models import IdempotentRequest
from yilian.core.scoping import CHANGE, VIEW

from . import services
from .models import Alliance, Institution, Liaison, Pairing, PilotCommunity, Region
from .schemas import (
    AllianceDetailOut,
    AllianceOut,
    InstitutionIn,
    InstitutionOut,
    LiaisonIn,
    LiaisonOut,
    PairingDetailOut,
    PairingIn,
    PairingOut,
    PilotDetailOut,
    PilotOut,
    RegionOut,
)

router = Router()
MAX_PAGE_SIZE = 200
# Database integers are 64-bit; a larger offset or id would overflow the query instead of finding nothing.
MAX_DB_INT = 2**63 - 1


class Pagination(LimitOffsetPagination):
    """?limit=&offset=, at most MAX_PAGE_SIZE rows a page."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_DB_INT)


def _iso_date(value):
    """Dates in queries as YYYY-MM-DD only (pydantic alone would also take "0" as 1 January 1970)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Give the date as YYYY-MM-DD.")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


DbInt = Annotated[int, Field(ge=-MAX_DB_INT, le=MAX_DB_INT)]


def checked_patch(request, payload: dict, schema) -> dict:
    """A PATCH body must be an object, and fields that cannot be empty cannot be set to null."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationError(_("The body must be a JSON object."))
    nulls = {name: _("This field cannot be null.") for name, value in payload.items()
             if value is None and name in schema.model_fields
             and type(None) not in get_args(schema.model_fields[name].annotation)}
    if nulls:
        raise ValidationError(nulls)
    return payload


def visible(model, request):
    return model.objects.for_user(request.auth_user, VIEW)


def in_subtree(request, queryset, region_id, path_lookup):
    """Rows in the subtree of a region the user can see; a region they cannot see filters to nothing."""
    region = visible(Region, request).filter(pk=region_id).first()
    return queryset.filter(**{f"{path_lookup}__startswith": region.path}) if region else queryset.none()


# --- helpers for writes ---------------------------------------------------------------------


def resolve(queryset, pk, field):
    """The object with ``pk`` in ``queryset``; an id out of scope reads as one that does not exist."""
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})
    return obj


def resolve_ids(data: dict, request, lookups: dict) -> dict:
    """Replace the ids of ``data`` named in ``lookups`` ({field: model}) by the objects."""
    return {
        name: resolve(visible(lookups[name], request), value, name) if name in lookups else value
        for name, value in data.items()
    }


def resolve_many(request, model, ids, field):
    return [resolve(visible(model, request), pk, field) for pk in ids]


def created(request, payload: Schema, create, schema):
    """201 with the new object; with an Idempotency-Key, a retry replays the first answer."""

    def run():
        return 201, schema.from_orm(create()).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key:
        fingerprint = IdempotentRequest.fingerprint_of(request.method, request.path, payload.model_dump(mode="json"))
        status, body = IdempotentRequest.replay_or_run(
            user=request.auth_user, key=key, fingerprint=fingerprint, run=run
        )
    else:
        status, body = run()
    return Response(body, status=status, json_dumps_params={"ensure_ascii": False})


# --- regions -------------------------------------------------------------------------------


class RegionFilter(Schema):
    level: Literal[tuple(Region.Level.values)] | None = None
    parent: DbInt | None = None


@router.get("/regions", response=list[RegionOut], tags=["regions"])
@paginate(Pagination)
def region_list(request, filters: Query[RegionFilter]):
    regions = visible(Region, request)
    if filters.level:
        regions = regions.filter(level=filters.level)
    if filters.parent is not None:
        regions = regions.filter(parent_id=filters.parent)
    return regions


@router.get("/regions/{int:region_id}", response=RegionOut, tags=["regions"])
def region_detail(request, region_id: int):
    return Region.objects.get_for_user_or_404(request.auth_user, VIEW, pk=region_id)


# --- institutions --------------------------------------------------------------------------


class InstitutionFilter(Schema):
    q: str | None = Field(None, description="Part of the name or short name, or their pinyin initials")
    kind: Literal[tuple(Institution.Kind.values)] | None = None
    region: DbInt | None = Field(None, description="A region id; institutions in its whole subtree")
    standard: Literal[tuple(Institution.Standard.values)] | None = None


@router.get("/institutions", response=list[InstitutionOut], tags=["institutions"])
@paginate(Pagination)
def institution_list(request, filters: Query[InstitutionFilter]):
    institutions = visible(Institution, request).select_related("region")
    if filters.q and filters.q.strip():
        institutions = institutions.filter(Institution.search_q(filters.q))  # also pinyin initials
    if filters.kind:
        institutions = institutions.filter(kind=filters.kind)
    if filters.standard:
        institutions = institutions.filter(standard=filters.standard)
    if filters.region is not None:
        institutions = in_subtree(request, institutions, filters.region, "region__path")
    return institutions


@router.get("/institutions/{int:institution_id}", response=InstitutionOut, tags=["institutions"])
def institution_detail(request, institution_id: int):
    institutions = Institution.objects.select_related("region")
    return institutions.get_for_user_or_404(request.auth_user, VIEW, pk=institution_id)


INSTITUTION_LINKS = {"region": Region, "parent": Institution}


@router.post("/institutions", response={201: InstitutionOut}, tags=["institutions"])
def institution_create(request, payload: InstitutionIn):
    def create():
        data = resolve_ids(payload.model_dump(), request, INSTITUTION_LINKS)
        return services.institution_create(by=request.auth_user, **data)

    return created(request, payload, create, InstitutionOut)


@router.patch("/institutions/{int:institution_id}", response=InstitutionOut, tags=["institutions"])
def institution_update(request, institution_id: int, payload: PatchDict[InstitutionIn]):
    institution = Institution.objects.get_for_user_or_404(request.auth_user, CHANGE, pk=institution_id)
    data = resolve_ids(checked_patch(request, payload, InstitutionIn), request, INSTITUTION_LINKS)
    return services.institution_update(by=request.auth_user, institution=institution, **data)


# --- pilot communities ---------------------------------------------------------------------


@router.get("/pilots", response=list[PilotOut], tags=["pilots"])
@paginate(Pagination)
def pilot_list(request, district: DbInt | None = Query(None, description="A region id; pilots in its subtree")):  # noqa: B008
    pilots = visible(PilotCommunity, request)
    if district is not None:
        pilots = in_subtree(request, pilots, district, "region__path")
    return pilots


@router.get("/pilots/{int:pilot_id}", response=PilotDetailOut, tags=["pilots"])
def pilot_detail(request, pilot_id: int):
    pilot = PilotCommunity.objects.get_for_user_or_404(request.auth_user, VIEW, pk=pilot_id)
    # Only the ids the user may see: out of scope, an object's existence is not confirmed.
    pilot.serving_institution_ids = _visible_ids(pilot.serving_institutions, Institution, request)
    return pilot


def _visible_ids(related_manager, model, request) -> list[int]:
    return list(related_manager.filter(pk__in=visible(model, request)).values_list("pk", flat=True))


# --- alliances -----------------------------------------------------------------------------


@router.get("/alliances", response=list[AllianceOut], tags=["alliances"])
@paginate(Pagination)
def alliance_list(request):
    return visible(Alliance, request)


@router.get("/alliances/{int:alliance_id}", response=AllianceDetailOut, tags=["alliances"])
def alliance_detail(request, alliance_id: int):
    alliance = Alliance.objects.get_for_user_or_404(request.auth_user, VIEW, pk=alliance_id)
    alliance.member_ids = _visible_ids(alliance.members, Institution, request)
    return alliance


# --- pairings ------------------------------------------------------------------------------


class PairingFilter(Schema):
    hospital: DbInt | None = None
    clinic: DbInt | None = None
    district: DbInt | None = Field(None, description="A region id; pairings of clinics in its subtree")
    active_on: IsoDate | None = Field(None, description="Only pairings running on this day")


@router.get("/pairings", response=list[PairingOut], tags=["pairings"])
@paginate(Pagination)
def pairing_list(request, filters: Query[PairingFilter]):
    pairings = visible(Pairing, request).select_related("hospital", "clinic")
    if filters.hospital is not None:
        pairings = pairings.filter(hospital_id=filters.hospital)
    if filters.clinic is not None:
        pairings = pairings.filter(clinic_id=filters.clinic)
    if filters.district is not None:
        pairings = in_subtree(request, pairings, filters.district, "clinic__region__path")
    if filters.active_on is not None:
        pairings = pairings.active_on(filters.active_on)
    return pairings


@router.get("/pairings/{int:pairing_id}", response=PairingDetailOut, tags=["pairings"])
def pairing_detail(request, pairing_id: int):
    return _pairing_detail(request, pairing_id)


def _pairing_detail(request, pairing_id):
    pairings = Pairing.objects.select_related("hospital", "clinic")
    pairing = pairings.get_for_user_or_404(request.auth_user, VIEW, pk=pairing_id)
    pairing.pilot_ids = _visible_ids(pairing.pilots, PilotCommunity, request)
    return pairing


PAIRING_LINKS = {"hospital": Institution, "clinic": Institution}


@router.post("/pairings", response={201: PairingDetailOut}, tags=["pairings"])
def pairing_create(request, payload: PairingIn):
    def create():
        data = resolve_ids(payload.model_dump(exclude={"pilots"}), request, PAIRING_LINKS)
        pilots = resolve_many(request, PilotCommunity, payload.pilots, "pilots")
        pairing = services.pairing_create(by=request.auth_user, pilots=pilots, **data)
        return _pairing_detail(request, pairing.pk)

    return created(request, payload, create, PairingDetailOut)


@router.patch("/pairings/{int:pairing_id}", response=PairingDetailOut, tags=["pairings"])
def pairing_update(request, pairing_id: int, payload: PatchDict[PairingIn]):
    pairing = Pairing.objects.get_for_user_or_404(request.auth_user, CHANGE, pk=pairing_id)
    payload = checked_patch(request, payload, PairingIn)
    pilot_ids = payload.pop("pilots", None)
    data = resolve_ids(payload, request, PAIRING_LINKS)
    pilots = None if pilot_ids is None else resolve_many(request, PilotCommunity, pilot_ids, "pilots")
    services.pairing_update(by=request.auth_user, pairing=pairing, pilots=pilots, **data)
    return _pairing_detail(request, pairing.pk)


# --- liaisons ------------------------------------------------------------------------------


@router.get("/liaisons", response=list[LiaisonOut], tags=["liaisons"])
@paginate(Pagination)
def liaison_list(request, hospital: DbInt | None = None):
    liaisons = visible(Liaison, request)
    if hospital is not None:
        liaisons = liaisons.filter(hospital_id=hospital)
    return liaisons


@router.get("/liaisons/{int:liaison_id}", response=LiaisonOut, tags=["liaisons"])
def liaison_detail(request, liaison_id: int):
    return Liaison.objects.get_for_user_or_404(request.auth_user, VIEW, pk=liaison_id)


LIAISON_LINKS = {"hospital": Institution}


@router.post("/liaisons", response={201: LiaisonOut}, tags=["liaisons"])
def liaison_create(request, payload: LiaisonIn):
    def create():
        data = resolve_ids(payload.model_dump(), request, LIAISON_LINKS)
        return services.liaison_save(by=request.auth_user, **data)

    return created(request, payload, create, LiaisonOut)


@router.patch("/liaisons/{int:liaison_id}", response=LiaisonOut, tags=["liaisons"])
def liaison_update(request, liaison_id: int, payload: PatchDict[LiaisonIn]):
    liaison = Liaison.objects.get_for_user_or_404(request.auth_user, CHANGE, pk=liaison_id)
    data = resolve_ids(checked_patch(request, payload, LiaisonIn), request, LIAISON_LINKS)
    return services.liaison_save(by=request.auth_user, liaison=liaison, **data)


@router.delete("/liaisons/{int:liaison_id}", response={204: None}, tags=["liaisons"])
def liaison_delete(request, liaison_id: int):
    liaison = Liaison.objects.get_for_user_or_404(request.auth_user, CHANGE, pk=liaison_id)
    services.liaison_delete(by=request.auth_user, liaison=liaison)
    return Status(204, None)
