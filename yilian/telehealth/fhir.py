"""FHIR R4 export of a signed reading report: a collection Bundle of DiagnosticReport, the
ImagingStudy it read, an Observation with the conclusion (interpreted critical when it is), Patient,
the two Organizations and the signing Practitioner.

Validated with fhir.resources' R4B models (FHIR 4.3, wire-compatible with R4 for these resources),
like the referral export. It carries the resident's full ID number: callers audit it as an EXPORT.
"""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from yilian.referrals.fhir import BASE, ID_SYSTEM

from .models import Report, Study, StudyFile

LOINC = "http://loinc.org"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
CODES = {  # modality -> (LOINC report code, display, v2-0074 diagnostic service section)
    Study.Modality.ECG: ("11524-6", "EKG study", "EC"),
    Study.Modality.IMAGING: ("18748-4", "Diagnostic imaging study", "RAD"),
}


def _iso(moment):
    return moment.isoformat() if moment else None


def _org(institution):
    return {"resourceType": "Organization", "id": f"org-{institution.pk}", "name": institution.name,
            "identifier": [{"system": f"{BASE}:institution", "value": str(institution.pk)}]}


def _imaging_study(study: Study, files: list[StudyFile], patient_ref: str) -> dict:
    summary = study.summary or {}
    modality = summary.get("modality") or ("ECG" if study.modality == Study.Modality.ECG else "OT")
    resource = {
        "resourceType": "ImagingStudy", "id": f"imagingstudy-{study.pk}", "status": "available",
        "identifier": [{"system": f"{BASE}:study", "value": str(study.pk)}],
        "modality": [{"system": DICOM_DCM, "code": modality}],
        "subject": {"reference": patient_ref}, "started": _iso(study.sent_at),
        "numberOfInstances": len(files), "description": study.question[:200],
        "referrer": {"reference": f"Organization/org-{study.clinic_id}"},
    }
    if summary.get("study_uid"):
        resource["identifier"].append({"system": "urn:dicom:uid", "value": f"urn:oid:{summary['study_uid']}"})
    return resource


def resources(report: Report) -> list[dict]:
    study = report.study
    resident, user = study.resident, report.signed_by
    files = list(study.files.all())
    code, display, section = CODES[study.modality]
    patient = {"resourceType": "Patient", "id": f"patient-{resident.pk}",
               "identifier": [{"system": ID_SYSTEM, "value": resident.id_number}],
               "name": [{"text": resident.name}], "gender": resident.sex,
               "birthDate": resident.birth_date.isoformat(),
               "managingOrganization": {"reference": f"Organization/org-{resident.clinic_id}"}}
    patient_ref = f"Patient/{patient['id']}"
    practitioner = {"resourceType": "Practitioner", "id": f"practitioner-{user.pk}",
                    "identifier": [{"system": f"{BASE}:user", "value": user.get_username()}],
                    "name": [{"text": user.get_full_name() or user.get_username()}]}
    imaging = _imaging_study(study, files, patient_ref)
    observation = {
        "resourceType": "Observation", "id": f"finding-{report.pk}", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "18844-1" if study.modality == "ecg" else "19005-8",
                             "display": "EKG impression" if study.modality == "ecg" else "Imaging study Impression"}]},
        "subject": {"reference": patient_ref}, "effectiveDateTime": _iso(study.sent_at),
        "issued": _iso(report.signed_at), "performer": [{"reference": f"Practitioner/{practitioner['id']}"}],
        "valueString": report.conclusion,
        "derivedFrom": [{"reference": f"ImagingStudy/{imaging['id']}"}],
    }
    if report.critical:
        observation["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": "AA",
                                                      "display": "Critical abnormal"}]}]
    diagnostic = {
        "resourceType": "DiagnosticReport", "id": f"report-{report.pk}", "status": "final",
        "identifier": [{"system": f"{BASE}:report", "value": str(report.pk)}],
        "category": [{"coding": [{"system": CATEGORY, "code": section}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": patient_ref}, "effectiveDateTime": _iso(study.sent_at),
        "issued": _iso(report.signed_at),
        "performer": [{"reference": f"Organization/org-{study.centre_id}"}],
        "resultsInterpreter": [{"reference": f"Practitioner/{practitioner['id']}"}],
        "result": [{"reference": f"Observation/{observation['id']}"}],
        "imagingStudy": [{"reference": f"ImagingStudy/{imaging['id']}"}],
        "conclusion": f"{report.conclusion}\n{report.get_recommendation_display()}",
    }
    orgs = {i.pk: _org(i) for i in (study.clinic, study.centre, resident.clinic)}
    return [diagnostic, observation, imaging, patient, practitioner, *orgs.values()]


def bundle(report: Report) -> dict:
    """The report as a FHIR Bundle (JSON-ready dict), validated by fhir.resources."""
    data = {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{BASE}:{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources(report)]}
    return Bundle.model_validate(data).model_dump(mode="json", exclude_none=True)
