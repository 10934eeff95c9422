"""REST endpoints of indicators (mounted as ``api.add_router("v1/", router)``): the dashboard's
figures and the annual assessment as FHIR R4 MeasureReports."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Response

from yilian.network.models import Region

from . import assessment, fhir, selectors

router = Router(tags=["indicators"])


class LineOut(Schema):
    pack: str
    code: str
    name_zh: str
    name_en: str
    unit: str
    value: float | None
    target: float | None
    deadline: str | None
    status: str
    source: str


def _region(user, region_id: int) -> Region:
    try:
        return selectors.regions_for(user).get(pk=region_id)
    except Region.DoesNotExist as exc:
        raise Http404 from exc


@router.get("/indicators/dashboard/{int:region_id}", response=list[LineOut])
def dashboard(request, region_id: int):
    region = _region(request.auth_user, region_id)
    out = []
    for group in selectors.dashboard(region, timezone.localdate()):
        for line in group["lines"]:
            target = line.target
            out.append({"pack": group["pack"].slug, "code": line.indicator.code, "name_zh": line.indicator.name_zh,
                        "name_en": line.indicator.name_en, "unit": line.indicator.unit, "value": line.value,
                        "target": float(target.value) if target else None,
                        "deadline": target.deadline.isoformat() if target else None, "status": line.status,
                        "source": line.indicator.source_sentence})
    return out


@router.get("/indicators/assessment/{int:region_id}/{int:year}/fhir")
def assessment_fhir(request, region_id: int, year: int):
    region = _region(request.auth_user, region_id)
    if not 2000 <= year <= 2100:
        raise Http404
    result = assessment.assess(region, year, timezone.localdate())
    return Response(fhir.bundle(result), json_dumps_params={"ensure_ascii": False})
