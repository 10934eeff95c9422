"""The indicator engine: definitions → (numerator, denominator) per institution or region → snapshot.

A region's figure is the sum of the numerators over the sum of the denominators of the rows under it,
so the dashboard of a city is a handful of prefix-filtered SUMs over the snapshot table, whatever the
size of the data behind it. ``refresh`` rebuilds the snapshot (a job, and after every ledger write
for the indicators that read the written model).

Status (met / on track / at risk / missed) against the nearest target not yet past its deadline:
- met: the value reaches the target;
- missed: the deadline has passed without reaching it;
- on track: at least where a straight line from the previous target (or zero at the programme's
  start) to this target stands today; at risk: below that line. A ceiling ("at most", e.g. minutes)
  has no line: below the ceiling is met, above it at risk until the deadline, then missed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.db import models, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yilian.network.models import Institution, Region

from . import registry
from .models import Indicator, RefreshState, Snapshot
from .registry import Row

TREND_MONTHS = 6
logger = logging.getLogger(__name__)


class Status:
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"
    NO_SOURCE = "no_source"

    LABELS = {MET: _("met"), ON_TRACK: _("on track"), AT_RISK: _("at risk"), MISSED: _("missed"),
              NO_DATA: _("no data"), NO_SOURCE: _("no data source yet")}
    LAGGING = frozenset({AT_RISK, MISSED})


# ------------------------------------------------------------------------------------------ computing


def has_source(indicator: Indicator) -> bool:
    return "query" in indicator.definition or registry.get(indicator.metric_name) is not None


def rows_for(indicator: Indicator, as_of: date) -> list[Row]:
    if "query" in indicator.definition:
        return query_rows(indicator.definition["query"], as_of)
    metric = registry.get(indicator.metric_name)
    return list(metric.function(as_of)) if metric else []


def query_rows(query: dict, as_of: date) -> list[Row]:
    period = query.get("period", "all")
    numerators = _side(query["numerator"], as_of, period)
    if query.get("denominator") is None:
        return [_row(key, num, None) for key, num in numerators.items()]
    denominators = _side(query["denominator"], as_of, period)
    keys = set(numerators) | set(denominators)
    return [_row(key, numerators.get(key, 0), denominators.get(key, 0)) for key in keys]


def _row(key, numerator, denominator) -> Row:
    kind, pk = key
    return Row(numerator=float(numerator or 0), denominator=None if denominator is None else float(denominator),
               institution_id=pk if kind == "institution" else None, region_id=pk if kind == "region" else None)


def _side(side: dict, as_of: date, period: str) -> dict:
    model = apps.get_model(side["model"])
    queryset = model._default_manager.filter(**(side.get("filter") or {})).exclude(**(side.get("exclude") or {}))
    if side.get("date"):
        queryset = in_period(queryset, model, side["date"], as_of, period)
    by = side["by"]
    kind = "institution" if ends_at(model, by) is Institution else "region"
    aggregate = Sum(side["sum"]) if side.get("sum") else Count(side.get("distinct", "pk"), distinct=True)
    grouped = queryset.order_by().values(by).annotate(v=aggregate).values_list(by, "v")
    return {(kind, pk): value for pk, value in grouped if pk is not None}


def ends_at(model, lookup: str):
    if lookup in ("id", "pk"):
        return model
    for part in lookup.split("__"):
        model = model._meta.get_field(part).related_model
    return model


def in_period(queryset, model, field: str, as_of: date, period: str):
    last = model._meta.get_field(field.split("__")[0])
    lookup = f"{field}__date" if isinstance(last, models.DateTimeField) and "__" not in field else field
    queryset = queryset.filter(**{f"{lookup}__lte": as_of})
    if period == "year":
        queryset = queryset.filter(**{f"{lookup}__gte": date(as_of.year, 1, 1)})
    return queryset


def value_of(indicator: Indicator, numerator: float | None, denominator: float | None) -> float | None:
    """The figure in the indicator's unit: a share scaled (×100 for %, ×1000 per thousand) or a count."""
    if numerator is None:
        return None
    default = indicator.definition.get("scale", 100 if _is_share(indicator) else 1)
    scale = float(indicator.definition.get("query", {}).get("scale", default))
    if denominator is None:
        return _tidy(numerator * scale)
    if not denominator:
        return None
    return _tidy(numerator / denominator * scale)


