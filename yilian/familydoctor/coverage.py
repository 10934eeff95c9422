"""Coverage and performance of family-doctor contracts, per community, clinic and district.

Three grouped aggregate queries (tags × active contracts; planned visits due; hypertensive
residents' last blood pressure), each returning one row per (clinic, community, …); the roll-up
to clinics and districts happens on those few rows in Python. Lowest coverage first.

For a city of a million residents those queries take seconds, too long for a dashboard many
supervisors open. So the worker keeps the cells of today per clinic (``CoverageCell``), and a
clinic's cells count as current until a change of its residents, tags, contracts or visits is
committed (``coverage_changed``: saves through the models' signals, bulk writes by explicit calls).
A view reads the current cells and computes only the other clinics live: its figures are always
those of now, whether the worker has caught up or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.core.scoping import any_of, ids_in, scope_for, under_regions
from yilian.network.models import Institution, Region

from .models import ResidentTag, Tag
from .models_care import Contract, CoverageTarget, PlannedVisit, VisitRecord
from .models_coverage import CoverageCell, CoverageState

DEFAULT_TARGET = 85  # per cent; the seeds' key-population target (elderly first)
LEVELS = {"community": pgettext_lazy("coverage level", "Community"),
          "clinic": pgettext_lazy("coverage level", "Clinic"),
          "district": pgettext_lazy("coverage level", "District")}


def targets() -> dict[str, int]:
    configured = dict(CoverageTarget.objects.values_list("population", "percent"))
    return {kind: configured.get(kind, DEFAULT_TARGET) for kind in Tag.values}


@dataclass
class Row:
    level: str
    key: int | None
    name: str
    population: dict[str, list[int]] = field(default_factory=dict)  # kind → [members, contracted]
    due: int = 0
    on_time: int = 0
    hypertensive: int = 0
    controlled: int = 0

    def add(self, other: Row):
        for kind, (members, contracted) in other.population.items():
            total = self.population.setdefault(kind, [0, 0])
            total[0] += members
            total[1] += contracted
        self.due += other.due
        self.on_time += other.on_time
        self.hypertensive += other.hypertensive
        self.controlled += other.controlled

    def coverage(self, kind: str) -> float | None:
        members, contracted = self.population.get(kind, (0, 0))
        return contracted / members * 100 if members else None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due * 100 if self.due else None

    @property
    def controlled_share(self) -> float | None:
        return self.controlled / self.hypertensive * 100 if self.hypertensive else None


def _active_on(prefix: str, day: dt.date) -> Q:
    return Q(**{f"{prefix}status": Contract.Status.ACTIVE, f"{prefix}start__lte": day, f"{prefix}end__gte": day})


def clinics_in_scope(user):
    """The grassroots institutions whose residents the user may read: the rule of ``Resident.scope_q``
    (clinic staff: their clinics; supervisors: the clinics in their regions), resolved to a short
    list of ids so that the aggregates below filter on an indexed column instead of a join."""
    scope = scope_for(user)
    clinics = Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS)
    if scope.is_admin:
        return clinics
    return clinics.filter(any_of([ids_in(scope.clinic_ids), under_regions(scope.region_paths, "region__path")]))


def _cells(clinic_ids: list[int], day: dt.date) -> dict[tuple[int, int | None], Row]:
    """(clinic id, community id) → Row, from three aggregate queries over the clinics' residents."""
    cells: dict[tuple[int, int | None], Row] = {}

    def cell(clinic_id, community_id):
        return cells.setdefault((clinic_id, community_id), Row("cell", None, ""))

    tags = (ResidentTag.objects.filter(resident__clinic_id__in=clinic_ids)
            .alias(active=FilteredRelation("resident__contracts", condition=_active_on("resident__contracts__", day)))
            .values("resident__clinic_id", "resident__community_id", "kind")
            .annotate(members=Count("pk"), contracted=Count("active__pk")))
    for r in tags:
        cell(r["resident__clinic_id"], r["resident__community_id"]).population[r["kind"]] = [
            r["members"], r["contracted"]]

    planned = (PlannedVisit.objects.filter(contract__clinic_id__in=clinic_ids, due__lte=day)
               .exclude(status=PlannedVisit.Status.CANCELLED)
               .values("contract__resident__clinic_id", "contract__resident__community_id")
               .annotate(due_count=Count("pk"),
                         on_time=Count("pk", filter=Q(status=PlannedVisit.Status.DONE, done_on__lte=F("due")))))
    for r in planned:
        row = cell(r["contract__resident__clinic_id"], r["contract__resident__community_id"])
        row.due, row.on_time = r["due_count"], r["on_time"]

    # one correlated lookup per contracted hypertensive resident, on the (resident, date) index
    controlled = ExpressionWrapper(Q(systolic__lt=140, diastolic__lt=90), output_field=BooleanField())
    last = (VisitRecord.objects.filter(resident_id=OuterRef("resident_id"), systolic__isnull=False)
            .order_by("-date", "-pk").annotate(ok=controlled).values("ok")[:1])
    hypertensive = (Contract.objects.filter(_active_on("", day), clinic_id__in=clinic_ids,
                                            resident__tags__kind=Tag.HYPERTENSION)
                    .annotate(last_ok=Subquery(last, output_field=BooleanField()))
                    .values("resident__clinic_id", "resident__community_id")
                    .annotate(n=Count("pk"), ok=Count("pk", filter=Q(last_ok=True))))
    for r in hypertensive:
        row = cell(r["resident__clinic_id"], r["resident__community_id"])
        row.hypertensive, row.controlled = r["n"], r["ok"]
    return cells


