"""The engine on real rows: query figures, metrics, region sums, breakdowns, statuses, refresh on writes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import InstitutionFactory, PilotFactory, RegionFactory
from yilian.indicators import engine, registry, selectors, services
from yilian.indicators.models import Indicator, Pack, Snapshot, Target
from yilian.indicators.models_ledgers import TcmManagement
from yilian.indicators.registry import Row
from yilian.network.models import Institution, Region

TODAY = date(2022, 7, 2)  # a day between Guiyang's targets


def _indicator(definition, targets=((100, date(2022, 12, 31)),), unit="%", direction="at_least", start=None):
    pack = Pack.objects.get_or_create(slug="t", defaults={
        "title_zh": "t", "title_en": "t", "city": "t", "seed_file": "t", "version": "1",
        "start": start or date(2022, 1, 1)})[0]
    indicator = Indicator.objects.create(pack=pack, code=f"i{Indicator.objects.count()}", name_zh="指标",
                                         name_en="Indicator", unit=unit, direction=direction,
                                         definition=definition, source_sentence="句子")
    for value, deadline in targets:
        Target.objects.create(indicator=indicator, value=value, deadline=deadline)
    return indicator


@pytest.mark.parametrize(("value", "today", "status"), [
    (100, date(2022, 6, 1), "met"),
    (60, date(2022, 7, 2), "on_track"),  # half the year gone, the line stands at ~50
    (30, date(2022, 7, 2), "at_risk"),
    (90, date(2023, 1, 5), "missed"),
    (None, date(2022, 7, 2), "no_data"),
])
def test_status_against_a_straight_line_to_the_deadline(db, value, today, status):
    indicator = _indicator({"metric": "support.centre_coverage"})
    assert engine.judge(indicator, value, today).status == status


def test_the_line_starts_from_the_previous_target(db):
    indicator = _indicator({"metric": "support.centre_coverage"}, unit="个",
                           targets=((41, date(2021, 12, 31)), (100, date(2022, 12, 31))), start=date(2021, 1, 1))
    judgement = engine.judge(indicator, 60, TODAY)
    assert judgement.target.value == 100 and 65 < judgement.expected < 75 and judgement.status == "at_risk"


def test_a_ceiling_is_met_below_and_missed_after_its_deadline(db):
    indicator = _indicator({"metric": "support.centre_coverage"}, unit="分钟", direction="at_most",
                           targets=((60, date(2022, 12, 31)),))
    assert engine.judge(indicator, 45, TODAY).status == "met"
    assert engine.judge(indicator, 75, TODAY).status == "at_risk"
    assert engine.judge(indicator, 75, date(2023, 2, 1)).status == "missed"


def test_a_pending_metric_shows_no_data_source_until_registered(db, town):
    indicator = _indicator({"metric": "training.directed_students"})
    assert selectors.line_for(town.city, indicator, TODAY).status == "no_source"
    try:
        registry.register_metric("training.directed_students", models=["network.Institution"])(
            lambda as_of: [Row(numerator=3, denominator=4, institution_id=town.clinics[0].pk)])
        engine.refresh([indicator], today=TODAY, trend=False)
        line = selectors.line_for(town.city, indicator, TODAY)
        assert line.value == 75 and line.status == "on_track"
    finally:
        registry.METRICS.pop("training.directed_students", None)
        registry.PENDING.add("training.directed_students")


def test_full_appointment_share_comes_from_the_clinics_bookings(db, town):
    from datetime import time

    from yilian.appointments.models import Booking, Session, SessionType

    indicator = _indicator({"metric": "appointments.booked_visit_share"})
    session = Session.objects.create(clinic=town.clinics[0], date=TODAY - timedelta(days=1), capacity=10,
                                     session_type=SessionType.GENERAL, starts=time(9), ends=time(10))
    for n, channel in enumerate(["online", "phone", "online", "walk_in"]):
        Booking.objects.create(session=session, code=f"T{n}", name="居民", phone=f"1380000000{n}",
                               channel=channel, status=Booking.Status.ARRIVED)
    engine.refresh([indicator], today=TODAY, trend=False)
    assert selectors.line_for(town.city, indicator, TODAY).value == 75  # 3 of 4 visits booked ahead


def test_query_share_sums_per_region_and_breaks_down_lowest_first(db, town):
    Institution.objects.filter(pk__in=[town.clinics[0].pk, town.clinics[2].pk, town.clinics[3].pk]).update(
        standard="basic", standard_year=2022)
    grassroots = {"kind__in": ["community_center"]}
    indicator = _indicator({"query": {
        "numerator": {"model": "network.Institution", "by": "id",
                      "filter": {**grassroots, "standard__in": ["basic", "recommended"]}},
        "denominator": {"model": "network.Institution", "by": "id", "filter": grassroots}}})
    engine.refresh([indicator], today=TODAY)
    assert selectors.line_for(town.city, indicator, TODAY).value == 75
    assert selectors.line_for(town.districts[0], indicator, TODAY).value == 50
    districts = engine.child_region_breakdown(town.city, indicator)
    assert [d["region"] for d in districts] == [town.districts[0], town.districts[1]]
    assert [d["value"] for d in districts] == [50, 100]
    rows = engine.institution_breakdown(town.city, indicator)
    assert rows[0]["institution"] == town.clinics[1] and rows[0]["value"] == 0


def test_counts_of_pilots_by_community_region(db, town):
    street = Region.objects.get(name="甲街道")
    for n in range(3):
        PilotFactory(region=RegionFactory(name=f"社区{n}", parent=street, level=Region.Level.COMMUNITY),
                     status="built" if n else "planned")
    indicator = _indicator({"query": {"numerator": {"model": "network.PilotCommunity", "by": "region",
                                                    "filter": {"status__in": ["built", "accepted"]}}}},
                           unit="个", targets=((2, date(2022, 12, 31)),))
    engine.refresh([indicator], today=TODAY)
    line = selectors.line_for(town.city, indicator, TODAY)
    assert line.value == 2 and line.status == "met"
    assert selectors.line_for(town.districts[1], indicator, TODAY).value is None


def test_trend_has_past_month_ends_and_today(db, town):
    indicator = _indicator({"query": {"numerator": {"model": "network.Institution", "by": "id",
                                                    "filter": {"kind": "community_center"}}}}, unit="家")
    engine.refresh([indicator], today=TODAY)
    points = engine.trend(town.city, indicator, TODAY)
    assert [p[0] for p in points][-2:] == ["2022-06", "2022-07-02"] and len(points) == engine.TREND_MONTHS + 1
    assert points[-1][1] == 4


def test_a_ledger_write_shows_on_the_dashboard_at_once(db, town, django_capture_on_commit_callbacks):
    indicator = _indicator({"metric": "tcm.elderly_share"}, targets=((70, timezone.localdate() + timedelta(days=300)),))
    engine.refresh([indicator])
    assert selectors.line_for(town.city, indicator, timezone.localdate()).value is None
    with django_capture_on_commit_callbacks(execute=True):
        services.ledger_entry_create(by=town.clinic_staff, model=TcmManagement, data={
            "institution": town.clinics[0], "as_of": timezone.localdate(), "group": "elderly_65",
            "eligible": 200, "managed": 150})
    assert selectors.line_for(town.city, indicator, timezone.localdate()).value == 75
    assert Snapshot.objects.filter(indicator=indicator, period="").count() == 1


def test_laggards_are_listed_per_institution(db, town):
    indicator = _indicator({"query": {
        "numerator": {"model": "network.Institution", "by": "id", "filter": {"standard": "basic"}},
        "denominator": {"model": "network.Institution", "by": "id", "filter": {"kind": "community_center"}}}},
        targets=((100, date(2022, 3, 1)),))
    Institution.objects.filter(pk=town.clinics[0].pk).update(standard="basic", standard_year=2022)
    engine.refresh([indicator], today=TODAY, trend=False)
    rows = selectors.laggards(town.city, TODAY, [indicator])
    assert {r["institution"] for r in rows} == set(town.clinics[1:])
    assert {r["judgement"].status for r in rows} == {"missed"}


def test_metrics_read_other_capabilities(db, town, shipped):
    """Every shipped indicator with a source computes without error on an empty and a filled network."""
    InstitutionFactory(region=town.districts[0], kind=Institution.Kind.TOWNSHIP_CENTER)
    assert engine.refresh(today=TODAY) >= 0
    groups = selectors.dashboard(town.city, TODAY)
    assert sum(len(g["lines"]) for g in groups) == Indicator.objects.count()
