"""Scenario services: start one (idempotent), run it in the worker with progress, the what-if.

The worker computes everything in memory and writes the results in one update at the end: a
scenario is either done with all its results or failed with a translated reason and no results.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE
from yilian.core.services import save_validated
from yilian.network.models import Institution, Region

from . import engine, locate, sources, synthetic
from .engine import PlanningError
from .models import Scenario

logger = logging.getLogger(__name__)

UNCOVERED_RESOLUTION = 9
MAX_MAP_EDGES = 60_000
MAX_MAP_CELLS = 4_000
CENTRE_KINDS = (Institution.Kind.COMMUNITY_CENTER, Institution.Kind.TOWNSHIP_CENTER)


def error_message(exc: PlanningError) -> str:
    """The planner's reason, in the scenario's language."""
    p = exc.params
    messages = {
        "bad_network_format": _("The walking network must be an OpenStreetMap extract (.osm.pbf or .osm) or "
                                "GeoJSON lines (.geojson)."),
        "bad_network_file": _("The walking network file could not be read; check that it is the file you meant."),
        "empty_network": _("The walking network has no walkable streets."),
        "bad_edges": _("The walking network refers to points that do not exist."),
        "bad_population_format": _("The population must be a CSV or GeoJSON file."),
        "bad_population_file": _("The population file could not be read: every row needs numbers for lon, lat "
                                 "and people."),
        "bad_population_columns": _("The population CSV needs the columns lon, lat and people."),
        "empty_population": _("The population file has no people."),
        "bad_population": _("The population file has a negative or missing number of people."),
        "bad_points_file": _("The candidate sites could not be read: a CSV with lon and lat columns, or GeoJSON "
                             "points."),
        "projected_coordinates": _("The %(what)s coordinates are not longitude and latitude in degrees (a "
                                   "projected file?). Export them as WGS-84 longitude/latitude.") % {
                                       "what": p.get("what", "")},
        "missing_coordinates": _("Some %(what)s coordinates are missing.") % {"what": p.get("what", "")},
        "bad_coordinates": _("The %(what)s coordinates are malformed.") % {"what": p.get("what", "")},
        "facility_without_coordinates": _("These facilities have no coordinates in the registry: %(names)s. "
                                          "Add them (or their latitude and longitude) first.") % {
                                              "names": p.get("names", "")},
        "no_facilities": _("There is no community health facility with coordinates in %(area)s.") % {
            "area": p.get("area", "")},
        "population_off_network": _("No one in the population file lives within %(m)s m of the walking "
                                    "network: the files do not cover the same place, or the coordinate system "
                                    "is wrong.") % {"m": p.get("m", "")},
        "k_exceeds_candidates": _("%(k)s new sites were asked for but there are only %(candidates)s candidate "
                                  "sites.") % {"k": p.get("k", ""), "candidates": p.get("candidates", "")},
        "bad_k": _("Ask for at least one new site."),
        "target_unreachable": _("Even every candidate site together does not reach the target share."),
        "bad_parameters": _("Walking speed 0.5–30 km/h, threshold 1–120 minutes, walk to a road up to 10 km."),
        "solver_failed": _("The optimiser found no solution; try fewer sites or more time."),
        "bad_change": _("The change on the map could not be applied (unknown facility or position)."),
        "not_ready": _("The scenario has no results yet."),
    }
    return messages.get(exc.code, _("The input could not be used: %(reason)s") % {"reason": str(exc)})


# ---------------------------------------------------------------------------- starting


def planning_regions(user):
    """Areas the user may plan: districts (and the city) under their supervision."""
    return Region.objects.for_user(user, CHANGE).filter(
        level__in=[Region.Level.CITY, Region.Level.DISTRICT]).order_by("path")


def scenario_start(*, by, data: dict, files: dict | None = None, client_key: str = "", language: str = "",
                   run_now: bool = False) -> Scenario:
    """Save the scenario (validated, or a ValidationError) and queue it; the same client_key twice
    returns the first scenario."""
    if client_key:
        existing = Scenario.objects.filter(client_key=client_key, created_by=by).first()
        if existing:
            return existing
    region = data["region"]
    if not planning_regions(by).filter(pk=region.pk).exists():
        raise ValidationError({"region": _("You do not plan for this area.")})
    files = files or {}
    source = data.get("source") or Scenario.Source.UPLOAD
    if source == Scenario.Source.UPLOAD and not (files.get("network_file") and files.get("population_file")):
        raise ValidationError(_("Upload a walking network and a population file, or choose the generated network."))
    scenario = Scenario(
        name=data["name"], region=region, source=source, datum=data.get("datum") or Scenario.Datum.WGS84,
        seed=data.get("seed") or 1, speed_kmh=data.get("speed_kmh") or 4.5,
        threshold_min=data.get("threshold_min") or 15, max_access_m=data.get("max_access_m") or 500,
        new_sites=data.get("new_sites") if data.get("new_sites") is not None else 3,
        target_share=data.get("target_share"), created_by=by, client_key=client_key or None,
        language=language or settings.LANGUAGE_CODE, message=_("Waiting for the worker…"))
    for field in ("network_file", "population_file", "candidates_file"):
        if files.get(field):
            getattr(scenario, field).save(files[field].name, files[field], save=False)
    save_validated(scenario, by)
    if run_now:
        scenario_run(scenario.pk)
    else:
        _enqueue(scenario)
    scenario.refresh_from_db()
    return scenario


def _enqueue(scenario: Scenario):
    from .tasks import run_scenario

    result = run_scenario.enqueue(scenario.pk)
    Scenario.objects.filter(pk=scenario.pk).update(task_id=str(result.id))


# ---------------------------------------------------------------------------- the worker


def _progress(scenario: Scenario, percent: int, message: str, **extra):
    Scenario.objects.filter(pk=scenario.pk).update(progress=percent, message=message[:500], **extra)


def scenario_run(scenario_id: int):
    """The worker's part. A scenario runs once; a retry of a finished or running one is a no-op."""
    with transaction.atomic():
        claimed = Scenario.objects.filter(pk=scenario_id, status=Scenario.Status.QUEUED).update(
            status=Scenario.Status.RUNNING, progress=1)
    if not claimed:
        return
    scenario = Scenario.objects.select_related("region", "created_by").get(pk=scenario_id)
    with translation.override(scenario.language or settings.LANGUAGE_CODE):
        try:
            results, prepared = compute(scenario, lambda pct, text: _progress(scenario, pct, text))
        except PlanningError as exc:
            _fail(scenario, error_message(exc))
            return
        except Exception:
            logger.exception("planning scenario %s failed", scenario.pk)
            _fail(scenario, _("The analysis stopped on an unexpected error; the administrator can see it in the "
                              "log."))
            return
        name = scenario.prepared.storage.save(f"planning/prepared/scenario-{scenario.pk}.npz", ContentFile(prepared))
        Scenario.objects.filter(pk=scenario.pk).update(
            results=results, prepared=name, covered_share=results["summary"]["covered_share"],
            status=Scenario.Status.DONE, progress=100, finished_at=timezone.now(),
            message=_("Done: %(share).1f %% of %(people)s people within %(min)s minutes.") % {
                "share": 100 * results["summary"]["covered_share"], "people": f"{results['summary']['people']:,.0f}",
                "min": f"{scenario.threshold_min:g}"})


