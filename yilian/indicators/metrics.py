"""Metrics too awkward for a pack query, registered by name (see registry.py). Imported by apps.ready()."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth

from yilian.familydoctor.models import Resident
from yilian.network.models import Institution, Region
from yilian.support.models import Visit
from yilian.support.models.plan import Title

from .models_ledgers import ChildCarePlaces, HealthEducationActivity, StaffTraining, TcmManagement
from .registry import Row, register_metric

GRASSROOTS = list(Institution.GRASSROOTS_KINDS)
CENTRES = [Institution.Kind.COMMUNITY_CENTER, Institution.Kind.TOWNSHIP_CENTER]  # 社区卫生服务中心和乡镇卫生院
AT_LEAST_INTERMEDIATE = [t for t in Title.values if Title.rank(t) >= Title.rank(Title.INTERMEDIATE)]


def _share_rows(institution_ids, passing: set[int]) -> list[Row]:
    return [Row(numerator=1 if pk in passing else 0, denominator=1, institution_id=pk) for pk in institution_ids]


def _year_start(as_of: date) -> date:
    return date(as_of.year, 1, 1)


# ------------------------------------------------------------------------------------------ family doctor


@register_metric("familydoctor.key_population_coverage",
                 models=["familydoctor.Contract", "familydoctor.ResidentTag", "familydoctor.Resident"])
def key_population_coverage(as_of: date):
    """重点人群签约服务覆盖率: key-population residents with a contract in force on the day."""
    key = Resident.objects.filter(tags__isnull=False)
    in_force = Q(contracts__start__lte=as_of, contracts__end__gte=as_of, contracts__status__in=["active", "renewed"])
    totals = dict(key.order_by().values("clinic").annotate(n=Count("pk", distinct=True)).values_list("clinic", "n"))
    signed = dict(key.filter(in_force).order_by().values("clinic").annotate(n=Count("pk", distinct=True))
                  .values_list("clinic", "n"))
    return [Row(numerator=signed.get(pk, 0), denominator=n, institution_id=pk) for pk, n in totals.items()]


# ---------------------------------------------------------------------------------- counterpart support


def _visited(as_of: date):
    return Visit.objects.filter(date__gte=_year_start(as_of), date__lte=as_of,
                                doctor__title__in=AT_LEAST_INTERMEDIATE).exclude(status=Visit.Status.DISPUTED)


@register_metric("support.centre_coverage", models=["support.Visit"])
def centre_coverage(as_of: date):
    """每个社区卫生服务中心和乡镇卫生院 had a dispatched doctor of ≥ intermediate title this year."""
    centres = Institution.objects.filter(kind__in=CENTRES).values_list("pk", flat=True)
    visited = set(_visited(as_of).values_list("pairing__clinic_id", flat=True))
    return _share_rows(centres, visited)


@register_metric("support.monthly_presence", models=["support.Visit"])
def monthly_presence(as_of: date):
    """每月至少工作1-2天: share of the year's months so far in which each centre had ≥1 visit day."""
    centres = list(Institution.objects.filter(kind__in=CENTRES).values_list("pk", flat=True))
    months = as_of.month
    seen = defaultdict(set)
    for clinic, month in (_visited(as_of).annotate(m=ExtractMonth("date")).values_list("pairing__clinic_id", "m")
                          .distinct()):
        seen[clinic].add(month)
    return [Row(numerator=len(seen.get(pk, ())), denominator=months, institution_id=pk) for pk in centres]


# -------------------------------------------------------------------------------------- health education

K = HealthEducationActivity.Kind


def _education(as_of: date):
    return HealthEducationActivity.objects.filter(date__gte=_year_start(as_of), date__lte=as_of)


def _grassroots_ids():
    return list(Institution.objects.filter(kind__in=GRASSROOTS).values_list("pk", flat=True))


@register_metric("healtheducation.lecture_quota", models=["indicators.HealthEducationActivity"])
def lecture_quota(as_of: date):
    """每月举办不少于1次健康讲座、咨询活动: every month of the year so far has one."""
    months = defaultdict(set)
    for pk, month in (_education(as_of).filter(kind__in=[K.LECTURE, K.CONSULTATION])
                      .annotate(m=ExtractMonth("date")).values_list("institution_id", "m").distinct()):
        months[pk].add(month)
    full = set(range(1, as_of.month + 1))
    return _share_rows(_grassroots_ids(), {pk for pk, seen in months.items() if full <= seen})


