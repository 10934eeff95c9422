"""FHIR R4 export of a referral: a collection Bundle of ServiceRequest (the referral), Task (its
fulfilment), Patient, the two Organizations and the requesting Practitioner.

Validated with fhir.resources' R4B models (FHIR 4.3, wire-compatible with R4 for these resources).
The export carries the resident's full ID number: the view audits it as an EXPORT.
"""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from .models import Referral

BASE = "urn:yilian"
ID_SYSTEM = "urn:oid:2.16.156.10011.1.3"  # 居民身份证号
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
PRIORITY = {Referral.Urgency.ROUTINE: "routine", Referral.Urgency.URGENT: "urgent",
            Referral.Urgency.EMERGENCY: "stat"}
REQUEST_STATUS = {"sent": "active", "accepted": "active", "arrived": "active", "admitted": "active",
                  "referred_down": "active", "declined": "revoked", "cancelled": "revoked", "closed": "completed"}
TASK_STATUS = {"sent": "requested", "accepted": "accepted", "arrived": "in-progress", "admitted": "in-progress",
               "referred_down": "in-progress", "declined": "rejected", "cancelled": "cancelled",
               "closed": "completed"}


def _iso(moment):
    return moment.isoformat() if moment else None


def _org(institution):
    return {"resourceType": "Organization", "id": f"org-{institution.pk}", "name": institution.name,
            "identifier": [{"system": f"{BASE}:institution", "value": str(institution.pk)}]}


def resources(referral: Referral) -> list[dict]:
    resident, user = referral.resident, referral.created_by
    patient = {"resourceType": "Patient", "id": f"patient-{resident.pk}",
               "identifier": [{"system": ID_SYSTEM, "value": resident.id_number}],
               "name": [{"text": resident.name}], "gender": resident.sex,
               "birthDate": resident.birth_date.isoformat(),
               "managingOrganization": {"reference": f"Organization/org-{resident.clinic_id}"}}
    practitioner = {"resourceType": "Practitioner", "id": f"practitioner-{user.pk}",
                    "identifier": [{"system": f"{BASE}:user", "value": user.get_username()}],
                    "name": [{"text": user.get_full_name() or user.get_username()}]}
    request = {
        "resourceType": "ServiceRequest", "id": f"referral-{referral.pk}",
        "identifier": [{"system": f"{BASE}:referral", "value": str(referral.pk)}],
        "status": REQUEST_STATUS[referral.status], "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005",
                                  "display": "Patient referral"}]}],
        "priority": PRIORITY[referral.urgency],
        "code": {"text": referral.get_direction_display()},
        "subject": {"reference": f"Patient/{patient['id']}"},
        "authoredOn": _iso(referral.created_at),
        "requester": {"reference": f"Practitioner/{practitioner['id']}"},
        "performer": [{"reference": f"Organization/org-{referral.to_institution_id}"}],
        "reasonCode": [{"coding": [{"system": ICD10_SYSTEM, "code": referral.icd_code,
                                    "display": referral.diagnosis}], "text": referral.reason or referral.diagnosis}],
    }
    if referral.department_id:
        request["performerType"] = {"text": referral.department.name}
    if referral.parent_id:
        request["basedOn"] = [{"reference": f"ServiceRequest/referral-{referral.parent_id}"}]
    task = {
        "resourceType": "Task", "id": f"task-{referral.pk}", "status": TASK_STATUS[referral.status],
        "intent": "order", "priority": PRIORITY[referral.urgency],
        "focus": {"reference": f"ServiceRequest/{request['id']}"},
        "for": {"reference": f"Patient/{patient['id']}"},
        "authoredOn": _iso(referral.created_at),
        "lastModified": _iso(referral.closed_at or referral.admitted_at or referral.arrived_at
                             or referral.accepted_at or referral.created_at),
        "requester": {"reference": f"Organization/org-{referral.from_institution_id}"},
        "owner": {"reference": f"Organization/org-{referral.to_institution_id}"},
    }
    if referral.status == "declined":
        task["statusReason"] = {"text": referral.decline_reason}
    orgs = {i.pk: _org(i) for i in (referral.from_institution, referral.to_institution, resident.clinic)}
    return [request, task, patient, practitioner, *orgs.values()]


def bundle(referral: Referral) -> dict:
    """The referral as a FHIR Bundle (JSON-ready dict), validated by fhir.resources."""
    data = {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{BASE}:{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources(referral)]}
    validated = Bundle.model_validate(data)
    return validated.model_dump(mode="json", exclude_none=True)