def _fail(scenario, reason):
    Scenario.objects.filter(pk=scenario.pk).update(status=Scenario.Status.FAILED, message=reason[:500],
                                                   results={}, finished_at=timezone.now())


# ---------------------------------------------------------------------------- inputs


def registry_facilities(region: Region) -> list[Institution]:
    facilities = list(Institution.objects.filter(region__path__startswith=region.path,
                                                 kind__in=Institution.GRASSROOTS_KINDS).select_related("region"))
    missing = [f.name for f in facilities if f.latitude is None]
    if missing:
        raise PlanningError("facility_without_coordinates", names="、".join(missing[:10]))
    if not facilities:
        raise PlanningError("no_facilities", area=region.name)
    return facilities


def _ancestor_names(region_ids) -> dict[int, dict[str, str]]:
    """{region id: {level: name}} for the region and its ancestors (subdistrict, district…)."""
    regions = Region.objects.filter(pk__in=region_ids)
    ancestors = {r.pk: r for r in Region.objects.filter(
        pk__in={a for r in regions for a in r.ancestor_ids} | set(region_ids))}
    out = {}
    for r in regions:
        chain = [ancestors[a] for a in [*r.ancestor_ids, r.pk] if a in ancestors]
        out[r.pk] = {a.level: a.name for a in chain}
    return out