def _kinds_on_pace(as_of: date, kind: str, per_year: int) -> set[int]:
    needed = -(-per_year * as_of.month // 12)  # pro rata, rounded up: 12 a year → one more each month
    counts = (_education(as_of).filter(kind=kind).order_by().values("institution_id")
              .annotate(n=Count("material", distinct=True)).values_list("institution_id", "n"))
    return {pk for pk, n in counts if n >= needed}


@register_metric("healtheducation.leaflet_quota", models=["indicators.HealthEducationActivity"])
def leaflet_quota(as_of: date):
    """发放宣传资料年不少于12种 (pro rata during the year)."""
    return _share_rows(_grassroots_ids(), _kinds_on_pace(as_of, K.LEAFLET, 12))


@register_metric("healtheducation.video_quota", models=["indicators.HealthEducationActivity"])
def video_quota(as_of: date):
    """播放健康教育音像资料年不少于6种 (pro rata during the year)."""
    return _share_rows(_grassroots_ids(), _kinds_on_pace(as_of, K.VIDEO, 6))


@register_metric("healtheducation.board_quota", models=["indicators.HealthEducationActivity"])
def board_quota(as_of: date):
    """宣传栏不少于2个,每月更新1次: ≥2 boards, each updated every month of the year so far."""
    updates = defaultdict(lambda: defaultdict(set))
    for pk, board, month in (_education(as_of).filter(kind=K.BOARD).annotate(m=ExtractMonth("date"))
                             .values_list("institution_id", "material", "m").distinct()):
        updates[pk][board].add(month)
    full = set(range(1, as_of.month + 1))
    passing = {pk for pk, boards in updates.items() if sum(1 for months in boards.values() if full <= months) >= 2}
    return _share_rows(_grassroots_ids(), passing)


# ---------------------------------------------------------------------------------------------- network


@register_metric("network.subdistricts_with_centre", models=["network.Institution", "network.Region"])
def subdistricts_with_centre(as_of: date):
    """每个街道办事处至少一家社区卫生服务中心."""
    centre_paths = list(Institution.objects.filter(kind=Institution.Kind.COMMUNITY_CENTER)
                        .values_list("region__path", flat=True))
    rows = []
    for pk, path in Region.objects.filter(level=Region.Level.SUBDISTRICT).values_list("pk", "path"):
        has = any(p.startswith(path) for p in centre_paths)
        rows.append(Row(numerator=1 if has else 0, denominator=1, region_id=pk))
    return rows


# --------------------------------------------------------------------------------------------- training


@register_metric("training.further_study_recent", models=["indicators.StaffTraining"])
def further_study_recent(as_of: date):
    """基层医生每3至5年进修学习3-6个月: staff with ≥3 months of further study in the last 5 years."""
    recent = as_of - timedelta(days=5 * 365)
    staff = defaultdict(set)
    done = defaultdict(set)
    for row in StaffTraining.objects.filter(start__lte=as_of).values("institution_id", "person", "kind", "start",
                                                                    "end"):
        staff[row["institution_id"]].add(row["person"])
        long_enough = row["end"] and (row["end"] - row["start"]).days >= 90
        if row["kind"] == StaffTraining.Kind.FURTHER_STUDY and row["start"] >= recent and long_enough:
            done[row["institution_id"]].add(row["person"])
    return [Row(numerator=len(done[pk]), denominator=len(people), institution_id=pk) for pk, people in staff.items()]


# ----------------------------------------------------------------------------- TCM and child care ledgers


def _latest(queryset, key: str, date_field: str, fields: tuple[str, ...]):
    """The newest row per key (ledgers are restated over time; the latest statement counts)."""
    latest = {}
    for row in queryset.order_by(date_field, "pk").values(key, *fields):
        latest[row[key]] = row
    return latest.values()


def _tcm(as_of: date, group: str):
    entries = TcmManagement.objects.filter(group=group, as_of__gte=_year_start(as_of), as_of__lte=as_of)
    rows = _latest(entries, "institution_id", "as_of", ("eligible", "managed"))
    return [Row(numerator=r["managed"], denominator=r["eligible"], institution_id=r["institution_id"]) for r in rows]


@register_metric("tcm.elderly_share", models=["indicators.TcmManagement"])
def tcm_elderly_share(as_of: date):
    """65岁以上老年人中医药健康管理覆盖率 (this year's latest statement per clinic)."""
    return _tcm(as_of, TcmManagement.Group.ELDERLY_65)


@register_metric("tcm.children_share", models=["indicators.TcmManagement"])
def tcm_children_share(as_of: date):
    """0-36个月儿童中医药健康管理覆盖率."""
    return _tcm(as_of, TcmManagement.Group.CHILD_0_36M)


def _childcare(as_of: date, pilot_only: bool):
    rows = _latest(ChildCarePlaces.objects.filter(as_of__lte=as_of), "community_id", "as_of",
                   ("population", "places", "facilities", "in_pilot"))
    return [r for r in rows if r["in_pilot"] or not pilot_only]


@register_metric("childcare.pilot_places_per_1000", models=["indicators.ChildCarePlaces"])
def pilot_places(as_of: date):
    """试点社区每千人口拥有3岁以下婴幼儿托位数 (scaled ×1000 by the pack)."""
    return [Row(numerator=r["places"], denominator=r["population"], region_id=r["community_id"])
            for r in _childcare(as_of, True)]


@register_metric("childcare.places_per_1000", models=["indicators.ChildCarePlaces"])
def city_places(as_of: date):
    """全市每千人口拥有3岁以下婴幼儿托位数."""
    return [Row(numerator=r["places"], denominator=r["population"], region_id=r["community_id"])
            for r in _childcare(as_of, False)]


@register_metric("childcare.pilot_facility_coverage", models=["indicators.ChildCarePlaces"])
def pilot_facility_coverage(as_of: date):
    """试点社区托育服务机构全覆盖: pilot communities with at least one child-care facility."""
    return [Row(numerator=1 if r["facilities"] else 0, denominator=1, region_id=r["community_id"])
            for r in _childcare(as_of, True)]


# ------------------------------------------------------------------------------------------ appointments


@register_metric("appointments.booked_visit_share", models=["appointments.Booking"])
def booked_visit_share(as_of: date):
    """全预约就诊模式: of this year's visits to each clinic so far, the share booked ahead (online or by phone)."""
    from yilian.appointments.selectors import booked_visit_share as shares

    figures = shares(None, _year_start(as_of), as_of)
    return [Row(numerator=f["booked"], denominator=f["visits"], institution_id=pk) for pk, f in figures.items()]
