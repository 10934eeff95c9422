"""Every role × own/other scope × list/detail/export/API, generated from one rule table.

Two districts, A and B, each with a hospital, a clinic paired with it, a pilot, a liaison and an
alliance. Each role holds a membership in district A. The rule: what lies in A is visible to every
role (each through its own path: region, pairing, own clinic, own hospital); nothing in B is, and
out of scope answers 404. Who may *change* an object is narrower and is tested as its own surface.
"""

import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.test import Client

from tests.factories import (
    HospitalFactory,
    InstitutionFactory,
    LiaisonFactory,
    PairingFactory,
    PilotFactory,
    RegionFactory,
    UserFactory,
    user_with_role,
)
from yilian.accounts.models import Membership
from yilian.network.models import Alliance, Region

ROLES = [
    Membership.Role.SUPERVISOR, Membership.Role.COORDINATOR, Membership.Role.CLINIC_STAFF, Membership.Role.DOCTOR,
]


@dataclass
class District:
    region: Region
    hospital: object
    clinic: object
    pairing: object
    pilot: object
    liaison: object
    alliance: object


def _district(city, label):
    region = RegionFactory(name=f"{label}区", parent=city)
    street = RegionFactory(name=f"{label}街道", parent=region, level=Region.Level.SUBDISTRICT)
    hospital = HospitalFactory(name=f"{label}区人民医院", region=region)
    clinic = InstitutionFactory(name=f"{label}社区卫生服务中心", region=street)
    pilot = PilotFactory(name=f"{label}试点社区", region=RegionFactory(
        name=f"{label}社区", parent=street, level=Region.Level.COMMUNITY))
    pilot.serving_institutions.add(clinic)
    pairing = PairingFactory(hospital=hospital, clinic=clinic, end=None)
    pairing.pilots.add(pilot)
    alliance = Alliance.objects.create(name=f"{label}医联体", kind=Alliance.Kind.URBAN_GROUP, lead=hospital)
    alliance.members.add(clinic)
    return District(region, hospital, clinic, pairing, pilot, LiaisonFactory(hospital=hospital, name=f"{label}联络员"),
                    alliance)


@pytest.fixture
def world(db):
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    return {"A": _district(city, "甲"), "B": _district(city, "乙")}


def _member(role, district: District):
    if role == Membership.Role.SUPERVISOR:
        return user_with_role(role, district.region)
    if role == Membership.Role.CLINIC_STAFF:
        return user_with_role(role, district.clinic)
    return user_with_role(role, district.hospital)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# (object attribute, list page, detail page or None, export or None, API list, API detail or None)
SURFACES = {
    "clinic": ("/institutions/", "/institutions/{id}/", "/institutions/export.xlsx",
               "/api/v1/institutions", "/api/v1/institutions/{id}"),
    "pairing": ("/pairings/", "/pairings/{id}/", "/responsibility/export.xlsx",
                "/api/v1/pairings", "/api/v1/pairings/{id}"),
    "pilot": ("/pilots/", "/pilots/{id}/", "/responsibility/export.xlsx", "/api/v1/pilots", "/api/v1/pilots/{id}"),
    "liaison": ("/liaisons/", None, "/liaisons/export.xlsx", "/api/v1/liaisons", None),
    "alliance": ("/alliances/", "/alliances/{id}/", None, "/api/v1/alliances", "/api/v1/alliances/{id}"),
}


def _marker(obj) -> str:
    """Text that appears wherever the object is shown."""
    return getattr(obj, "name", None) or obj.clinic.name


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)


def _api_ids(response) -> set[int]:
    data = response.json()
    items = data["items"] if isinstance(data, dict) else data
    return {item["id"] for item in items}


SURFACE_NAMES = ("list", "detail", "export", "api_list", "api_detail")
CASES = [
    (role, kind, side, surface)
    for role in ROLES for kind, urls in SURFACES.items() for side in ("A", "B")
    for surface, url in zip(SURFACE_NAMES, urls, strict=True) if url is not None
]


@pytest.mark.parametrize(("role", "kind", "side", "surface"), CASES)
def test_read_access(world, role, kind, side, surface):
    own = world["A"]
    obj = getattr(world[side], kind)
    visible = side == "A"
    list_url, detail_url, export_url, api_list_url, api_detail_url = SURFACES[kind]
    client = _client(_member(role, own))
    if surface == "list":
        response = client.get(list_url)
        assert response.status_code == 200
        assert (_marker(obj) in response.content.decode()) is visible
    elif surface == "detail":
        response = client.get(detail_url.format(id=obj.pk))
        assert response.status_code == (200 if visible else 404)
    elif surface == "export":
        response = client.get(export_url)
        assert response.status_code == 200
        assert (_marker(obj) in _xlsx_text(response.content)) is visible
    elif surface == "api_list":
        response = client.get(api_list_url)
        assert response.status_code == 200
        assert (obj.pk in _api_ids(response)) is visible
    else:
        response = client.get(api_detail_url.format(id=obj.pk))
        assert response.status_code == (200 if visible else 404)