def _district_of(region: Region, by_id: dict[int, Region]) -> Region:
    node = region
    while node is not None and node.level not in (Region.Level.DISTRICT, Region.Level.CITY, Region.Level.PROVINCE):
        node = by_id.get(node.parent_id) if node.parent_id else None
    return node or region


def coverage_report(user, *, level: str = "clinic", population: str = Tag.ELDERLY_65,
                    day: dt.date | None = None) -> list[Row]:
    """Rows of ``level`` (community, clinic or district) the user may see, lowest coverage of
    ``population`` first (rows without members of that population last)."""
    day = day or timezone.localdate()
    cells = _report_cells(list(clinics_in_scope(user).values_list("pk", flat=True)), day)
    clinic_ids = {c for c, _x in cells}
    clinics = {i.pk: i for i in Institution.objects.filter(pk__in=clinic_ids).select_related("region")}
    regions = {r.pk: r for r in Region.objects.filter(
        Q(pk__in=[k for _c, k in cells if k]) | Q(level__in=[Region.Level.DISTRICT, Region.Level.SUBDISTRICT,
                                                              Region.Level.CITY]))}
    for clinic in clinics.values():
        regions.setdefault(clinic.region_id, clinic.region)
    rows: dict[tuple, Row] = {}
    for (clinic_id, community_id), cell in cells.items():
        if level == "community":
            key = community_id
            name = regions[community_id].name if community_id in regions else str(_("(no community)"))
        elif level == "district":
            district = _district_of(clinics[clinic_id].region, regions)
            key, name = district.pk, district.name
        else:
            key, name = clinic_id, clinics[clinic_id].display_name
        rows.setdefault((level, key), Row(level, key, name)).add(cell)

    def order(row: Row):
        value = row.coverage(population)
        return (value is None, value if value is not None else 0, row.name)

    return sorted(rows.values(), key=order)


# ------------------------------------------------------------------- the worker's snapshot


def _max_age() -> dt.timedelta:
    """Cells older than this are computed again even without a recorded change: a bound on how long a
    change made by a path that does not report it (a raw SQL fix, a new bulk write) can go unseen."""
    return dt.timedelta(minutes=getattr(settings, "YILIAN_COVERAGE_MAX_AGE_MINUTES", 60))


def _current_states(clinic_ids, day: dt.date):
    return CoverageState.objects.filter(
        clinic_id__in=clinic_ids, day=day, computed_at__gt=timezone.now() - _max_age()).filter(
        Q(changed_at__isnull=True) | Q(changed_at__lt=F("computed_at")))


def _report_cells(clinic_ids: list[int], day: dt.date) -> dict[tuple[int, int | None], Row]:
    """The cells of ``clinic_ids``: today's from the snapshot where it is current, the rest live."""
    if day != timezone.localdate():
        return _cells(clinic_ids, day)
    current = set(_current_states(clinic_ids, day).values_list("clinic_id", flat=True))
    cells = {(c.clinic_id, c.community_id): Row("cell", None, "", population=c.population, due=c.due,
                                                on_time=c.on_time, hypertensive=c.hypertensive,
                                                controlled=c.controlled)
             for c in CoverageCell.objects.filter(day=day, clinic_id__in=current)}
    stale = [pk for pk in clinic_ids if pk not in current]
    if stale:
        cells.update(_cells(stale, day))
    return cells


def coverage_changed(clinic_ids) -> None:
    """Record, once the transaction commits, that these clinics' figures changed. Stamped after the
    commit: a computation that began before it cannot have seen the change, and counts as stale."""
    ids = sorted({pk for pk in clinic_ids if pk})
    if ids:
        transaction.on_commit(lambda: _stamp_changed(ids))


def _stamp_changed(clinic_ids: list[int]):
    # an upsert: a computation under way for a clinic without a state row yet must still end stale
    now = timezone.now()
    CoverageState.objects.bulk_create([CoverageState(clinic_id=pk, changed_at=now) for pk in clinic_ids],
                                      update_conflicts=True, unique_fields=["clinic"], update_fields=["changed_at"])


def refresh_coverage(*, batch: int = 10, refresh_after: dt.timedelta | None = None) -> int:
    """The worker's part: compute today's cells of every grassroots clinic whose cells are not current
    (or are older than ``refresh_after``, half the maximum age by default). Returns the clinics done."""
    day = timezone.localdate()
    refresh_after = refresh_after if refresh_after is not None else _max_age() / 2
    clinic_ids = list(Institution.objects.filter(kind__in=Institution.GRASSROOTS_KINDS).values_list("pk", flat=True))
    fresh = set(_current_states(clinic_ids, day).filter(computed_at__gt=timezone.now() - refresh_after)
                .values_list("clinic_id", flat=True))
    todo = [pk for pk in clinic_ids if pk not in fresh]
    for start in range(0, len(todo), batch):
        _store(todo[start:start + batch], day)
    return len(todo)


def _store(clinic_ids: list[int], day: dt.date):
    began = timezone.now()
    cells = _cells(clinic_ids, day)
    with transaction.atomic():
        CoverageCell.objects.filter(clinic_id__in=clinic_ids).delete()
        CoverageCell.objects.bulk_create([
            CoverageCell(day=day, clinic_id=clinic_id, community_id=community_id, population=row.population,
                         due=row.due, on_time=row.on_time, hypertensive=row.hypertensive,
                         controlled=row.controlled)
            for (clinic_id, community_id), row in cells.items()])
        CoverageState.objects.bulk_create(
            [CoverageState(clinic_id=pk, day=day, computed_at=began) for pk in clinic_ids],
            update_conflicts=True, unique_fields=["clinic"], update_fields=["day", "computed_at"])
