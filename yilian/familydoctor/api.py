"""REST endpoints for residents, contracts and visits: a thin shell over the scoped querysets and
the audited services.

Numbers are masked in every answer; reading one resident writes an audit entry, and so does every
contract or visit a list or a detail returns (each shows a resident); the full number of one field
comes only from POST …/reveal with a reason. Recording a visit is idempotent twice over, as for
referrals: an ``Idempotency-Key`` header replays the stored answer, and a ``client_key`` in the body
makes the service return the first visit instead of a second one. Mounted at /api/v1/ in yilian/api.py.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Response

from yilian.core import audit
from yilian.core.models import IdempotentRequest
from yilian.core.scoping import VIEW
from yilian.network.api import DbInt, IsoDate, Pagination

from . import services, services_care
from .models import REVEAL, Resident, Tag
from .models_care import Contract, PlannedVisit, VisitRecord

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


# ------------------------------------------------------------------------------ contracts and visits


class AuditedPagination(Pagination):
    """Pagination that writes a "read" audit row for every row of the page it returns."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(page["items"])
        audit.record_many(request.auth_user, audit.Action.READ, items, origin=audit.origin_of(request))
        return {**page, "items": items}


def _resident_of(obj) -> Resident:
    return obj.contract.resident if isinstance(obj, PlannedVisit) else obj.resident


class ResidentMixin(Schema):
    """The resident a row is about, with masked numbers."""

    resident: int
    resident_name: str
    resident_id_number_masked: str
    resident_phone_masked: str

    @staticmethod
    def resolve_resident(obj):
        return _resident_of(obj).pk

    @staticmethod
    def resolve_resident_name(obj):
        return _resident_of(obj).name

    @staticmethod
    def resolve_resident_id_number_masked(obj):
        return _resident_of(obj).masked_id

    @staticmethod
    def resolve_resident_phone_masked(obj):
        return _resident_of(obj).masked_phone


class PackageOut(Schema):
    id: int
    name: str
    kind: str


class ContractEventOut(Schema):
    kind: str
    on: date
    reason: str


class ContractOut(ResidentMixin):
    id: int
    status: str = Field(..., json_schema_extra={"enum": list(Contract.Status.values)})
    team: int = Field(..., alias="team_id")
    team_name: str
    clinic: int = Field(..., alias="clinic_id")
    household: int | None = Field(None, alias="household_id")
    start: date
    end: date
    consent: bool
    consent_by: str
    ended_on: date | None
    end_reason: str
    packages: list[PackageOut]

    @staticmethod
    def resolve_team_name(obj):
        return obj.team.name

    @staticmethod
    def resolve_packages(obj):
        return list(obj.packages.all())


class ContractDetailOut(ContractOut):
    previous: int | None = Field(None, alias="previous_id")
    events: list[ContractEventOut]

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())


class ContractFilter(Schema):
    resident: DbInt | None = None
    team: DbInt | None = None
    status: Literal[tuple(Contract.Status.values)] | None = None


class PlannedVisitOut(ResidentMixin):
    id: int
    contract: int = Field(..., alias="contract_id")
    team: int = Field(..., alias="team_id")
    rule: str
    due: date
    status: str = Field(..., json_schema_extra={"enum": list(PlannedVisit.Status.values)})
    done_on: date | None
    record: int | None = Field(None, alias="record_id")

    @staticmethod
    def resolve_rule(obj):
        return str(obj.rule)


class PlannedVisitFilter(Schema):
    resident: DbInt | None = None
    team: DbInt | None = None
    status: Literal[tuple(PlannedVisit.Status.values)] | None = None
    due_from: IsoDate | None = Field(None, description="Due on or after (YYYY-MM-DD)")
    due_to: IsoDate | None = Field(None, description="Due on or before (YYYY-MM-DD)")


class VisitOut(ResidentMixin):
    id: int
    contract: int = Field(..., alias="contract_id")
    team: int = Field(..., alias="team_id")
    date: date
    mode: str = Field(..., json_schema_extra={"enum": list(VisitRecord.Mode.values)})
    systolic: int | None
    diastolic: int | None
    glucose: float | None
    services: str
    notes: str
    created_at: datetime


class VisitFilter(Schema):
    resident: DbInt | None = None
    team: DbInt | None = None
    contract: DbInt | None = None
    date_from: IsoDate | None = Field(None, description="On or after (YYYY-MM-DD)")
    date_to: IsoDate | None = Field(None, description="On or before (YYYY-MM-DD)")