def generated_inputs(scenario: Scenario, facilities):
    """A street grid around the district's facilities, people labelled with its real communities."""
    lon0 = float(np.mean([float(f.longitude) for f in facilities]))
    lat0 = float(np.mean([float(f.latitude) for f in facilities]))
    city = synthetic.city(nodes=25_000, people=30_000, facilities=0, spacing_m=45, centre=(lon0, lat0),
                          seed=scenario.seed, people_per_point=12)
    communities = list(Region.objects.filter(path__startswith=scenario.region.path, level=Region.Level.COMMUNITY)
                       .order_by("path"))
    names = _ancestor_names([c.pk for c in communities])
    if communities:
        community, subdistrict = _label_by_anchor(city, communities, names, facilities, (lon0, lat0))
    else:
        community = np.array([f"#{b}" for b in city.community])
        subdistrict = np.array([f"#{b}" for b in city.subdistrict])
    edges = sources.Edges(lon=city.node_lon, lat=city.node_lat, u=city.edge_u, v=city.edge_v)
    pop = engine.Population(city.pop_lon, city.pop_lat, city.pop_people, community=community,
                            subdistrict=subdistrict, district=np.full(community.size, scenario.region.name))
    return edges, pop


def _label_by_anchor(city, communities, names, facilities, centre):
    """Give every generated home the nearest community 'anchor', so communities are contiguous areas:
    a community whose subdistrict has a facility is anchored near it, the others on a ring outside."""
    sub_of = {c.pk: names[c.pk].get(Region.Level.SUBDISTRICT, "") for c in communities}
    fac_names = _ancestor_names({f.region_id for f in facilities})
    sites = {}
    for f in facilities:
        sites.setdefault(fac_names.get(f.region_id, {}).get(Region.Level.SUBDISTRICT, ""),
                         (float(f.longitude), float(f.latitude)))
    anchors = []
    for i, c in enumerate(communities):
        angle = 2 * np.pi * i / len(communities)
        if sub_of[c.pk] in sites:
            lon, lat = sites[sub_of[c.pk]]
            anchors.append((lon + 0.006 * np.cos(angle), lat + 0.006 * np.sin(angle)))
        else:
            anchors.append((centre[0] + 0.03 * np.cos(angle), centre[1] + 0.03 * np.sin(angle)))
    anchors = np.array(anchors)
    nearest = np.argmin((city.pop_lon[:, None] - anchors[None, :, 0]) ** 2
                        + (city.pop_lat[:, None] - anchors[None, :, 1]) ** 2, axis=1)
    return (np.array([communities[i].name for i in nearest]),
            np.array([sub_of[communities[i].pk] for i in nearest]))


def uploaded_inputs(scenario: Scenario):
    with scenario.network_file.open("rb") as handle:
        raw = handle.read()
    suffix = "".join(_suffixes(scenario.network_file.name))
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:  # pyrosm and osmnx read paths, not bytes
        tmp.write(raw)
        tmp.flush()
        edges = sources.read_network(tmp.name, scenario.datum)
    with scenario.population_file.open("rb") as handle:
        pop = sources.read_population(handle.read(), scenario.population_file.name, scenario.datum)
    if pop.district is None:
        pop.district = np.full(pop.lon.size, scenario.region.name)
    return edges, pop


def _suffixes(name: str):
    lowered = name.lower()
    for suffix in (".osm.pbf", ".pbf", ".osm", ".geojson", ".json"):
        if lowered.endswith(suffix):
            return [suffix]
    return [".bin"]


# ---------------------------------------------------------------------------- the analysis


def compute(scenario: Scenario, progress) -> tuple[dict, bytes]:
    params = engine.Parameters(speed_kmh=scenario.speed_kmh, threshold_min=scenario.threshold_min,
                               max_access_m=scenario.max_access_m).validate()
    progress(5, _("Reading the facilities from the registry…"))
    facilities = registry_facilities(scenario.region)
    progress(10, _("Reading the walking network and the population…"))
    if scenario.source == Scenario.Source.GENERATED:
        edges, pop = generated_inputs(scenario, facilities)
    else:
        edges, pop = uploaded_inputs(scenario)
    net = edges.network().prepare()
    fac_lon = np.array([float(f.longitude) for f in facilities])
    fac_lat = np.array([float(f.latitude) for f in facilities])
    progress(30, _("Walking times from every home to the nearest facility…"))
    cov = engine.coverage(net, pop, fac_lon, fac_lat, params)
    if cov.far.all():
        raise PlanningError("population_off_network", m=f"{params.max_access_m:g}")
    cand_lon, cand_lat, cand_names = _candidates(scenario, net, cov)
    k = scenario.new_sites or 0
    if scenario.candidates_file and k > cand_lon.size:
        raise PlanningError("k_exceeds_candidates", k=k, candidates=cand_lon.size)
    k = min(k, cand_lon.size)  # candidates found in the uncovered areas: as many as there are
    progress(50, _("Choosing where new sites would cover the most people…"))
    plan = None
    if k:
        plan = locate.maximal_covering(net, cov, cand_lon, cand_lat, k, time_limit=20,
                                       target_share=scenario.target_share / 100 if scenario.target_share else None)
    progress(85, _("Writing the results…"))
    results = _results(scenario, net, cov, facilities, plan, cand_lon, cand_lat, cand_names)
    return results, _prepared_npz(edges, pop, fac_lon, fac_lat, params)