# Who may open the edit page of an object in their own district A (never in B).
MAY_CHANGE = {
    ("clinic", Membership.Role.SUPERVISOR): True,
    ("clinic", Membership.Role.CLINIC_STAFF): True,
    ("hospital", Membership.Role.SUPERVISOR): True,
    ("hospital", Membership.Role.COORDINATOR): True,
    ("pairing", Membership.Role.SUPERVISOR): True,
    ("liaison", Membership.Role.SUPERVISOR): True,
    ("liaison", Membership.Role.COORDINATOR): True,
    ("alliance", Membership.Role.SUPERVISOR): True,
}
EDIT_URLS = {
    "clinic": "/institutions/{id}/edit/", "hospital": "/institutions/{id}/edit/",
    "pairing": "/pairings/{id}/edit/", "liaison": "/liaisons/{id}/edit/", "alliance": "/alliances/{id}/edit/",
}


@pytest.mark.parametrize(("role", "kind", "side"), [
    (role, kind, side) for role in ROLES for kind in EDIT_URLS for side in ("A", "B")
])
def test_change_access(world, role, kind, side):
    obj = getattr(world[side], kind)
    allowed = side == "A" and MAY_CHANGE.get((kind, role), False)
    response = _client(_member(role, world["A"])).get(EDIT_URLS[kind].format(id=obj.pk))
    assert response.status_code == (200 if allowed else 404)


@pytest.mark.parametrize("url", [s[0] for s in SURFACES.values()] + ["/responsibility/", "/api/v1/institutions"])
def test_user_without_membership_sees_nothing(world, url):
    response = _client(UserFactory()).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for district in world.values():
        assert district.clinic.name not in body
        assert district.hospital.name not in body


@pytest.mark.parametrize("url", ["/", "/institutions/", "/responsibility/export.xlsx", "/api/v1/institutions"])
def test_anonymous_is_sent_to_login_or_refused(world, url):
    response = Client().get(url)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


# ================================================================================================
# Every export and every API list endpoint of network, support, familydoctor, referrals, telehealth,
# indicators, planning, roster and appointments, found in the URL configuration. Each needs a rule
# (below; the last five apps' in tests/test_access_matrix_apps.py); a new one without a rule fails
# test_every_export_and_api_list_has_a_rule. The rule's promise: nothing of district B ever
# reaches a member of district A (0 leaks), and the owner role of A gets A's data.

from datetime import date as _date  # noqa: E402

from django.core.files.base import ContentFile  # noqa: E402

from tests.familydoctor.factories import ResidentFactory, make_id  # noqa: E402
from tests.security.urlwalk import all_routes, api_operations  # noqa: E402
from tests.support.factories import AgreementFactory, ProgrammeFactory  # noqa: E402
from yilian.core import audit  # noqa: E402

MATRIX_APPS = {"network", "support", "familydoctor", "referrals", "telehealth", "indicators", "planning", "roster",
               "appointments"}
EXPORT_SUFFIXES = (".xlsx", ".pdf", ".json", ".csv", ".png", ".svg", ".geojson", ".<str:fmt>")
EXPORT_NAME_ENDINGS = ("-export", "-document", "-pdf", "-fhir", "-file", "-download", "-image", "-preview", "-svg",
                       "-data")


@dataclass(frozen=True)
class Listing:
    """A whole-scope export: ``kind``'s marker of A is in it for ``owner``, B's never for anyone."""

    kind: str
    owner: str = Membership.Role.SUPERVISOR
    query: str = ""


@dataclass(frozen=True)
class PerObject:
    """An export of one object: B's answers 404 to everyone in A; A's answers 200 to ``owner``."""

    kind: str
    owner: str | None = Membership.Role.SUPERVISOR
    kwargs: tuple = ()
    query: str = ""  # with {id}: the object goes in the query string, the URL has no id


@dataclass(frozen=True)
class Blank:
    """An import template: no data of anyone's, open to every signed-in user."""


