"""REST endpoints of planning (mounted as ``api.add_router("v1/", router)``): read the scenarios of
the user's area and ask a what-if. Scenarios are started from the web form (files are uploaded there)."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema
from ninja.errors import HttpError

from yilian.network.api import MAX_DB_INT

from . import services
from .engine import PlanningError
from .models import Scenario

router = Router(tags=["planning"])


class ScenarioOut(Schema):
    id: int
    name: str
    region: str
    status: str
    progress: int
    message: str
    covered_share: float | None
    speed_kmh: float
    threshold_min: float
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_region(obj):
        return obj.region.name


class ScenarioDetailOut(ScenarioOut):
    summary: dict | None = None
    levels: dict | None = None
    facilities: list | None = None
    proposed: list | None = None
    plan: dict | None = None

    @staticmethod
    def resolve_summary(obj):
        return obj.results.get("summary")

    @staticmethod
    def resolve_levels(obj):
        return obj.results.get("levels")

    @staticmethod
    def resolve_facilities(obj):
        return obj.results.get("facilities")

    @staticmethod
    def resolve_proposed(obj):
        return obj.results.get("proposed")

    @staticmethod
    def resolve_plan(obj):
        return obj.results.get("plan")


class WhatIfIn(Schema):
    changes: list[dict]


@router.get("/planning/scenarios", response=list[ScenarioOut])
def scenario_list(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_DB_INT)):
    return list(Scenario.objects.for_user(request.auth_user).select_related("region")[offset:offset + limit])


@router.get("/planning/scenarios/{int:scenario_id}", response=ScenarioDetailOut)
def scenario_detail(request, scenario_id: int):
    return Scenario.objects.select_related("region").get_for_user_or_404(request.auth_user, pk=scenario_id)


@router.post("/planning/scenarios/{int:scenario_id}/whatif")
def scenario_whatif(request, scenario_id: int, payload: WhatIfIn):
    scenario = Scenario.objects.get_for_user_or_404(request.auth_user, pk=scenario_id)
    try:
        return services.what_if(scenario, payload.changes)
    except PlanningError as exc:
        raise HttpError(400, services.error_message(exc)) from exc