def _candidates(scenario, net, cov):
    if scenario.candidates_file:
        with scenario.candidates_file.open("rb") as handle:
            return sources.read_points(handle.read(), scenario.candidates_file.name, scenario.datum)
    lon, lat = locate.candidates_from_uncovered(net, cov, count=150)
    return lon, lat, [""] * lon.size


def _level_rows(cov, level):
    rows = [{"name": str(name) or "—", "people": people, "covered": covered,
             "share": covered / people if people else None} for name, (people, covered) in cov.shares(level).items()]
    return sorted(rows, key=lambda r: (r["share"] if r["share"] is not None else 2, r["name"]))


def _results(scenario, net, cov, facilities, plan, cand_lon, cand_lat, cand_names) -> dict:
    import h3

    names = _ancestor_names({f.region_id for f in facilities})
    catchments = cov.catchments()
    facility_rows = []
    for index, f in enumerate(facilities):
        people = float(catchments[index])
        facility_rows.append({
            "id": f.pk, "name": f.name, "kind": f.kind, "kind_label": str(f.get_kind_display()),
            "lon": float(f.longitude), "lat": float(f.latitude), "catchment": people,
            "verdict": "below" if people < 30_000 else "above" if people > 100_000 else "within",
            "subdistrict": names.get(f.region_id, {}).get(Region.Level.SUBDISTRICT, ""),
            "far": bool(cov.facility_far[index])})
    cells = sorted(cov.uncovered_cells(UNCOVERED_RESOLUTION).items(), key=lambda kv: -kv[1])
    cell_rows = [{"cell": c, "people": p, "boundary": [list(pt) for pt in h3.cell_to_boundary(c)]}
                 for c, p in cells[:MAX_MAP_CELLS]]
    results = {
        "summary": cov.summary() | {"facilities": len(facilities), "nodes": net.node_count,
                                    "edges": int(net.edge_u.size), "uncovered_cells": len(cells)},
        "params": {"speed_kmh": scenario.speed_kmh, "threshold_min": scenario.threshold_min,
                   "max_access_m": scenario.max_access_m, "new_sites": scenario.new_sites,
                   "target_share": scenario.target_share, "datum": scenario.datum},
        "levels": {level: _level_rows(cov, level) for level in ("district", "subdistrict", "community")},
        "facilities": facility_rows,
        "subdistricts_without_centre": _subdistricts_without_centre(scenario.region),
        "uncovered_cells": cell_rows,
        "network": _network_preview(net),
        "proposed": [], "plan": None, "set_cover": None,
    }
    results["summary"]["facilities_far"] = [facilities[i].name for i in results["summary"]["facilities_far"]]
    if plan:
        results.update(_plan_rows(plan, cov, cand_lon, cand_lat, cand_names))
    return results


def _plan_rows(plan, cov, cand_lon, cand_lat, cand_names):
    heuristic, exact = plan["heuristic"], plan["exact"]
    best = exact if exact and exact.covered >= heuristic.covered else heuristic
    total = cov.population.total
    rows = [{"lon": float(cand_lon[j]), "lat": float(cand_lat[j]), "name": cand_names[j] if j < len(cand_names) else ""}
            for j in best.chosen]
    summary = {
        "k": len(best.chosen), "method": best.method, "covered_new": best.covered,
        "share_after": (cov.covered_people + best.covered) / total,
        "heuristic_covered": heuristic.covered, "heuristic_seconds": heuristic.seconds,
        "exact_covered": exact.covered if exact else None, "exact_seconds": exact.seconds if exact else None,
        "bound": exact.bound if exact else None, "optimal": bool(exact and exact.optimal),
        "gap_pp": heuristic.gap_points(total) if exact is None else
        100.0 * max((exact.bound or exact.covered) - heuristic.covered, 0) / total,
        "candidates": int(cand_lon.size),
    }
    cover = plan.get("set_cover")
    set_cover = None
    if cover is not None:
        chosen = cover.get("exact") if cover.get("exact") is not None else cover.get("greedy")
        set_cover = {"sites": len(chosen), "greedy_sites": len(cover.get("greedy") or []),
                     "proven": bool(cover.get("exact_optimal")),
                     "points": [{"lon": float(cand_lon[j]), "lat": float(cand_lat[j])} for j in chosen]}
    return {"proposed": rows, "plan": summary, "set_cover": set_cover}