EXPORT_RULES = {
    "responsibility-export": Listing("clinic"),
    "institution-export": Listing("clinic"),
    "liaison-export": Listing("liaison"),
    "resident-export": Listing("resident_id"),
    "fd-coverage-export": Listing("clinic_display", query="?level=clinic"),
    "audit-export": Listing("audit"),
    "plan-hospital-export": PerObject("hospital"),
    "plan-clinic-export": PerObject("clinic"),
    "service-record-export": PerObject("hospital"),
    "pairing-ledger-export": PerObject("pairing"),
    "agreement-document": PerObject("agreement"),
    "yearly-pdf": PerObject("yearly"),
    "report-job-file": PerObject("job", owner=None, kwargs=(("fmt", "xlsx"),)),  # only its requester
    "report-monthly-file": PerObject("hospital", kwargs=(("fmt", "xlsx"),),
                                     query="?scope=institution:{id}&month=2026-10"),
    "referral-fhir": PerObject("referral"),
    "institution-import-template": Blank(),
    "doctor-import-template": Blank(),
    "resident-import-template": Blank(),
    "fd-contract-import-template": Blank(),
}
API_LIST_RULES = {
    "region_list": "region", "institution_list": "clinic", "pilot_list": "pilot", "alliance_list": "alliance",
    "pairing_list": "pairing", "liaison_list": "liaison", "resident_list": "resident", "referral_list": "referral",
    "contract_list": "contract", "planned_visit_list": "planned_visit", "visit_list": "visit",
}


def _export_routes():
    for route in all_routes():
        if route.app in MATRIX_APPS and (route.route.endswith(EXPORT_SUFFIXES)
                                        or route.name.endswith(EXPORT_NAME_ENDINGS)):
            yield route


def test_every_export_and_api_list_has_a_rule():
    from tests.test_access_matrix_apps import APP_API_LIST_RULES, LISTING_EXPORTS, app_export_rules

    exports = {r.name for r in _export_routes()}
    lists = {op.name for op in api_operations() if op.is_list and op.app in MATRIX_APPS}
    ruled, list_ruled = set(EXPORT_RULES) | app_export_rules(), set(API_LIST_RULES) | set(APP_API_LIST_RULES)
    assert exports <= ruled, f"exports without a rule: {exports - ruled}"
    assert set(EXPORT_RULES) | set(LISTING_EXPORTS) <= exports, "export rules without an export"
    assert lists == list_ruled, f"API lists without a rule: {lists - list_ruled}; stale rules: {list_ruled - lists}"


def _extras(district: District, label: str):
    """Residents, referrals, support paperwork and an audit row in the district, for the exports."""
    from yilian.referrals.models import Department
    from yilian.referrals.services import referral_create
    from yilian.support.models import ReportJob, YearlyReport

    staff = user_with_role(Membership.Role.CLINIC_STAFF, district.clinic)
    resident = ResidentFactory(clinic=district.clinic, name=f"{label}居民",  # 65+: counted in coverage
                               id_number=make_id(_date(1950, 3, 7), sequence=101 if label == "甲" else 103))
    resident.tags.create(kind="elderly_65", recorded_on=_date(2026, 1, 1))
    department = Department.objects.create(hospital=district.hospital, name=f"{label}心内科")
    referral = referral_create(by=staff, resident=resident, hospital=district.hospital, department=department,
                               reason="胸痛", icd_code="I21.0", diagnosis="", urgency=3, consent=True).obj
    programme = ProgrammeFactory(region=district.region)
    agreement = AgreementFactory(pairing=district.pairing, programme=programme)
    agreement.signed_document.save(f"{label}.pdf", ContentFile(b"%PDF-1.4\n%signed\n"))
    yearly = YearlyReport.objects.create(programme=programme, institution=district.clinic)
    requester = user_with_role(Membership.Role.SUPERVISOR, district.region)
    job = ReportJob.objects.create(kind=ReportJob.Kind.MONTHLY, requested_by=requester, region=district.region,
                                   period_start=_date(2026, 10, 1), period_end=_date(2026, 10, 31),
                                   status=ReportJob.Status.DONE)
    job.xlsx.save(f"{label}.xlsx", ContentFile(b"PK\x03\x04"))
    entry = audit.record(staff, audit.Action.READ, resident, summary=f"{label}审计标记")
    return {"clinic_display": district.clinic, "resident": resident, "resident_id": resident,
            "referral": referral, "agreement": agreement,
            "yearly": yearly, "job": job, "audit": entry} | _family_doctor_extras(district, staff, resident)


