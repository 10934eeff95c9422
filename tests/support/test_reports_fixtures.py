"""Shared data for the report tests: a small city with a synthetic month of ledger, and helpers that
count the same figures straight from the database (the reference the generated files must match)."""

import io
from datetime import date

import pytest
from django.db.models import Count, Sum
from django.test import Client
from pypdf import PdfReader

from tests.factories import HospitalFactory, InstitutionFactory, PairingFactory, RegionFactory, user_with_role
from tests.support.factories import AgreementFactory, ProgrammeFactory, VisitFactory, WorkItemFactory
from yilian.accounts.models import Membership
from yilian.network.models import Region
from yilian.support.models import Visit, WorkItem
from yilian.support.synthetic import generate_ledger

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def city(db):
    """City → district; two hospitals, three clinics (one supported by both), a month of synthetic
    ledger, a disputed visit, plus rows that must stay out: another city, another month."""
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    district = RegionFactory(name="测试区", level=Region.Level.DISTRICT, parent=city)
    h1 = HospitalFactory(name="第一人民医院", short_name="一院", region=district)
    h2 = HospitalFactory(name="第二人民医院", short_name="二院", region=district)
    clinics = [InstitutionFactory(name=f"{n}社区卫生服务中心", region=district) for n in ("东山", "西湖", "南岭")]
    pairings = [PairingFactory(hospital=h, clinic=c, end=None, start=date(2026, 1, 1))
                for h, c in [(h1, clinics[0]), (h1, clinics[1]), (h2, clinics[2]), (h2, clinics[0])]]
    programme = ProgrammeFactory(region=city, year=2026)
    agreements = [AgreementFactory(pairing=p, programme=programme) for p in pairings]
    generate_ledger(agreements, *OCTOBER, seed=7, visits_per_clinic_month=5, items_per_visit=3,
                    doctors_per_hospital=4)
    disputed = Visit.objects.filter(pairing=pairings[2]).first()
    disputed.status = Visit.Status.DISPUTED
    disputed.save()
    # outside the scope: another city's clinic; outside the period: a November visit
    WorkItemFactory(visit=VisitFactory(date=date(2026, 10, 9)), count=999)
    WorkItemFactory(visit=VisitFactory(pairing=pairings[0], doctor__hospital=h1, date=date(2026, 11, 2)), count=555)
    return {
        "city": city, "district": district, "hospitals": [h1, h2], "clinics": clinics, "pairings": pairings,
        "programme": programme, "agreements": agreements,
        "supervisor": user_with_role(Membership.Role.SUPERVISOR, city),
        "coordinator": user_with_role(Membership.Role.COORDINATOR, h1),
        "other_coordinator": user_with_role(Membership.Role.COORDINATOR, h2),
        "clinic_staff": user_with_role(Membership.Role.CLINIC_STAFF, clinics[1]),
    }


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def expected(visits) -> dict:
    """The figures of a visits queryset, counted directly: the reference for every report figure."""
    items = WorkItem.objects.filter(visit__in=visits)
    kinds = {row["kind"]: row for row in items.values("kind").annotate(n=Count("id"), total=Sum("count"))}
    return {
        "visits": visits.count(),
        "confirmed": visits.filter(status=Visit.Status.CONFIRMED).count(),
        "disputed": visits.filter(status=Visit.Status.DISPUTED).count(),
        "pending": visits.filter(status__in=[Visit.Status.CHECKED_IN, Visit.Status.CHECKED_OUT]).count(),
        "doctors": visits.values("doctor").distinct().count(),
        "days": visits.values("date").distinct().count(),
        "items": {k: kinds.get(k, {}).get("n", 0) for k in WorkItem.Kind.values},
        "counts": {k: kinds.get(k, {}).get("total", 0) or 0 for k in WorkItem.Kind.values},
    }


def month_visits(**lookup):
    return Visit.objects.filter(date__range=OCTOBER, **lookup)


def pdf_text_and_fonts(content: bytes) -> tuple[str, set[str]]:
    """The PDF's text and the names of the fonts embedded in it (a font file attached to its descriptor)."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    embedded = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(str(descendant.get_object()["/BaseFont"]))
    return text, embedded
