"""Annual assessment (年度考核): a weighted score per institution and per district for a year.

Each indicator with data and a weight > 0 contributes min(1, value / target) (a ceiling: min(1,
target / value)) against the target that applies to the year: the first deadline in or after the year.
The score is the weighted mean × 100 over the indicators the institution or district has a figure for.
Figures are computed live for the year's last day (or today), so past years can be assessed too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from yilian.network.models import Institution, Region

from . import engine, selectors
from .models import Indicator


@dataclass
class Part:
    value: float | None
    score: float | None


@dataclass
class Subject:
    obj: object  # Institution or Region
    parts: dict = field(default_factory=dict)  # indicator id -> Part
    numerators: dict = field(default_factory=dict)  # indicator id -> (numerator, denominator)

    @property
    def score(self) -> float | None:
        return None if not self.parts else self._score

    _score: float | None = None


@dataclass
class Result:
    year: int
    region: Region
    as_of: date
    indicators: list
    institutions: list
    districts: list


def target_for_year(indicator: Indicator, year: int):
    targets = sorted(indicator.targets.all(), key=lambda t: t.deadline)
    later = [t for t in targets if t.deadline.year >= year]
    return later[0] if later else (targets[-1] if targets else None)


def part_score(indicator: Indicator, value: float | None, target) -> float | None:
    if value is None or target is None:
        return None
    goal = float(target.value)
    if indicator.direction == Indicator.Direction.AT_MOST:
        return 1.0 if value <= goal else (goal / value if value else 1.0)
    return 1.0 if goal <= 0 else min(1.0, value / goal)


def assess(region: Region, year: int, today: date) -> Result:
    as_of = min(today, date(year, 12, 31))
    indicators = [i for i in selectors.indicators_with_targets() if engine.has_source(i) and i.weight > 0]
    institutions = {i.pk: i for i in Institution.objects.filter(region__path__startswith=region.path)
                    .select_related("region")}
    children = {r.path: r for r in region.children.all()}
    by_institution, by_district = defaultdict(dict), defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, False]))
    region_paths = dict(Region.objects.filter(path__startswith=region.path).values_list("pk", "path"))
    for indicator in indicators:
        for row in engine.rows_for(indicator, as_of):
            path = (institutions[row.institution_id].region.path if row.institution_id in institutions
                    else region_paths.get(row.region_id))
            if path is None:
                continue
            if row.institution_id in institutions:
                by_institution[row.institution_id][indicator.pk] = (row.numerator, row.denominator)
            sums = by_district[path[: len(region.path) + 9]][indicator.pk]
            sums[0] += row.numerator
            if row.denominator is not None:
                sums[1] += row.denominator
                sums[2] = True
    targets = {i.pk: target_for_year(i, year) for i in indicators}
    inst_subjects = [_subject(institutions[pk], figures, indicators, targets)
                     for pk, figures in by_institution.items()]
    district_subjects = [_subject(children[path], {k: (n, d if has else None) for k, (n, d, has) in figs.items()},
                                  indicators, targets)
                         for path, figs in by_district.items() if path in children]
    key = lambda s: (s.score is None, s.score or 0)  # noqa: E731 — lowest first, like the dashboard
    return Result(year=year, region=region, as_of=as_of,
                  indicators=[(i, targets[i.pk]) for i in indicators],
                  institutions=sorted(inst_subjects, key=key), districts=sorted(district_subjects, key=key))


def _subject(obj, figures: dict, indicators, targets) -> Subject:
    subject = Subject(obj=obj)
    weighted = total = 0.0
    for indicator in indicators:
        if indicator.pk not in figures:
            continue
        numerator, denominator = figures[indicator.pk]
        value = engine.value_of(indicator, numerator, denominator)
        score = part_score(indicator, value, targets[indicator.pk])
        subject.parts[indicator.pk] = Part(value, score)
        subject.numerators[indicator.pk] = (numerator, denominator)
        if score is not None:
            weighted += float(indicator.weight) * score
            total += float(indicator.weight)
    subject._score = round(weighted / total * 100, 1) if total else None
    return subject
