"""REST endpoints of referrals: a thin shell over the services (mount as ``api.add_router("v1/", router)``).

Create is idempotent twice over: an ``Idempotency-Key`` header replays the stored answer, and a
``client_key`` in the body makes the service return the first referral instead of a second one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Response

from yilian.core.models import IdempotentRequest
from yilian.core.scoping import CHANGE, VIEW
from yilian.familydoctor.models import Resident
from yilian.network.api import MAX_DB_INT

from . import fhir, selectors, services
from .models import Department, GreenChannelType, Referral

router = Router(tags=["referrals"])


class ReferralIn(Schema):
    resident: int
    department: int
    reason: str = ""
    icd_code: str
    diagnosis: str = ""
    urgency: int = Field(Referral.Urgency.ROUTINE, ge=1, le=3)
    green_channel: int | None = None
    consent: bool = False
    client_key: str | None = Field(None, max_length=64)


class StepIn(Schema):
    action: str = Field(..., json_schema_extra={"enum": ["accept", "decline", "cancel", "arrive", "admit",
                                                         "complete"]})
    appointment_at: datetime | None = None
    bed: str = ""
    decline_reason: str = ""
    alternative: str = ""


class ReferralOut(Schema):
    id: int
    direction: str
    status: str
    urgency: int
    resident: int = Field(..., alias="resident_id")
    from_institution: int = Field(..., alias="from_institution_id")
    to_institution: int = Field(..., alias="to_institution_id")
    department: int | None = Field(None, alias="department_id")
    green_channel: int | None = Field(None, alias="green_channel_id")
    icd_code: str
    diagnosis: str
    created_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    admitted_at: datetime | None
    closed_at: datetime | None


def _resolve(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})
    return obj


@router.post("/referrals", response={201: ReferralOut, 200: ReferralOut})
def referral_create(request, payload: ReferralIn):
    user = request.auth_user

    def run():
        department = _resolve(Department.objects.for_user(user, VIEW), payload.department, "department")
        result = services.referral_create(
            by=user, resident=_resolve(Resident.objects.for_user(user, CHANGE), payload.resident, "resident"),
            hospital=department.hospital, department=department, reason=payload.reason,
            icd_code=payload.icd_code, diagnosis=payload.diagnosis, urgency=payload.urgency,
            consent=payload.consent, client_key=payload.client_key,
            green_channel=_resolve(GreenChannelType.objects.for_user(user, VIEW), payload.green_channel,
                                   "green_channel"))
        return (201 if result.created else 200), ReferralOut.from_orm(result.obj).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key:
        fingerprint = IdempotentRequest.fingerprint_of(request.method, request.path, payload.model_dump(mode="json"))
        status, body = IdempotentRequest.replay_or_run(user=user, key=key, fingerprint=fingerprint, run=run)
    else:
        status, body = run()
    return Response(body, status=status, json_dumps_params={"ensure_ascii": False})


@router.get("/referrals", response=list[ReferralOut])
def referral_list(request, tab: Literal["received", "sent", "pending"] = "received",
                  limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_DB_INT)):
    """My institution's received, sent or pending (waiting for our answer) referrals."""
    return list(selectors.listing(request.auth_user, tab)[offset:offset + limit])


@router.get("/referrals/{int:referral_id}", response=ReferralOut)
def referral_detail(request, referral_id: int):
    return Referral.objects.get_for_user_or_404(request.auth_user, VIEW, pk=referral_id)


@router.post("/referrals/{int:referral_id}/steps", response=ReferralOut)
def referral_step(request, referral_id: int, payload: StepIn):
    referral = Referral.objects.get_for_user_or_404(request.auth_user, CHANGE, pk=referral_id)
    if payload.action == "accept" and referral.direction == Referral.Direction.DOWN:
        services.down_referral_accept(by=request.auth_user, referral=referral)
        referral.refresh_from_db()
        return referral
    return services.referral_advance(by=request.auth_user, referral=referral, action=payload.action,
                                     appointment_at=payload.appointment_at, bed=payload.bed,
                                     decline_reason=payload.decline_reason, alternative=payload.alternative)


@router.get("/referrals/{int:referral_id}/fhir")
def referral_fhir(request, referral_id: int):
    from yilian.core import audit

    referral = Referral.objects.get_for_user_or_404(request.auth_user, VIEW, pk=referral_id)
    audit.record(request.auth_user, audit.Action.EXPORT, referral, origin=audit.origin_of(request))
    return Response(fhir.bundle(referral), json_dumps_params={"ensure_ascii": False})