def _subdistricts_without_centre(region: Region) -> list[str]:
    subdistricts = Region.objects.filter(path__startswith=region.path, level=Region.Level.SUBDISTRICT)
    with_centre = set(Institution.objects.filter(region__path__startswith=region.path, kind__in=CENTRE_KINDS)
                      .values_list("region__path", flat=True))
    return sorted(s.name for s in subdistricts if not any(p.startswith(s.path) for p in with_centre))


def _network_preview(net) -> list[list[float]]:
    step = -(-net.edge_u.size // MAX_MAP_EDGES)
    u, v = net.edge_u[::step], net.edge_v[::step]
    return np.round(np.column_stack([net.lon[u], net.lat[u], net.lon[v], net.lat[v]]), 6).tolist()


def _prepared_npz(edges, pop, fac_lon, fac_lat, params) -> bytes:
    buffer = io.BytesIO()
    arrays = {"node_lon": edges.lon, "node_lat": edges.lat, "edge_u": edges.u, "edge_v": edges.v,
              "pop_lon": pop.lon, "pop_lat": pop.lat, "pop_people": pop.people, "fac_lon": fac_lon,
              "fac_lat": fac_lat, "params": np.array([params.speed_kmh, params.threshold_min, params.max_access_m])}
    if edges.length_m is not None:
        arrays["length_m"] = edges.length_m
    for level in ("community", "subdistrict"):
        labels = pop.labels(level)
        if labels is not None:
            arrays[level] = np.asarray(labels).astype(str)
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- what-if


@lru_cache(maxsize=2)
def _baseline(scenario_pk: int, prepared_name: str, finished_at=None) -> engine.WhatIf:
    from django.core.files.storage import default_storage

    with default_storage.open(prepared_name, "rb") as handle:
        data = np.load(io.BytesIO(handle.read()), allow_pickle=False)
        arrays = {k: data[k] for k in data.files}
    net = engine.Network.from_edges(arrays["node_lon"], arrays["node_lat"], arrays["edge_u"], arrays["edge_v"],
                                    arrays.get("length_m")).prepare()
    pop = engine.Population(arrays["pop_lon"], arrays["pop_lat"], arrays["pop_people"],
                            community=arrays.get("community"), subdistrict=arrays.get("subdistrict"))
    speed, threshold, access = arrays["params"].tolist()
    params = engine.Parameters(speed_kmh=speed, threshold_min=threshold, max_access_m=access)
    return engine.WhatIf(net, pop, arrays["fac_lon"], arrays["fac_lat"], params)


def what_if(scenario: Scenario, changes: list[dict]) -> dict:
    """Coverage after the planner's changes to the scenario's facilities: ``{"action": "add"|"move"|
    "remove", "facility": index (move/remove), "lon", "lat"}``. Starts from a copy of the cached
    baseline every time, so the answer depends only on the list of changes."""
    if scenario.status != Scenario.Status.DONE or not scenario.prepared:
        raise PlanningError("not_ready", "the scenario has no results yet")
    state = _baseline(scenario.pk, scenario.prepared.name, scenario.finished_at).copy()
    for change in changes[:50]:
        action = change.get("action")
        try:
            lon, lat = float(change.get("lon", "nan")), float(change.get("lat", "nan"))
            ident = int(change.get("facility", -1))
        except (TypeError, ValueError) as exc:
            raise PlanningError("bad_change", "a change needs numeric lon, lat and facility") from exc
        if action in ("move", "remove") and ident not in state.reach:
            raise PlanningError("bad_change", "no such facility")
        if action == "add":
            state.add(lon, lat)
        elif action == "move":
            state.move(ident, lon, lat)
        elif action == "remove":
            state.remove(ident)
        else:
            raise PlanningError("bad_change", "unknown action")
    shares = state.shares("community")
    return {"covered_share": state.covered_share(), "facilities": len(state.reach),
            "communities": [{"name": str(k), "people": p, "covered": c} for k, (p, c) in shares.items()]}
