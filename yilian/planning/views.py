"""Planning pages: scenarios (list, new, progress and results), the map with what-if, comparison,
exports. Thin: services and the engine do the work; every scenario goes through ``for_user``."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.views import file_response, save_form

from . import exports, services
from .engine import PlanningError
from .forms import ScenarioForm
from .models import Scenario


def _scenario(request, pk):
    return Scenario.objects.select_related("region", "created_by").get_for_user_or_404(request.user, pk=pk)


def _done(request, pk):
    scenario = _scenario(request, pk)
    if scenario.status != Scenario.Status.DONE:
        raise Http404
    return scenario


@login_required
def scenario_list(request):
    scenarios = Scenario.objects.for_user(request.user).select_related("region", "created_by")[:100]
    return render(request, "planning/list.html", {"scenarios": scenarios,
                                                  "can_plan": services.planning_regions(request.user).exists()})


@login_required
def scenario_new(request):
    if not services.planning_regions(request.user).exists():
        raise Http404
    form = ScenarioForm(request.POST or None, request.FILES or None, user=request.user)
    done = save_form(request, form, lambda data: services.scenario_start(
        by=request.user, data=data, files=request.FILES, client_key=data.get("client_key", ""),
        language=get_language()), lambda scenario: reverse("planning-detail", args=[scenario.pk]))
    return done or render(request, "planning/new.html", {"form": form})


@login_required
def scenario_detail(request, pk: int):
    """Progress (htmx polls the fragment until the worker is done), then the results."""
    scenario = _scenario(request, pk)
    results = scenario.results or {}
    context = {"scenario": scenario, "results": results}
    if results:
        titles = (("district", pgettext("planning", "district")), ("subdistrict", pgettext("planning", "subdistrict")),
                  ("community", pgettext("planning", "community")))
        context["levels"] = [(key, title, [row | {"pct": None if row["share"] is None else 100 * row["share"]}
                                           for row in results["levels"][key]]) for key, title in titles]
        context["covered_pct"] = 100 * results["summary"]["covered_share"]
        if results.get("plan"):
            context["share_after_pct"] = 100 * results["plan"]["share_after"]
    if request.htmx and request.GET.get("fragment") == "status":
        return render(request, "planning/_status.html", context)
    return render(request, "planning/detail.html", context)


@login_required
def scenario_map(request, pk: int):
    scenario = _done(request, pk)
    return render(request, "planning/map.html", {
        "scenario": scenario, "tile_url": getattr(settings, "YILIAN_MAP_TILE_URL", ""),
        "map_data_url": reverse("planning-map-data", args=[pk]), "whatif_url": reverse("planning-whatif", args=[pk]),
        "labels": {"baseline": _("As computed: %(share)s"), "changes": _("Changes on the map: %(n)s"),
                   "error": _("The what-if could not be computed."), "uncovered": _("%(n)s people not covered"),
                   "site": _("Proposed site %(n)s"), "newFacility": _("New facility")}})


@login_required
def scenario_map_data(request, pk: int):
    scenario = _done(request, pk)
    r = scenario.results
    return JsonResponse({key: r.get(key) for key in ("network", "facilities", "uncovered_cells", "proposed",
                                                     "summary", "set_cover")})


@login_required
@require_POST
def scenario_whatif(request, pk: int):
    """Coverage after the planner's moves on the map: body {"changes": [...]} (see services.what_if)."""
    scenario = _done(request, pk)
    try:
        changes = json.loads(request.body or b"{}").get("changes", [])
        if not isinstance(changes, list):
            raise ValueError
        return JsonResponse(services.what_if(scenario, changes))
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("The changes could not be read.")}, status=400)
    except PlanningError as exc:
        return JsonResponse({"error": services.error_message(exc)}, status=400)


@login_required
def scenario_compare(request):
    """Two to four scenarios side by side."""
    ids = [i for i in request.GET.getlist("s") if i.isdigit()][:4]
    scenarios = list(Scenario.objects.for_user(request.user).filter(pk__in=ids, status=Scenario.Status.DONE)
                     .select_related("region", "created_by"))
    choices = Scenario.objects.for_user(request.user).filter(status=Scenario.Status.DONE)[:50]
    rows = exports.comparison_rows(scenarios)
    return render(request, "planning/compare.html", {"scenarios": scenarios, "rows": rows, "choices": choices,
                                                     "selected": {int(i) for i in ids}})


@login_required
def scenario_export(request, pk: int, kind: str):
    scenario = _done(request, pk)
    if kind == "xlsx":
        return file_response(exports.scenario_xlsx(scenario), f"{scenario.name}.xlsx", exports.XLSX)
    if kind == "uncovered":
        return file_response(exports.uncovered_geojson(scenario), f"{scenario.name}-uncovered.geojson",
                             "application/geo+json")
    if kind == "sites":
        return file_response(exports.sites_geojson(scenario), f"{scenario.name}-sites.geojson",
                             "application/geo+json")
    raise Http404