def _tidy(value: float) -> float | int:
    """Two decimals; whole numbers without ".0" (41 pilots, not 41.0)."""
    value = round(value, 2)
    return int(value) if value == int(value) else value


def _is_share(indicator: Indicator) -> bool:
    return indicator.unit.strip() == "%"


# --------------------------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Judgement:
    status: str
    target: object  # Target or None
    expected: float | None = None


def judge(indicator: Indicator, value: float | None, today: date, targets=None) -> Judgement:
    targets = sorted(targets if targets is not None else indicator.targets.all(), key=lambda t: t.deadline)
    if not has_source(indicator):
        return Judgement(Status.NO_SOURCE, _current_target(targets, today))
    target = _current_target(targets, today)
    if value is None or target is None:
        return Judgement(Status.NO_DATA, target)
    goal = float(target.value)
    ceiling = indicator.direction == Indicator.Direction.AT_MOST
    if (value <= goal) if ceiling else (value >= goal):
        return Judgement(Status.MET, target)
    if target.deadline < today:
        return Judgement(Status.MISSED, target)
    if ceiling:
        return Judgement(Status.AT_RISK, target)
    expected = _expected(indicator, targets, target, today)
    return Judgement(Status.ON_TRACK if value >= expected else Status.AT_RISK, target, round(expected, 2))


def _current_target(targets, today):
    upcoming = [t for t in targets if t.deadline >= today]
    return upcoming[0] if upcoming else (targets[-1] if targets else None)


def _expected(indicator, targets, target, today) -> float:
    earlier = [t for t in targets if t.deadline < target.deadline]
    start, base = (earlier[-1].deadline, float(earlier[-1].value)) if earlier else (indicator.pack.start, 0.0)
    span = (target.deadline - start).days
    fraction = 1.0 if span <= 0 else min(1.0, max(0.0, (today - start).days / span))
    return base + (float(target.value) - base) * fraction


# ------------------------------------------------------------------------------------------- snapshot


def _paths():
    institutions = dict(Institution.objects.values_list("pk", "region__path"))
    regions = dict(Region.objects.values_list("pk", "path"))
    return institutions, regions


def _snapshot_rows(indicator, rows, period, paths, now) -> list[Snapshot]:
    institution_paths, region_paths = paths
    out = []
    for row in rows:
        path = institution_paths.get(row.institution_id) if row.institution_id else region_paths.get(row.region_id)
        if path is None:
            continue
        out.append(Snapshot(indicator=indicator, institution_id=row.institution_id, region_id=row.region_id,
                            region_path=path, period=period, numerator=row.numerator,
                            denominator=row.denominator, computed_at=now))
    return out


def month_ends(today: date, months: int = TREND_MONTHS) -> list[date]:
    """The last day of each of the ``months`` months before today's month, oldest first."""
    ends, first = [], today.replace(day=1)
    for _i in range(months):
        end = first - timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return ends[::-1]


def refresh(indicators=None, *, today: date | None = None, trend: bool = True) -> int:
    """Recompute the snapshot of ``indicators`` (all by default); returns the rows written."""
    today = today or timezone.localdate()
    now = timezone.now()
    indicators = list(indicators if indicators is not None else Indicator.objects.select_related("pack"))
    paths = _paths()
    written = 0
    for indicator in indicators:
        if not has_source(indicator):
            continue
        batches = [("", today)] + ([(d.strftime("%Y-%m"), d) for d in month_ends(today)] if trend else [])
        rows = [snap for period, day in batches
                for snap in _snapshot_rows(indicator, rows_for(indicator, day), period, paths, now)]
        with transaction.atomic():
            stale = Snapshot.objects.filter(indicator=indicator)
            if not trend:
                stale = stale.filter(period="")
            stale.delete()
            Snapshot.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    if indicators and len(indicators) == Indicator.objects.count():
        RefreshState.objects.update_or_create(key="all", defaults={"refreshed_at": now, "dirty": False})
    return written


