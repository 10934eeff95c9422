"""Reads for the registry pages: the responsibility table (annex 1) and the home page figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.utils import timezone

from yilian.core.scoping import VIEW

from .models import Institution, Pairing, PilotCommunity, Region


@dataclass
class TableRow:
    """One pilot community of annex 1 with the clinics serving it and the hospitals assisting them."""

    pilot: PilotCommunity
    clinics: list[Institution]
    hospitals: list[Institution]
    pairings: list[Pairing]

    @property
    def clinics_text(self) -> str:
        return "、".join(c.name for c in self.clinics)

    @property
    def hospitals_text(self) -> str:
        return "、".join(h.display_name for h in self.hospitals)

    @property
    def unpaired(self) -> bool:
        return not self.hospitals


@dataclass
class DistrictBlock:
    district: Region | None
    rows: list[TableRow] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.district.name if self.district else "—"


def _district_of(region: Region, districts: dict[int, Region]) -> Region | None:
    for region_id in reversed([*region.ancestor_ids, region.pk]):
        if region_id in districts:
            return districts[region_id]
    return None


def responsibility_table(user, *, district=None, hospital=None, on: date | None = None,
                         unpaired_only=False) -> list[DistrictBlock]:
    """Annex 1 as the user may see it: district → pilot → serving clinics → assisting hospitals."""
    on = on or timezone.localdate()
    pairings = (
        Pairing.objects.for_user(user, VIEW).active_on(on).select_related("hospital", "clinic")
        .prefetch_related("pilots")
    )
    if hospital:
        pairings = pairings.filter(hospital=hospital)
    pilots = (
        PilotCommunity.objects.for_user(user, VIEW).select_related("region")
        .prefetch_related(Prefetch("serving_institutions", queryset=Institution.objects.order_by("name")))
    )
    if district:
        pilots = pilots.filter(region__path__startswith=district.path)
    pairings = list(pairings)
    if hospital:
        pilots = pilots.filter(pk__in={p.pk for pairing in pairings for p in pairing.pilots.all()})
    districts = {r.pk: r for r in Region.objects.filter(level=Region.Level.DISTRICT)}
    blocks: dict[int | None, DistrictBlock] = {}
    for pilot in pilots:
        row = _row_for(pilot, pairings)
        if unpaired_only and not row.unpaired:
            continue
        if hospital and row.unpaired:
            continue
        d = _district_of(pilot.region, districts)
        blocks.setdefault(d.pk if d else None, DistrictBlock(d)).rows.append(row)
    return sorted(blocks.values(), key=lambda b: b.district.path if b.district else "~")


def _row_for(pilot: PilotCommunity, pairings: list[Pairing]) -> TableRow:
    mine = [p for p in pairings if any(x.pk == pilot.pk for x in p.pilots.all())]
    clinics = list(pilot.serving_institutions.all())
    hospitals = list({p.hospital_id: p.hospital for p in mine}.values())
    return TableRow(pilot=pilot, clinics=clinics, hospitals=hospitals, pairings=mine)


def unpaired_clinics(user, on: date | None = None):
    """Grassroots institutions in scope with no pairing active on the day."""
    on = on or timezone.localdate()
    paired = Pairing.all_rows.active_on(on).values("clinic_id")
    # a station under a paired centre is reached through its centre
    return (
        Institution.objects.for_user(user, VIEW)
        .filter(kind__in=Institution.GRASSROOTS_KINDS)
        .exclude(pk__in=paired)
        .exclude(parent_id__in=paired)
        .select_related("region")
    )


def row_spans(values: list[str]) -> list[int]:
    """Merged-cell spans for a column: the first of a run of equal values gets the run's length, the rest 0."""
    spans = [0] * len(values)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            spans[start] = i - start
            start = i
    return spans


def standard_shares(user) -> dict[str, float]:
    """Share of grassroots institutions at each capability standard (优质服务基层行)."""
    qs = Institution.objects.for_user(user, VIEW).filter(kind__in=Institution.GRASSROOTS_KINDS)
    total = qs.count()
    if not total:
        return {}
    reached_basic = qs.exclude(standard=Institution.Standard.NONE).count()
    reached_recommended = qs.filter(
        standard__in=[Institution.Standard.RECOMMENDED, Institution.Standard.COMMUNITY_HOSPITAL]
    ).count()
    return {"total": total, "basic": reached_basic / total, "recommended": reached_recommended / total}
