"""Reads for the dashboard, laggards and the assessment: all from the snapshot table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from yilian.core.scoping import scope_for
from yilian.network.models import Institution, Region

from . import engine
from .models import Indicator, Pack, Snapshot, Target


def regions_for(user):
    return Region.objects.for_user(user).exclude(level=Region.Level.COMMUNITY)


def default_region(user) -> Region | None:
    """The supervisor's region; otherwise the district of the user's own institution."""
    scope = scope_for(user)
    if scope.region_paths:
        return Region.objects.filter(path=scope.region_paths[0]).first()
    if scope.is_admin:
        return Region.objects.filter(parent__isnull=True).order_by("path").first()
    institution = Institution.objects.for_user(user).select_related("region").order_by("pk").first()
    return institution.region.district() or institution.region if institution else None


def can_edit_indicators(user) -> bool:
    """Who may add or edit indicators and set their assessment weights: the city's own targets.

    Indicators carry no region (a pack names its city as text only) and every region's dashboard and
    assessment reads the same set, so their region is the root of the region tree (贵阳市 in the demo).
    An administrator or a supervisor of a root region may edit them; a district's supervisor may not.
    """
    scope = scope_for(user)
    return scope.is_admin or any(_is_root(path) for path in scope.region_paths)


def _is_root(region_path: str) -> bool:
    return region_path.strip("/").count("/") == 0  # "/00000001/": one segment, no parent


def indicators_with_targets(pack: Pack | None = None):
    queryset = Indicator.objects.select_related("pack").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("deadline")))
    return queryset.filter(pack=pack) if pack else queryset


@dataclass
class Line:
    indicator: Indicator
    value: float | None
    numerator: float | None
    denominator: float | None
    judgement: engine.Judgement

    @property
    def status(self) -> str:
        return self.judgement.status

    @property
    def status_label(self):
        return engine.Status.LABELS[self.status]

    @property
    def target(self):
        return self.judgement.target


def dashboard(region: Region, today: date, indicators=None) -> list[dict]:
    """Per pack, one line per indicator: value, target, deadline, status (one SUM query for all)."""
    indicators = list(indicators if indicators is not None else indicators_with_targets())
    figures = engine.region_figures(region, indicators)
    groups = defaultdict(list)
    for indicator in indicators:
        numerator, denominator = figures.get(indicator.pk, (None, None))
        value = engine.value_of(indicator, numerator, denominator) if engine.has_source(indicator) else None
        judgement = engine.judge(indicator, value, today, list(indicator.targets.all()))
        groups[indicator.pack].append(Line(indicator, value, numerator, denominator, judgement))
    ordered = sorted(groups.items(), key=lambda kv: (kv[0].seed_file, kv[0].slug))  # seed 000 first
    return [{"pack": pack, "lines": lines} for pack, lines in ordered]


def line_for(region: Region, indicator: Indicator, today: date) -> Line:
    return dashboard(region, today, [indicator])[0]["lines"][0]


def laggards(region: Region, today: date, indicators=None) -> list[dict]:
    """Institutions whose own figure of an indicator is at risk or missed."""
    indicators = {i.pk: i for i in (indicators if indicators is not None else indicators_with_targets())}
    found = []
    snaps = (Snapshot.objects.filter(period="", region_path__startswith=region.path, institution__isnull=False,
                                     indicator__in=list(indicators)).select_related("institution"))
    for snap in snaps:
        indicator = indicators[snap.indicator_id]
        value = engine.value_of(indicator, snap.numerator, snap.denominator)
        judgement = engine.judge(indicator, value, today, list(indicator.targets.all()))
        if judgement.status in engine.Status.LAGGING:
            found.append({"institution": snap.institution, "indicator": indicator, "value": value,
                          "judgement": judgement, "status_label": engine.Status.LABELS[judgement.status]})
    found.sort(key=lambda r: (r["institution"].name, r["indicator"].pack.slug, r["indicator"].position))
    return found
