"""The annual assessment as FHIR R4 MeasureReports (one per district and institution, one group per
indicator), in a collection Bundle validated with fhir.resources' R4B models (wire-compatible with R4
for MeasureReport)."""

from __future__ import annotations

from datetime import date

from fhir.resources.R4B.bundle import Bundle

BASE = "urn:yilian"
POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"


def _group(indicator, part, figures) -> dict:
    group = {"code": {"coding": [{"system": f"{BASE}:indicator", "code": f"{indicator.pack.slug}/{indicator.code}",
                                  "display": indicator.name_zh}], "text": indicator.name_en}}
    numerator, denominator = figures
    populations = [{"code": {"coding": [{"system": POPULATION, "code": "numerator"}]}, "count": int(numerator)}]
    if denominator is not None:
        populations.append({"code": {"coding": [{"system": POPULATION, "code": "denominator"}]},
                            "count": int(denominator)})
    group["population"] = populations
    if part.value is not None:
        group["measureScore"] = {"value": part.value, "unit": indicator.unit}
    return group


def _report(subject, kind: str, result, period_end: date) -> dict:
    indicators = {i.pk: i for i, _t in result.indicators}
    if kind == "institution":
        ref = {"reference": f"Organization/org-{subject.obj.pk}", "display": subject.obj.name}
    else:
        ref = {"reference": f"Location/region-{subject.obj.pk}", "display": subject.obj.name}
    report = {
        "resourceType": "MeasureReport", "id": f"assessment-{result.year}-{kind}-{subject.obj.pk}",
        "status": "complete", "type": "summary", "measure": f"{BASE}:measure:annual-assessment",
        "subject": ref, "date": period_end.isoformat(),
        "period": {"start": date(result.year, 1, 1).isoformat(), "end": period_end.isoformat()},
        "group": [_group(indicators[pk], part, subject.numerators[pk]) for pk, part in subject.parts.items()],
    }
    if subject.score is not None:
        report["extension"] = [{"url": f"{BASE}:assessment-score", "valueDecimal": subject.score}]
    if not report["group"]:
        del report["group"]
    return report


def bundle(result) -> dict:
    reports = [_report(s, "district", result, result.as_of) for s in result.districts]
    reports += [_report(s, "institution", result, result.as_of) for s in result.institutions]
    data = {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{BASE}:MeasureReport/{r['id']}", "resource": r} for r in reports]}
    return Bundle.model_validate(data).model_dump(mode="json", exclude_none=True)