def _family_doctor_extras(district: District, staff, resident):
    """A contract of the resident, a recorded visit and the next planned one."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.familydoctor.factories import make_care
    from yilian.familydoctor import services_care

    team, basic, _chronic = make_care(district.clinic, staff)
    today = timezone.localdate()
    contract = services_care.contract_sign(by=staff, resident=resident, team=team, packages=[basic],
                                           start=today - timedelta(days=30), consent=True, consent_by="本人")[0]
    services_care.generate_visit_plan(district.clinic, until=today)
    visit = services_care.visit_record(by=staff, contract=contract, date=today, mode="home").obj
    return {"contract": contract, "visit": visit, "planned_visit": contract.planned_visits.get(status="planned")}


@pytest.fixture
def world_plus(world):
    return {side: (district, _extras(district, label)) for (side, district), label in zip(
        world.items(), ("甲", "乙"), strict=True)}


def _object(world_plus, side, kind):
    district, extras = world_plus[side]
    return extras[kind] if kind in extras else getattr(district, kind)


def _marker_of(kind, obj) -> str:
    if kind == "audit":
        return obj.summary
    if kind == "clinic_display":
        return obj.display_name
    if kind == "resident_id":
        return obj.masked_id
    if kind == "referral":
        return str(obj.pk)
    return _marker(obj)


def _body_text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        return _xlsx_text(b"".join(response.streaming_content) if response.streaming else response.content)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def _export_url(name, rule, obj=None):
    from django.urls import reverse

    kwargs = dict(getattr(rule, "kwargs", ()))
    query = getattr(rule, "query", "")
    if isinstance(rule, PerObject) and "{id}" not in query:
        kwargs["pk"] = obj.pk
    return reverse(name, kwargs=kwargs) + query.format(id=obj.pk if obj is not None else "")


MATRIX_CASES = [(role, name) for role in ROLES for name in EXPORT_RULES]


@pytest.mark.parametrize(("role", "name"), MATRIX_CASES)
def test_export_access(world_plus, role, name):
    rule = EXPORT_RULES[name]
    client = _client(_member(role, world_plus["A"][0]))
    if isinstance(rule, Blank):
        assert client.get(_export_url(name, rule)).status_code == 200
        return
    if isinstance(rule, Listing):
        response = client.get(_export_url(name, rule))
        assert response.status_code in (200, 404)
        own, other = (_marker_of(rule.kind, _object(world_plus, s, rule.kind)) for s in ("A", "B"))
        text = _body_text(response) if response.status_code == 200 else ""
        assert other not in text, f"{name}: district B's data reached a {role} of A"
        if role == rule.owner:
            assert response.status_code == 200 and own in text
        return
    theirs = client.get(_export_url(name, rule, _object(world_plus, "B", rule.kind)))
    assert theirs.status_code == 404, f"{name}: a {role} of A opened B's object ({theirs.status_code})"
    if role == rule.owner:
        assert client.get(_export_url(name, rule, _object(world_plus, "A", rule.kind))).status_code == 200


def test_report_file_is_for_its_requester_only(world_plus):
    job = world_plus["A"][1]["job"]
    url = _export_url("report-job-file", EXPORT_RULES["report-job-file"], job)
    assert _client(job.requested_by).get(url).status_code == 200


@pytest.mark.parametrize(("role", "name"), [(role, name) for role in ROLES for name in API_LIST_RULES])
def test_api_list_access(world_plus, role, name):
    kind = API_LIST_RULES[name]
    operation = next(op for op in api_operations() if op.name == name)
    response = _client(_member(role, world_plus["A"][0])).get(operation.url, {"limit": 100})
    assert response.status_code == 200
    ids = _api_ids(response)
    assert _object(world_plus, "B", kind).pk not in ids, f"{name}: district B's row reached a {role} of A"
    if role == Membership.Role.SUPERVISOR:
        assert _object(world_plus, "A", kind).pk in ids


def test_matrix_size():
    """Role × endpoint × side cells (each case of the export and API-list tests checks both sides),
    with the five newer apps' (tests/test_access_matrix_apps.py): the figure in docs/security.md."""
    from tests.test_access_matrix_apps import matrix_cells

    change_cases = len(ROLES) * len(EDIT_URLS) * 2
    size = len(CASES) + change_cases + len(MATRIX_CASES) * 2 + len(ROLES) * len(API_LIST_RULES) * 2
    print(f"access matrix: {size} cells + {matrix_cells()} of the five newer apps = {size + matrix_cells()}")
    assert size >= 432
    assert size + matrix_cells() >= 1068
