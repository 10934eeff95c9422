"""REST endpoints for residents: a thin shell over the scoped queryset and the audited services.

Numbers are masked in every answer; reading one resident writes an audit entry; the full number
of one field comes only from POST …/reveal with a reason. Mount with
``api.add_router("v1/", familydoctor_router)`` in yilian/api.py.
"""

from datetime import date
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from yilian.core import audit
from yilian.core.scoping import VIEW
from yilian.network.api import DbInt, Pagination

from . import services
from .models import REVEAL, Resident, Tag

router = Router(tags=["residents"])


class TagOut(Schema):
    kind: str = Field(..., json_schema_extra={"enum": list(Tag.values)})
    source: str
    recorded_on: date


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date
    id_number_masked: str = Field(..., alias="masked_id")
    phone_masked: str = Field(..., alias="masked_phone")
    community_id: int | None
    clinic_id: int
    household_id: int | None


class ResidentDetailOut(ResidentOut):
    address: str
    tags: list[TagOut]

    @staticmethod
    def resolve_tags(obj):
        return list(obj.tags.all())


class ResidentFilter(Schema):
    q: str | None = Field(None, description="Name, pinyin initials, a full ID number or a phone number")
    tag: Literal[tuple(Tag.values)] | None = None
    community: DbInt | None = None


class RevealIn(Schema):
    field: str = Field(..., json_schema_extra={"enum": list(services.REVEALABLE)})
    reason: str = Field(..., description=f"Why the full number is needed (at least {services.MIN_REASON_LENGTH} "
                                         "characters); kept in the audit log")


class RevealOut(Schema):
    field: str
    value: str


@router.get("/residents", response=list[ResidentOut])
@paginate(Pagination)
def resident_list(request, filters: Query[ResidentFilter]):
    residents = Resident.objects.for_user(request.auth_user, VIEW).search(filters.q or "")
    if filters.tag:
        residents = residents.filter(tags__kind=filters.tag)
    if filters.community is not None:
        residents = residents.filter(community_id=filters.community)
    return residents


@router.get("/residents/{int:resident_id}", response=ResidentDetailOut)
def resident_detail(request, resident_id: int):
    return services.resident_read(by=request.auth_user, pk=resident_id, origin=audit.origin_of(request))


@router.post("/residents/{int:resident_id}/reveal", response=RevealOut)
def resident_reveal(request, resident_id: int, payload: RevealIn):
    resident = Resident.objects.select_related("clinic__region").get_for_user_or_404(
        request.auth_user, REVEAL, pk=resident_id)
    value = services.resident_reveal(by=request.auth_user, resident=resident, field=payload.field,
                                     reason=payload.reason, origin=audit.origin_of(request))
    return {"field": payload.field, "value": value}