def indicators_reading(model_label: str):
    """Indicators whose figures read ``app_label.modelname`` (lower case): refreshed after its writes."""
    label = model_label.lower()
    found = []
    for indicator in Indicator.objects.select_related("pack"):
        query = indicator.definition.get("query")
        if query:
            sides = [query["numerator"], query.get("denominator") or {}]
            if any(str(s.get("model", "")).lower() == label for s in sides):
                found.append(indicator)
        else:
            metric = registry.get(indicator.metric_name)
            if metric and label in metric.models:
                found.append(indicator)
    return found


def refresh_after_write(model_label: str):
    """After a ledger or survey write commits: the affected indicators' current figures, at once.

    The write itself is already saved: a failing figure must not turn it into an error page, so the
    failure is logged and left to the hourly refresh.
    """

    def run():
        try:
            refresh(indicators_reading(model_label), trend=False)
        except Exception:  # noqa: BLE001 — logged; the periodic refresh retries
            logger.exception("indicator refresh after a write to %s failed", model_label)
            RefreshState.objects.update_or_create(key="all", defaults={"dirty": True})

    transaction.on_commit(run)


# -------------------------------------------------------------------------------------------- reading


def region_figures(region: Region, indicators, period: str = "") -> dict[int, tuple[float, float | None]]:
    """{indicator id: (numerator sum, denominator sum or None)} for everything under ``region``."""
    sums = (Snapshot.objects.filter(period=period, region_path__startswith=region.path,
                                    indicator__in=[i.pk for i in indicators])
            .values("indicator").annotate(n=Sum("numerator"), d=Sum("denominator"), rows=Count("pk"),
                                          with_den=Count("denominator")))
    return {s["indicator"]: (s["n"], s["d"] if s["with_den"] else None) for s in sums}


def trend(region: Region, indicator: Indicator, today: date) -> list[tuple[str, float | None]]:
    periods = [d.strftime("%Y-%m") for d in month_ends(today)]
    sums = (Snapshot.objects.filter(indicator=indicator, period__in=periods, region_path__startswith=region.path)
            .values("period").annotate(n=Sum("numerator"), d=Sum("denominator"), with_den=Count("denominator")))
    by_period = {s["period"]: value_of(indicator, s["n"], s["d"] if s["with_den"] else None) for s in sums}
    current = region_figures(region, [indicator]).get(indicator.pk)
    points = [(p, by_period.get(p)) for p in periods]
    points.append((today.strftime("%Y-%m-%d"), value_of(indicator, *current) if current else None))
    return points


def child_region_breakdown(region: Region, indicator: Indicator) -> list[dict]:
    """Per child region (districts of a city…), lowest value first."""
    children = {r.path: r for r in region.children.all()}
    sums = defaultdict(lambda: [0.0, 0.0, False])
    for snap in Snapshot.objects.filter(indicator=indicator, period="", region_path__startswith=region.path).only(
            "region_path", "numerator", "denominator"):
        key = snap.region_path[: len(region.path) + 9]
        if key in children:
            sums[key][0] += snap.numerator
            if snap.denominator is not None:
                sums[key][1] += snap.denominator
                sums[key][2] = True
    rows = [{"region": children[p], "value": value_of(indicator, n, d if has_den else None), "numerator": n,
             "denominator": d if has_den else None} for p, (n, d, has_den) in sums.items()]
    return sorted(rows, key=_lowest_first)


def institution_breakdown(region: Region, indicator: Indicator, limit: int | None = None) -> list[dict]:
    snaps = (Snapshot.objects.filter(indicator=indicator, period="", region_path__startswith=region.path,
                                     institution__isnull=False).select_related("institution"))
    rows = [{"institution": s.institution, "value": value_of(indicator, s.numerator, s.denominator),
             "numerator": s.numerator, "denominator": s.denominator} for s in snaps]
    rows.sort(key=_lowest_first)
    return rows[:limit] if limit else rows


def _lowest_first(row):
    return (row["value"] is None, row["value"] if row["value"] is not None else 0)