class VisitIn(Schema):
    contract: DbInt
    date: IsoDate
    mode: Literal[tuple(VisitRecord.Mode.values)]
    systolic: int | None = Field(None, ge=0, le=32767, description="mmHg; with diastolic, or neither")
    diastolic: int | None = Field(None, ge=0, le=32767, description="mmHg")
    glucose: float | None = Field(None, ge=0, le=999, allow_inf_nan=False, description="mmol/L")
    services: str = ""
    notes: str = ""
    planned: DbInt | None = Field(None, description="The planned visit this visit completes (optional)")
    client_key: str | None = Field(None, max_length=64)


def _filtered(queryset, filters, lookups: dict):
    """Apply every filter that is set: ``lookups`` maps a filter name to its ORM lookup."""
    for name, lookup in lookups.items():
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    return queryset


@router.get("/contracts", response=list[ContractOut], tags=["family doctors"])
@paginate(AuditedPagination)
def contract_list(request, filters: Query[ContractFilter]):
    """Contracts in the caller's scope, newest start first; every contract returned is audited as read."""
    contracts = (Contract.objects.for_user(request.auth_user, VIEW)
                 .select_related("resident", "team", "clinic__region").prefetch_related("packages"))
    return _filtered(contracts, filters, {"resident": "resident_id", "team": "team_id", "status": "status"})


@router.get("/contracts/{int:contract_id}", response=ContractDetailOut, tags=["family doctors"])
def contract_detail(request, contract_id: int):
    return services_care.contract_read(by=request.auth_user, pk=contract_id, origin=audit.origin_of(request))


@router.get("/planned-visits", response=list[PlannedVisitOut], tags=["family doctors"])
@paginate(AuditedPagination)
def planned_visit_list(request, filters: Query[PlannedVisitFilter]):
    """The visit plan in the caller's scope, earliest due first; every row returned is audited as read."""
    planned = (PlannedVisit.objects.for_user(request.auth_user, VIEW)
               .select_related("contract__resident", "contract__clinic__region", "rule"))
    planned = _filtered(planned, filters, {"resident": "contract__resident_id", "team": "team_id",
                                           "status": "status", "due_from": "due__gte", "due_to": "due__lte"})
    return planned


@router.get("/visits", response=list[VisitOut], tags=["family doctors"])
@paginate(AuditedPagination)
def visit_list(request, filters: Query[VisitFilter]):
    """Recorded visits in the caller's scope, latest first; every visit returned is audited as read."""
    visits = VisitRecord.objects.for_user(request.auth_user, VIEW).select_related(
        "resident", "contract__clinic__region")
    return _filtered(visits, filters, {"resident": "resident_id", "team": "team_id", "contract": "contract_id",
                                       "date_from": "date__gte", "date_to": "date__lte"})


@router.get("/visits/{int:visit_id}", response=VisitOut, tags=["family doctors"])
def visit_detail(request, visit_id: int):
    visit = VisitRecord.objects.select_related("resident", "contract__clinic__region").get_for_user_or_404(
        request.auth_user, VIEW, pk=visit_id)
    audit.record(request.auth_user, audit.Action.READ, visit, origin=audit.origin_of(request))
    return visit


def _resolve(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})
    return obj


@router.post("/visits", response={201: VisitOut, 200: VisitOut}, tags=["family doctors"])
def visit_create(request, payload: VisitIn):
    """Record a visit (as a member of the contract's team); it completes the planned visits due by its date."""
    user = request.auth_user

    def run():
        contract = _resolve(Contract.objects.for_user(user, VIEW).select_related("clinic__region"),
                            payload.contract, "contract")
        planned = _resolve(PlannedVisit.objects.for_user(user, VIEW).filter(contract=contract), payload.planned,
                           "planned")
        result = services_care.visit_record(
            by=user, contract=contract, date=payload.date, mode=payload.mode, systolic=payload.systolic,
            diastolic=payload.diastolic, glucose=None if payload.glucose is None else Decimal(str(payload.glucose)),
            services=payload.services, notes=payload.notes, planned=planned, client_key=payload.client_key,
            origin=audit.origin_of(request))
        visit = VisitRecord.objects.select_related("resident").get(pk=result.obj.pk)
        return (201 if result.created else 200), VisitOut.from_orm(visit).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key:
        fingerprint = IdempotentRequest.fingerprint_of(request.method, request.path, payload.model_dump(mode="json"))
        status, body = IdempotentRequest.replay_or_run(user=user, key=key, fingerprint=fingerprint, run=run)
    else:
        status, body = run()
    return Response(body, status=status, json_dumps_params={"ensure_ascii": False})
