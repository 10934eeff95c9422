"""The ledger (台账) of a pairing: filters, totals per kind, pagination and the Excel export, read back
and compared with the database."""

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from tests.factories import PairingFactory, user_with_role
from tests.support.factories import DoctorFactory, VisitFactory, WorkItemFactory
from yilian.accounts.models import Membership
from yilian.support.models import Title, Visit, WorkItem

K = WorkItem.Kind


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def ledger(db):
    """Two doctors, eleven visits over two months, mixed work; one visit with nothing logged."""
    pairing = PairingFactory(end=None)
    wang = DoctorFactory(hospital=pairing.hospital, name="王医生", title=Title.SENIOR)
    li = DoctorFactory(hospital=pairing.hospital, name="李医生", title=Title.INTERMEDIATE)
    kinds = [K.CLINIC_SESSION, K.LECTURE, K.TEACHING_ROUND, K.FREE_CLINIC]
    for day in range(10):
        visit = VisitFactory(pairing=pairing, doctor=wang if day % 2 else li, date=date(2026, 10, 1) + timedelta(
            days=day * 5), status=Visit.Status.CONFIRMED if day < 4 else Visit.Status.CHECKED_OUT)
        for n in range(day % 3 + 1):
            WorkItemFactory(visit=visit, kind=kinds[(day + n) % 4], count=10 + day + n, topic=f"主题{day}-{n}")
    empty = VisitFactory(pairing=pairing, doctor=wang, date=date(2026, 11, 21))
    other = VisitFactory(date=date(2026, 10, 2))  # another pairing: never in this ledger
    WorkItemFactory(visit=other, count=999)
    return {"pairing": pairing, "wang": wang, "li": li, "empty": empty}


@pytest.fixture
def coordinator(ledger):
    return user_with_role(Membership.Role.COORDINATOR, ledger["pairing"].hospital)


def _url(ledger, query=""):
    return f"/support/pairings/{ledger['pairing'].pk}/ledger/?{query}"


def _db_totals(**filters):
    rows = WorkItem.objects.filter(**filters).values("kind").annotate(total=Sum("count"))
    return {r["kind"]: r["total"] for r in rows}


def _page_totals(response):
    return {t["kind"]: t["total"] for t in response.context["totals"]}


def test_totals_per_kind_match_the_database(coordinator, ledger):
    response = _client(coordinator).get(_url(ledger))
    assert response.status_code == 200
    assert _page_totals(response) == _db_totals(visit__pairing=ledger["pairing"])
    assert response.context["page"].paginator.count == 11


@pytest.mark.parametrize(("query", "db_filter"), [
    ("from=2026-10-10&to=2026-10-31", {"visit__date__gte": date(2026, 10, 10), "visit__date__lte": date(2026, 10, 31)}),
    ("status=confirmed", {"visit__status": "confirmed"}),
    ("kind=lecture", {"kind": "lecture"}),
])
def test_filters_narrow_visits_and_totals(coordinator, ledger, query, db_filter):
    response = _client(coordinator).get(_url(ledger, query))
    assert _page_totals(response) == _db_totals(visit__pairing=ledger["pairing"], **db_filter)
    visits = list(response.context["page"])
    assert visits
    if "kind" in db_filter:
        assert all(i.kind == "lecture" for v in visits for i in v.work_items.all())


def test_doctor_filter(coordinator, ledger):
    wang = ledger["wang"]
    response = _client(coordinator).get(_url(ledger, f"doctor={wang.pk}"))
    assert {v.doctor_id for v in response.context["page"]} == {wang.pk}
    assert _page_totals(response) == _db_totals(visit__pairing=ledger["pairing"], visit__doctor=wang)


def test_bad_filters_are_ignored(coordinator, ledger):
    foreign_doctor = DoctorFactory()
    response = _client(coordinator).get(_url(ledger, f"from=2026-13-45&kind=karaoke&doctor={foreign_doctor.pk}"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 11


def test_pagination_keeps_the_filters(coordinator, ledger, settings):
    settings.YILIAN_PAGE_SIZE = 4
    client = _client(coordinator)
    first = client.get(_url(ledger, "status=checked_out"))
    assert first.context["page"].paginator.num_pages == 2
    assert "status=checked_out&amp;page=2" in first.content.decode()
    second = client.get(_url(ledger, "status=checked_out&page=2"))
    seen = {v.pk for v in first.context["page"]} | {v.pk for v in second.context["page"]}
    assert seen == set(Visit.objects.filter(pairing=ledger["pairing"], status="checked_out").values_list("pk",
                                                                                                      flat=True))


def _workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None, second=0, microsecond=0)


def test_export_has_one_row_per_work_item_and_matches_the_database(coordinator, ledger):
    response = _client(coordinator).get(f"/support/pairings/{ledger['pairing'].pk}/ledger.xlsx")
    book = _workbook(response)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    assert header[:7] == ["Visit date", "Doctor", "Title", "Department", "Clinic", "Kind of work", "Number"]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] is not None]
    items = WorkItem.objects.filter(visit__pairing=ledger["pairing"]).select_related("visit__doctor")
    assert len(rows) == items.count() + 1  # plus the visit with nothing logged
    expected = {
        (i.visit.date, i.visit.doctor.name, i.get_kind_display(), i.count, i.topic, _local(i.visit.check_in_at),
         _local(i.visit.check_out_at), i.visit.get_status_display())
        for i in items
    }
    got = {(r[0].date(), r[1], r[5], r[6], r[7], r[8], r[9], r[10]) for r in rows if r[5]}
    assert got == expected
    blank = [r for r in rows if not r[5]]
    assert len(blank) == 1 and blank[0][0].date() == ledger["empty"].date
    totals = {r[0]: r[2] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    db = _db_totals(visit__pairing=ledger["pairing"])
    assert totals == {str(K(kind).label): total for kind, total in db.items()}


def test_export_follows_the_filters(coordinator, ledger):
    wang = ledger["wang"]
    response = _client(coordinator).get(
        f"/support/pairings/{ledger['pairing'].pk}/ledger.xlsx?kind=clinic_session&doctor={wang.pk}")
    rows = [r for r in _workbook(response).worksheets[0].iter_rows(min_row=3, values_only=True) if r[0]]
    items = WorkItem.objects.filter(visit__pairing=ledger["pairing"], kind="clinic_session", visit__doctor=wang)
    assert sorted(r[6] for r in rows) == sorted(items.values_list("count", flat=True))
    assert {r[1] for r in rows} == {"王医生"}


def test_outsiders_get_404_for_page_and_export(ledger):
    stranger = user_with_role(Membership.Role.COORDINATOR, PairingFactory().hospital)
    client = _client(stranger)
    assert client.get(_url(ledger)).status_code == 404
    assert client.get(f"/support/pairings/{ledger['pairing'].pk}/ledger.xlsx").status_code == 404


def test_clinic_staff_open_their_ledger(ledger):
    staff = user_with_role(Membership.Role.CLINIC_STAFF, ledger["pairing"].clinic)
    client = _client(staff)
    assert client.get(_url(ledger)).status_code == 200
    index = client.get("/support/ledger/").content.decode()
    assert f"/support/pairings/{ledger['pairing'].pk}/ledger/" in index


def test_the_ledger_page_uses_a_fixed_number_of_queries(coordinator, ledger, django_assert_max_num_queries):
    client = _client(coordinator)
    client.get(_url(ledger))  # warm the session
    with django_assert_max_num_queries(14):
        client.get(_url(ledger))
