"""REST endpoints of remote reading and consultation (mounted as ``api.add_router("v1/", router)``).

An ECG machine gateway posts a study as multipart (fields + files). Create is idempotent twice
over, as for referrals: an ``Idempotency-Key`` header replays the stored answer (the fingerprint
covers the fields and the files' SHA-256), and a ``client_key`` field returns the first study.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.responses import Response

from yilian.core import audit
from yilian.core.models import IdempotentRequest
from yilian.core.scoping import CHANGE, VIEW
from yilian.familydoctor.models import Resident
from yilian.network.api import MAX_DB_INT
from yilian.network.models import Institution
from yilian.referrals.models import Department

from . import fhir, selectors, services
from .models import Consultation, Report, Study

router = Router(tags=["telehealth"])


class StudyIn(Schema):
    resident: int
    modality: str = Field(..., json_schema_extra={"enum": list(Study.Modality.values)})
    urgency: int = Field(3, ge=1, le=3)
    question: str
    centre: int | None = None
    client_key: str | None = Field(None, max_length=64)


class StudyOut(Schema):
    id: int
    resident: int = Field(..., alias="resident_id")
    clinic: int = Field(..., alias="clinic_id")
    centre: int = Field(..., alias="centre_id")
    modality: str
    urgency: int
    question: str
    status: str
    summary: dict
    sent_at: datetime
    due_at: datetime
    claimed_by: int | None = Field(None, alias="claimed_by_id")
    reported_at: datetime | None
    turnaround_minutes: int | None


class ReportIn(Schema):
    findings: str
    conclusion: str
    critical: bool = False
    recommendation: str = Field(..., json_schema_extra={"enum": list(Report.Recommendation.values)})


class ReportOut(Schema):
    id: int
    study: int = Field(..., alias="study_id")
    findings: str
    conclusion: str
    critical: bool
    recommendation: str
    signed_by: int = Field(..., alias="signed_by_id")
    signed_at: datetime
    referral: int | None = Field(None, alias="referral_id")


class ConsultationIn(Schema):
    resident: int
    department: int
    requested_for: datetime
    question: str
    studies: list[int] = []
    client_key: str | None = Field(None, max_length=64)


class ConsultationOut(Schema):
    id: int
    resident: int = Field(..., alias="resident_id")
    clinic: int = Field(..., alias="clinic_id")
    hospital: int = Field(..., alias="hospital_id")
    department: int = Field(..., alias="department_id")
    requested_for: datetime
    question: str
    status: str
    slot: datetime | None
    meeting_url: str
    opinion: str


class SlotIn(Schema):
    slot: datetime


class OpinionIn(Schema):
    opinion: str


def _resolve(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})
    return obj


def _idempotent(request, body: dict, run):
    key = request.headers.get("Idempotency-Key")
    if not key:
        status, data = run()
    else:
        fingerprint = IdempotentRequest.fingerprint_of(request.method, request.path, body)
        status, data = IdempotentRequest.replay_or_run(user=request.auth_user, key=key, fingerprint=fingerprint,
                                                        run=run)
    return Response(data, status=status, json_dumps_params={"ensure_ascii": False})


@router.post("/telehealth/studies", response={201: StudyOut, 200: StudyOut})
def study_create(request, payload: Form[StudyIn], files: File[list[UploadedFile]]):
    """Send a study (multipart: the fields and one or more files, checked by content)."""
    user = request.auth_user

    def run():
        result = services.study_create(
            by=user, resident=_resolve(Resident.objects.for_user(user, CHANGE), payload.resident, "resident"),
            modality=payload.modality, urgency=payload.urgency, question=payload.question, files=files,
            centre=_resolve(Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS), payload.centre,
                            "centre"), client_key=payload.client_key)
        return (201 if result.created else 200), StudyOut.from_orm(result.obj).model_dump(mode="json")

    body = {**payload.model_dump(mode="json"), "files": [_digest(f) for f in files]}
    return _idempotent(request, body, run)


def _digest(upload) -> str:
    upload.seek(0)
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    return digest


@router.get("/telehealth/worklist", response=list[StudyOut])
def worklist(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_DB_INT)):
    """Open studies sent to my hospital, most urgent and longest waiting first."""
    return list(selectors.worklist(request.auth_user)[offset:offset + limit])


@router.get("/telehealth/studies", response=list[StudyOut])
def study_list(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_DB_INT)):
    """Studies I may see, newest first."""
    return list(Study.objects.for_user(request.auth_user).order_by("-sent_at", "-pk")[offset:offset + limit])


def _study(request, study_id, action=VIEW):
    return Study.objects.select_related("resident", "clinic__region").get_for_user_or_404(
        request.auth_user, action, pk=study_id)


@router.get("/telehealth/studies/{int:study_id}", response=StudyOut)
def study_detail(request, study_id: int):
    study = _study(request, study_id)
    audit.record(request.auth_user, audit.Action.READ, study, origin=audit.origin_of(request))
    return study


@router.post("/telehealth/studies/{int:study_id}/claim", response=StudyOut)
def study_claim(request, study_id: int):
    return services.study_claim(by=request.auth_user, study=_study(request, study_id, CHANGE))


@router.get("/telehealth/studies/{int:study_id}/report", response=ReportOut)
def report_detail(request, study_id: int):
    study = _study(request, study_id)
    report = Report.objects.get_for_user_or_404(request.auth_user, VIEW, study=study)
    audit.record(request.auth_user, audit.Action.READ, report, origin=audit.origin_of(request))
    return report


@router.post("/telehealth/studies/{int:study_id}/report", response={201: ReportOut})
def report_sign(request, study_id: int, payload: ReportIn):
    report = services.report_sign(by=request.auth_user, study=_study(request, study_id, CHANGE),
                                  **payload.model_dump())
    return Status(201, report)


@router.get("/telehealth/studies/{int:study_id}/fhir")
def report_fhir(request, study_id: int):
    study = _study(request, study_id)
    report = Report.objects.get_for_user_or_404(request.auth_user, VIEW, study=study)
    audit.record(request.auth_user, audit.Action.EXPORT, study, reason="fhir", origin=audit.origin_of(request))
    return Response(fhir.bundle(report), json_dumps_params={"ensure_ascii": False})


@router.post("/telehealth/consultations", response={201: ConsultationOut, 200: ConsultationOut})
def consultation_create(request, payload: ConsultationIn):
    user = request.auth_user

    def run():
        resident = _resolve(Resident.objects.for_user(user, CHANGE), payload.resident, "resident")
        studies = list(Study.objects.for_user(user, CHANGE).filter(pk__in=payload.studies))
        if len(studies) != len(set(payload.studies)):
            raise ValidationError({"studies": _("Select a valid choice. That choice is not one of the available "
                                                "choices.")})
        result = services.consultation_request(
            by=user, resident=resident, department=_resolve(Department.objects.all(), payload.department,
                                                            "department"),
            requested_for=payload.requested_for, question=payload.question, studies=studies,
            client_key=payload.client_key)
        return (201 if result.created else 200), ConsultationOut.from_orm(result.obj).model_dump(mode="json")

    return _idempotent(request, payload.model_dump(mode="json"), run)


@router.get("/telehealth/consultations", response=list[ConsultationOut])
def consultation_list(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_DB_INT)):
    return list(Consultation.objects.for_user(request.auth_user)[offset:offset + limit])


def _consultation(request, pk, action=VIEW):
    return Consultation.objects.select_related("resident", "clinic__region").get_for_user_or_404(
        request.auth_user, action, pk=pk)


@router.post("/telehealth/consultations/{int:consultation_id}/confirm", response=ConsultationOut)
def consultation_confirm(request, consultation_id: int, payload: SlotIn):
    return services.consultation_confirm(by=request.auth_user, consultation=_consultation(
        request, consultation_id, CHANGE), slot=payload.slot)


@router.post("/telehealth/consultations/{int:consultation_id}/opinion", response=ConsultationOut)
def consultation_opinion(request, consultation_id: int, payload: OpinionIn):
    return services.consultation_opinion(by=request.auth_user, consultation=_consultation(
        request, consultation_id, CHANGE), opinion=payload.opinion)
