"""The access matrix of telehealth, indicators, planning, roster and appointments.

Same two districts as tests/test_access_matrix.py (``world``), each with its own studies, report,
consultation, survey, ledger entry, coverage scenario, roster run and pin, schedule, session and
booking (``AppWorld`` builds an app's data the first time a rule of that app needs it). The rule
tables below are checked against the URL configuration and the API: every URL pattern and every API
operation of these apps needs a rule, so a new endpoint without one fails
``test_every_object_endpoint_has_a_rule``. What the rules promise:

* an endpoint with ids (``OBJECT_RULES``, ``API_OBJECT_RULES``, ``QUERY_RULES``): any id of district B,
  asked for by any role of district A, answers 404 (a POST 403 or 404, changing nothing), also when
  only one of several ids is B's; the rule's owner roles of A get 200 on A's object;
* a page without ids (``PAGES``): nothing of B on it for any role of A; the owners see A's;
* a form or API create naming objects in its body (``FORM_POSTS``, ``API_FORM_POSTS``): B's ids write
  nothing, A's do (for the owner role);
* an export of the whole scope and an API list: B's rows never in it, A's there for the owners.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from tests.factories import user_with_role
from tests.familydoctor.factories import ResidentFactory, make_id
from tests.security.urlwalk import all_routes, api_operations
from tests.support.factories import DoctorFactory, ProgrammeFactory
from tests.test_access_matrix import ROLES, _api_ids, _body_text, _client, _member, world  # noqa: F401
from yilian.accounts.models import Membership

APPS = ("telehealth", "indicators", "planning", "roster", "appointments")
SUPERVISOR, COORDINATOR, CLINIC, DOCTOR = (Membership.Role.SUPERVISOR, Membership.Role.COORDINATOR,
                                           Membership.Role.CLINIC_STAFF, Membership.Role.DOCTOR)
ALL = tuple(ROLES)
SIDES = (("A", "甲"), ("B", "乙"))
MONTH = date(2026, 2, 1)


# ------------------------------------------------------------------------------------------- the data


def _telehealth(districts):
    """A reported imaging study (CT file, signed critical report), a waiting one, a consultation."""
    from tests.telehealth.factories import ct, upload
    from yilian.referrals.models import Department
    from yilian.telehealth import services

    out = {}
    for side, label in SIDES:
        district = districts[side]
        staff = user_with_role(CLINIC, district.clinic)
        reader = user_with_role(COORDINATOR, district.hospital)
        resident = ResidentFactory(clinic=district.clinic, name=f"{label}远程居民",
                                   id_number=make_id(date(1960, 5, 1), sequence=201 if side == "A" else 203))

        def send(question):
            return services.study_create(by=staff, resident=resident, modality="imaging", urgency=2,  # noqa: B023
                                         question=question, files=[upload("ct.dcm", ct())]).obj

        study = send(f"{label}胸部 CT")
        services.report_sign(by=reader, study=study, findings="右肺结节", conclusion="建议随访", critical=True,
                             recommendation="green")
        department = Department.objects.create(hospital=district.hospital, name=f"{label}远程心内科")
        consultation = services.consultation_request(
            by=staff, resident=resident, department=department, requested_for=timezone.now() + timedelta(days=1),
            question=f"{label}会诊问题", studies=[study]).obj
        open_study = send(f"{label}复查")
        out[side] = {"resident": resident, "study": study, "study_file": study.files.first(),
                     "open_study": open_study, "consultation": consultation, "department": department,
                     MARKERS: [resident.name, study.question, open_study.question, consultation.question],
                     DIRECTORY: [department.name]}
    return out


def _indicators(districts):
    """A query indicator of the whole city (shared by both districts), a survey and a ledger entry each."""
    from yilian.indicators import services
    from yilian.indicators.models import Indicator, Pack
    from yilian.indicators.models_ledgers import HealthEducationActivity

    pack = Pack.objects.create(slug="access-matrix", title_zh="测试指标", title_en="Test pack", city="测试市",
                               seed_file="000_test.txt", version="1", start=date(2021, 1, 1))
    indicator = Indicator.objects.create(
        pack=pack, code="pilots-counted", name_zh="试点数", name_en="Pilots", unit="个", shipped=False,
        definition={"query": {"numerator": {"model": "network.PilotCommunity", "by": "region"}}},
        source_sentence="建成试点")
    out = {}
    for side, label in SIDES:
        district = districts[side]
        survey = services.survey_create_default(region=district.region, title=f"{label}区满意度调查")
        ledger = HealthEducationActivity.objects.create(institution=district.clinic, date=timezone.localdate(),
                                                        kind="lecture", topic=f"{label}区健康讲座标记")
        out[side] = {"indicator": indicator, "survey": survey, "ledger": ledger,
                     MARKERS: [survey.title, ledger.topic]}
    return out


_ENGINE_RUN = {}  # the engine runs once a session; later tests reuse its results and prepared arrays


def _planning(districts):
    """A scenario of each district, done: the first computed by the real engine, the others copies."""
    from django.core.files.base import ContentFile

    from tests.planning.factories import CENTRE, upload_files
    from yilian.network.models import Institution
    from yilian.planning import services
    from yilian.planning.models import Scenario

    out = {}
    for side, label in SIDES:
        district = districts[side]
        planner = user_with_role(SUPERVISOR, district.region)
        if not _ENGINE_RUN:
            Institution.objects.filter(pk=district.clinic.pk).update(longitude=f"{CENTRE[0]:.6f}",
                                                                     latitude=f"{CENTRE[1]:.6f}")
            scenario = services.scenario_start(by=planner, data={"name": f"{label}区方案", "region": district.region,
                                                                 "new_sites": 1},
                                               files=upload_files(), language="en", run_now=True)
            assert scenario.status == Scenario.Status.DONE, scenario.message
            _ENGINE_RUN.update(results=scenario.results, covered_share=scenario.covered_share,
                               prepared=scenario.prepared.read())
        else:
            scenario = Scenario.objects.create(
                name=f"{label}区方案", region=district.region, status=Scenario.Status.DONE, created_by=planner,
                results=_ENGINE_RUN["results"], covered_share=_ENGINE_RUN["covered_share"],
                finished_at=timezone.now())
            scenario.prepared.save("prepared.npz", ContentFile(_ENGINE_RUN["prepared"]))
        out[side] = {"scenario": scenario, MARKERS: [scenario.name]}
    return out


def _roster(districts):
    """A finished run of each district's hospital and a pin of one of its doctors."""
    from yilian.roster.models import RosterRule, RosterRun

    out = {}
    for side, label in SIDES:
        district = districts[side]
        programme = ProgrammeFactory(region=district.region, name=f"{label}区下基层项目")
        doctor = DoctorFactory(hospital=district.hospital, name=f"{label}派驻医生")
        coordinator = user_with_role(COORDINATOR, district.hospital)
        run = RosterRun.objects.create(programme=programme, month=MONTH, hospital=district.hospital,
                                       status=RosterRun.Status.DONE, requested_by=coordinator)
        rule = RosterRule.objects.create(programme=programme, month=MONTH, kind=RosterRule.Kind.PIN, doctor=doctor,
                                         clinic=district.clinic, created_by=coordinator)
        out[side] = {"run": run, "roster_rule": rule, "doctor": doctor, "programme": programme,
                     MARKERS: [programme.name, doctor.name]}
    return out


def _appointments(districts):
    """A schedule of each district's clinic, a session three days ahead and a resident's booking."""
    from yilian.appointments import services
    from yilian.appointments.models import Schedule, Session, SessionType

    out = {}
    for side, label in SIDES:
        clinic = districts[side].clinic
        schedule = Schedule.objects.create(clinic=clinic, session_type=SessionType.GENERAL, starts=time(8, 0),
                                           ends=time(11, 0), capacity=3)
        session = Session.objects.create(clinic=clinic, date=timezone.localdate() + timedelta(days=3),
                                         session_type=SessionType.GENERAL, starts=time(9, 0), ends=time(9, 30),
                                         capacity=2)
        booking = services.booking_create(session=session, name=f"{label}预约居民", phone="13912345678").obj
        out[side] = {"schedule": schedule, "session": session, "booking": booking, MARKERS: [booking.name]}
    return out


MARKERS, DIRECTORY = "_markers", "_directory"  # text only this district's data shows; its directory entries
BUILDERS = {"telehealth": _telehealth, "indicators": _indicators, "planning": _planning, "roster": _roster,
            "appointments": _appointments}
# kinds every district shares (the city's configuration, the directory of hospital departments anyone
# may ask): never "B's", so never swapped for B's
SHARED_KINDS = {"indicator", "department"}


class AppWorld:
    """Builds an app's data for both districts the first time a rule of that app asks for it."""

    def __init__(self, districts):
        self.districts = districts
        self.data = {"A": {}, "B": {}}
        self.markers = {side: [d.clinic.name, d.hospital.name, d.region.name, d.pilot.name, d.alliance.name,
                               d.liaison.name] for side, d in districts.items()}
        self.directory = {side: [d.hospital.name] for side, d in districts.items()}
        self.built = set()

    def build(self, app):
        if app not in self.built:
            for side, objects in BUILDERS[app](self.districts).items():
                self.markers[side] += objects.pop(MARKERS, [])
                self.directory[side] += objects.pop(DIRECTORY, [])
                self.data[side].update(objects)
            self.built.add(app)

    def object(self, side, kind):
        return self.data[side][kind] if kind in self.data[side] else getattr(self.districts[side], kind)

    def value(self, side, spec):
        """``kind`` is the object's id; ``kind.attr`` one of its attributes (a booking's code)."""
        kind, _, attr = spec.partition(".")
        obj = self.object(side, kind)
        return getattr(obj, attr) if attr else obj.pk


@pytest.fixture
def app_world(world, settings, tmp_path):  # noqa: F811 (the fixture imported above)
    settings.MEDIA_ROOT = tmp_path / "media"
    return AppWorld(world)


# ------------------------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Obj:
    """A URL of one object: any of its ids from district B answers 404 to every role of A (a POST 403 or
    404, changing nothing); ``owners`` of A get 200 on A's object (GET)."""

    ids: tuple = ()          # (URL kwarg, kind): the ids in the path
    qids: tuple = ()         # (query parameter, kind): ids in the query string (?region=)
    owners: tuple = (SUPERVISOR,)
    method: str = "GET"
    fixed: tuple = ()        # (URL kwarg, value) that are not ids: an export's format, a step
    params: str = ""         # a fixed query string, e.g. "format=xlsx"
    body: object = None      # a POST's form data (dict) or JSON body (str)


@dataclass(frozen=True)
class CityWide:
    """An object of the whole city's configuration, not of a district: the city's supervisor (a
    supervisor of the region above A and B) gets ``ok``; every role of district A, its supervisor
    included, 404 (and a POST changes nothing)."""

    ids: tuple
    method: str = "GET"
    ok: int = 200
    body: object = None


@dataclass(frozen=True)
class Public:
    """A residents' page without login (rate-limited). Anonymous: district A's ids answer ``own``, a mix
    of A's and B's ids 404 (a clinic's page never opens another clinic's survey, session or booking)."""

    reason: str
    ids: tuple
    own: int = 200
    method: str = "GET"


STUDY = (("pk", "study"),)
STUDY_FILE = (("pk", "study"), ("file_pk", "study_file"))
CONSULTATION = (("pk", "consultation"),)
REGION_Q = (("region", "region"),)
SCENARIO = (("pk", "scenario"),)
RUN = (("pk", "run"),)
BOOKING_URL = (("clinic_id", "clinic"), ("code", "booking.code"))
SURVEY_CLINIC = (("survey_id", "survey"), ("clinic_id", "clinic"))

# Every URL pattern of the five apps that takes an id.
OBJECT_RULES = {
    # a study: its sending clinic, its reading hospital (coordinators and doctors), the region's supervisors
    "telehealth-study": Obj(STUDY, owners=ALL),
    "telehealth-file": Obj(STUDY_FILE, owners=ALL),
    "telehealth-image": Obj(STUDY_FILE, owners=ALL),
    "telehealth-report-pdf": Obj(STUDY, owners=(CLINIC,)),  # one owner: a PDF costs a WeasyPrint run
    "telehealth-fhir": Obj(STUDY, owners=ALL),
    "telehealth-claim": Obj(STUDY, owners=(), method="POST"),
    "telehealth-report": Obj(STUDY, owners=(), method="POST", body={
        "findings": "无异常", "conclusion": "正常", "recommendation": "local"}),
    "telehealth-green-channel": Obj(STUDY, owners=(), method="POST", body={"icd_code": "I21.0", "consent": "on"}),
    "telehealth-consultation": Obj(CONSULTATION, owners=ALL),
    "telehealth-consultation-step": Obj(CONSULTATION, owners=(), method="POST", fixed=(("step", "opinion"),),
                                        body={"opinion": "转上级医院"}),
    "telehealth-resident": Obj((("pk", "resident"),), owners=(SUPERVISOR, CLINIC)),  # a resident is his clinic's
    # an indicator is the city's; what it shows is the region chosen in ?region=
    "indicator-detail": Obj((("pk", "indicator"),), qids=REGION_Q, owners=ALL),
    "indicator-records": Obj((("pk", "indicator"),), qids=REGION_Q, owners=ALL),
    "indicator-edit": CityWide((("pk", "indicator"),)),
    "indicator-weight": CityWide((("pk", "indicator"),), method="POST", ok=302, body={"weight": "3"}),
    "indicator-survey-results": Obj((("pk", "survey"),), owners=ALL),
    "indicator-survey-qr": Obj((("pk", "survey"), ("clinic_id", "clinic")), owners=(SUPERVISOR, CLINIC)),
    "public-survey": Public("a resident scans the clinic's QR code", SURVEY_CLINIC),
    "public-survey-thanks": Public("after answering", SURVEY_CLINIC),
    # a scenario: the supervisors of its area only
    "planning-detail": Obj(SCENARIO),
    "planning-map": Obj(SCENARIO),
    "planning-map-data": Obj(SCENARIO),
    "planning-export": Obj(SCENARIO, fixed=(("kind", "xlsx"),)),
    "planning-whatif": Obj(SCENARIO, owners=(), method="POST", body=json.dumps({"changes": []})),
    # a hospital's roster run: its coordinators and the supervisors above it
    "roster-run": Obj(RUN, owners=(SUPERVISOR, COORDINATOR)),
    "roster-rule-add": Obj(RUN, owners=(), method="POST", body={"kind": "forbid"}),
    "roster-rule-delete": Obj((("pk", "run"), ("rule_pk", "roster_rule")), owners=(), method="POST"),
    "roster-rerun": Obj(RUN, owners=(), method="POST"),
    "roster-cancel": Obj(RUN, owners=(), method="POST", body={"from": "2026-02-10"}),
    "roster-approve": Obj(RUN, owners=(), method="POST"),
    # a clinic's bookings and schedules: its staff and the region
    "appointment-mark": Obj((("pk", "booking"),), owners=(), method="POST", body={"status": "arrived"}),
    "appointment-schedule-publish": Obj((("pk", "schedule"),), owners=(), method="POST", body={
        "start": "2026-03-02", "end": "2026-03-06"}),
    "public-appointments": Public("a clinic's open sessions, for residents", (("clinic_id", "clinic"),)),
    "public-appointment-book": Public("booking a place", (("clinic_id", "clinic"), ("session_id", "session"))),
    "public-appointment-find": Public("finding a booking by code and phone", (("clinic_id", "clinic"),)),
    # a booking page opens only in the browser that made or found it: a code alone is 404
    "public-appointment": Public("a resident's booking", BOOKING_URL, own=404),
    "public-appointment-cancel": Public("cancelling it", BOOKING_URL, own=404, method="POST"),
    "public-appointment-reschedule": Public("moving it", BOOKING_URL, own=404),
}

# Every API operation of the five apps with an id in its path.
API_OBJECT_RULES = {
    "study_detail": Obj((("study_id", "study"),), owners=ALL),
    "report_detail": Obj((("study_id", "study"),), owners=ALL),
    "report_fhir": Obj((("study_id", "study"),), owners=ALL),
    "study_claim": Obj((("study_id", "study"),), owners=(), method="POST", body="{}"),
    "report_sign": Obj((("study_id", "study"),), owners=(), method="POST", body=json.dumps({
        "findings": "无异常", "conclusion": "正常", "recommendation": "local"})),
    "consultation_confirm": Obj((("consultation_id", "consultation"),), owners=(), method="POST",
                                body=json.dumps({"slot": "2030-01-01T09:00:00+08:00"})),
    "consultation_opinion": Obj((("consultation_id", "consultation"),), owners=(), method="POST",
                                body=json.dumps({"opinion": "转上级医院"})),
    "dashboard": Obj((("region_id", "region"),), owners=ALL),
    "assessment_fhir": Obj((("region_id", "region"),), fixed=(("year", 2026),), owners=ALL),
    "scenario_detail": Obj((("scenario_id", "scenario"),)),
    "scenario_whatif": Obj((("scenario_id", "scenario"),), owners=(), method="POST",
                           body=json.dumps({"changes": []})),
}

# Pages and exports whose object is chosen in the query string (URL name, rule).
QUERY_RULES = [
    ("indicator-dashboard", Obj(qids=REGION_Q, owners=ALL)),
    ("indicator-laggards", Obj(qids=REGION_Q, owners=ALL)),
    ("indicator-assessment", Obj(qids=REGION_Q, owners=ALL)),
    ("indicator-assessment", Obj(qids=REGION_Q, params="format=xlsx")),
    ("indicator-assessment", Obj(qids=REGION_Q, params="format=pdf")),
]


@dataclass(frozen=True)
class Page:
    """A page without an id in its path: for every role of A nothing of district B is on it (not even
    with B's ids in ``params``); ``owners`` get 200 with A's ``shows`` on it (and A's ids in ``params``)."""

    shows: tuple = ()        # "kind.attr" of A's the owners must see
    owners: tuple = ALL
    fixed: tuple = ()
    params: str = ""         # "{kind}" placeholders: the side's ids
    directory: bool = False  # a form listing every hospital and department of the city (where to send)


@dataclass(frozen=True)
class FormPost:
    """A form naming objects by id in its body (or query): B's ids, posted by any role of A, change
    nothing (the form refuses them, or the page is 404)."""

    body: dict | str         # values with "{kind}" placeholders, callables for fresh uploads; or a JSON template
    owners: tuple = ()       # with A's ids these roles' post does write (the body is a valid one)
    fixed: tuple = ()
    params: str = ""


@dataclass(frozen=True)
class NoIds:
    """A POST without any id: it acts on the poster's own scope only."""

    reason: str


def _ct_upload():
    from tests.telehealth.factories import ct, upload

    return upload("ct.dcm", ct())


LEDGER = (("kind", "health-education"),)
TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()

# Every URL pattern of the five apps without an id (other than LISTING_EXPORTS).
PAGES = {
    "telehealth-list": Page(shows=("clinic.name",)),
    "telehealth-new": Page(shows=("resident.name",), owners=(CLINIC,), directory=True),
    "telehealth-worklist": Page(shows=("open_study.question",), owners=(COORDINATOR, DOCTOR)),
    "telehealth-worklist-rows": Page(shows=("open_study.question",), owners=(COORDINATOR, DOCTOR)),
    "telehealth-stats": Page(shows=("clinic.name",), owners=(SUPERVISOR, COORDINATOR)),
    "telehealth-consultations": Page(shows=("clinic.name",)),
    "telehealth-consultation-new": Page(shows=("resident.name",), owners=(CLINIC,), directory=True),
    "indicator-dashboard": Page(shows=("region.name",)),
    "indicator-packs": Page(shows=("indicator.name_zh",)),
    "indicator-new": Page(owners=()),  # the city's supervisor only (tests/indicators/test_editors.py)
    "indicator-laggards": Page(shows=("region.name",)),
    "indicator-assessment": Page(shows=("region.name",)),
    "indicator-ledger-home": Page(),
    "indicator-ledger-quotas": Page(shows=("clinic.name",)),
    "indicator-ledger-list": Page(shows=("ledger.topic",), owners=(SUPERVISOR, CLINIC), fixed=LEDGER),
    "indicator-ledger-new": Page(shows=("clinic.name",), owners=(SUPERVISOR, CLINIC), fixed=LEDGER),
    "indicator-survey-list": Page(shows=("survey.title",)),
    "planning-list": Page(shows=("scenario.name",), owners=(SUPERVISOR,)),
    "planning-new": Page(shows=("region.name",), owners=(SUPERVISOR,)),
    "planning-compare": Page(shows=("scenario.name",), owners=(SUPERVISOR,), params="s={scenario}"),
    "roster-home": Page(shows=("programme.name",), owners=(SUPERVISOR, COORDINATOR),
                        params="scope=hospital:{hospital}&programme={programme}"),
    "appointment-desk": Page(shows=("booking.name",), owners=(SUPERVISOR, CLINIC),
                             params="clinic={clinic}&date={session.date}"),
    "appointment-schedules": Page(shows=("clinic.name",), owners=(SUPERVISOR, CLINIC)),
    "appointment-measure": Page(),
}
FORM_POSTS = {
    "telehealth-new": FormPost({"resident": "{resident}", "modality": "imaging", "urgency": "2", "question": "胸片",
                                "files": _ct_upload}, owners=(CLINIC,)),
    "telehealth-consultation-new": FormPost({"resident": "{resident}", "department": "{department}",
                                             "requested_for": "2030-01-01T09:00", "question": "会诊",
                                             "studies": "{study}"}, owners=(CLINIC,)),
    "indicator-ledger-new": FormPost({"institution": "{clinic}", "date": timezone.localdate().isoformat(),
                                      "kind": "lecture", "topic": "讲座", "quantity": "0", "attendance": "3"},
                                     owners=(CLINIC,), fixed=LEDGER),
    "planning-new": FormPost({"name": "方案", "region": "{region}", "source": "generated", "datum": "wgs84",
                              "speed_kmh": "4.5", "threshold_min": "15", "max_access_m": "500", "new_sites": "1",
                              "seed": "1"}),
    "roster-start": FormPost({"programme": "{programme}", "month": "2026-02", "scope": "hospital:{hospital}"}),
    "roster-absence-add": FormPost({"doctor": "{doctor}", "start": "2026-02-10", "end": "2026-02-11",
                                    "reason": "leave"}, owners=(COORDINATOR,)),
    "appointment-desk": FormPost({"session": "{session}", "channel": "phone", "name": "来电居民",
                                  "phone": "13800001111"}, owners=(CLINIC,), params="date={session.date}"),
    "appointment-schedules": FormPost({"clinic": "{clinic}", "session_type": "general", "weekdays": "12345",
                                       "starts": "13:00", "ends": "16:00", "slot_minutes": "30", "capacity": "3",
                                       "priority_places": "0", "active": "on"}, owners=(CLINIC,)),
    "appointment-closure-new": FormPost({"clinic": "{clinic}", "start": TOMORROW, "end": TOMORROW,
                                         "reason": "培训"}, owners=(CLINIC,)),
    "indicator-survey-create": NoIds("the survey is created in the supervisor's own region"),
}

# Every API operation of the five apps without an id and not a list: the creates.
API_FORM_POSTS = {
    "study_create": FormPost({"resident": "{resident}", "modality": "imaging", "urgency": "2", "question": "胸片",
                              "files": _ct_upload}, owners=(CLINIC,)),
    "consultation_create": FormPost(
        '{"resident": {resident}, "department": {department}, "requested_for": "2030-01-01T09:00:00+08:00", '
        '"question": "会诊", "studies": [{study}]}', owners=(CLINIC,)),
}


@dataclass(frozen=True)
class AppListing:
    """A whole-scope list: ``kind``'s marker of A is in it for ``owners``, B's never for anyone."""

    kind: str
    owners: tuple = (SUPERVISOR,)
    fixed: tuple = ()
    marker: str = field(default="", compare=False)  # the attribute shown; "" for API lists (by id)


# Exports of the whole scope (URL name → rule) and API lists (operation → rule).
LISTING_EXPORTS = {
    "indicator-ledger-export": AppListing("ledger", owners=(SUPERVISOR, CLINIC), fixed=(("kind", "health-education"),),
                                          marker="topic"),
}
APP_API_LIST_RULES = {
    "study_list": AppListing("study", owners=ALL),
    "worklist": AppListing("open_study", owners=(COORDINATOR, DOCTOR)),  # the reading hospital's open studies
    "consultation_list": AppListing("consultation", owners=ALL),
    "scenario_list": AppListing("scenario"),
}


def app_export_rules() -> set[str]:
    """URL names of the five apps' exports that have a rule here (for test_access_matrix's check)."""
    return set(LISTING_EXPORTS) | set(OBJECT_RULES)


# --------------------------------------------------------------------------------- the generated check


def _int_kwargs(route) -> bool:
    return "<int:" in route.route


def test_every_object_endpoint_has_a_rule():
    routes = {r.name for r in all_routes() if r.app in APPS and _int_kwargs(r)}
    assert routes == set(OBJECT_RULES), (f"URLs with an id and no rule: {routes - set(OBJECT_RULES)}; "
                                         f"rules without a URL: {set(OBJECT_RULES) - routes}")
    operations = {op.name for op in api_operations() if op.app in APPS and "{" in op.path}
    unruled = operations ^ set(API_OBJECT_RULES)
    assert not unruled, f"API operations with an id and no rule (or rules without an operation): {unruled}"
    lists = {op.name for op in api_operations() if op.is_list and op.app in APPS}
    assert lists == set(APP_API_LIST_RULES), f"API lists without a rule: {lists ^ set(APP_API_LIST_RULES)}"
    others = {op.name for op in api_operations() if op.app in APPS and "{" not in op.path and not op.is_list}
    assert others == set(API_FORM_POSTS), f"API writes without a rule: {others ^ set(API_FORM_POSTS)}"
    names = {r.name for r in all_routes()}
    assert {name for name, _rule in QUERY_RULES} <= names
    plain = {r.name for r in all_routes() if r.app in APPS and not _int_kwargs(r)}
    ruled = set(PAGES) | set(FORM_POSTS) | set(LISTING_EXPORTS)
    assert plain == ruled, f"URLs without a rule: {plain - ruled}; rules without a URL: {ruled - plain}"


# ------------------------------------------------------------------------------------------- the tests


def _route(name):
    return next(r for r in all_routes() if r.name == name)


def _operation(name):
    return next(op for op in api_operations() if op.name == name and "{" in op.path)


def _path_values(app_world, rule, sides: dict) -> dict:
    values = {kwarg: app_world.value(sides[kwarg], kind) for kwarg, kind in rule.ids}
    return values | dict(getattr(rule, "fixed", ()))


def _query(app_world, rule, sides: dict) -> str:
    parts = [f"{param}={app_world.value(sides[param], kind)}" for param, kind in getattr(rule, "qids", ())]
    parts += [rule.params] if getattr(rule, "params", "") else []
    return "?" + "&".join(parts) if parts else ""


def _page_url(name):
    return lambda app_world, rule, sides: (reverse(name, kwargs=_path_values(app_world, rule, sides))
                                           + _query(app_world, rule, sides))


def _api_url(name):
    path = _operation(name).path

    def build(app_world, rule, sides):
        values = _path_values(app_world, rule, sides)
        return re.sub(r"\{(?:int:)?([a-z_]+)\}", lambda m: str(values[m.group(1)]), path) + _query(
            app_world, rule, sides)
    return build


def _variants(rule):
    """Which side each id comes from: all from B, then (with several ids) each one alone from B."""
    scoped = [name for name, kind in (*rule.ids, *getattr(rule, "qids", ())) if kind.partition(".")[0]
              not in SHARED_KINDS]
    if not scoped:
        return []
    everything = {name: "A" for name, _kind in (*rule.ids, *getattr(rule, "qids", ()))}
    variants = [everything | dict.fromkeys(scoped, "B")]
    if len(scoped) > 1:
        variants += [everything | {name: "B"} for name in scoped]
    return variants


def _send(client, method, url, body):
    if method == "GET":
        return client.get(url)
    if isinstance(body, str):
        return client.post(url, body, content_type="application/json")
    return client.post(url, body or {})


STATE_APPS = (*APPS, "referrals", "support", "familydoctor")


def _state(objects) -> tuple:
    """Row counts of every model (history tables included) the endpoints write to, and the objects' fields."""
    counts = tuple(model._base_manager.count() for label in STATE_APPS
                   for model in django_apps.get_app_config(label).get_models())
    fields = tuple(type(obj)._base_manager.filter(pk=obj.pk).values().first() for obj in objects)
    return counts, fields


def _involved(app_world, rule, sides):
    specs = (*rule.ids, *getattr(rule, "qids", ()))
    return [app_world.object(sides[name], kind.partition(".")[0]) for name, kind in specs]


def _check_object_rule(app_world, app, rule, url_of, label):
    app_world.build(app)
    if isinstance(rule, CityWide):
        _check_city_wide(app_world, rule, url_of, label)
        return
    own = {name: "A" for name, _kind in (*rule.ids, *rule.qids)}
    for role in ROLES:
        client = _client(_member(role, app_world.districts["A"]))
        for sides in _variants(rule):
            before = _state(_involved(app_world, rule, sides)) if rule.method == "POST" else None
            response = _send(client, rule.method, url_of(app_world, rule, sides), rule.body)
            allowed = (403, 404) if rule.method == "POST" else (404,)
            assert response.status_code in allowed, (
                f"{label}: a {role} of A reached B's object ({sides}): {response.status_code}")
            if before is not None:
                assert _state(_involved(app_world, rule, sides)) == before, f"{label}: B's data changed by a {role}"
        if role in rule.owners:
            response = _send(client, rule.method, url_of(app_world, rule, own), rule.body)
            assert response.status_code == 200, f"{label}: the {role} of A did not get A's object"


def _check_city_wide(app_world, rule, url_of, label):
    sides = {name: "A" for name, _kind in rule.ids}
    url = url_of(app_world, rule, sides)
    for role in ROLES:
        client = _client(_member(role, app_world.districts["A"]))
        before = _state(_involved(app_world, rule, sides))
        response = _send(client, rule.method, url, rule.body)
        assert response.status_code == 404, f"{label}: a {role} of A reached the city's configuration"
        assert _state(_involved(app_world, rule, sides)) == before
    city_supervisor = user_with_role(SUPERVISOR, app_world.districts["A"].region.parent)
    before = _state(_involved(app_world, rule, sides))
    response = _send(_client(city_supervisor), rule.method, url, rule.body)
    assert response.status_code == rule.ok, f"{label}: the city's supervisor got {response.status_code}"
    if rule.method == "POST":
        assert _state(_involved(app_world, rule, sides)) != before, f"{label}: the city's supervisor changed nothing"


def _check_public(app_world, rule, url_of, label):
    from django.test import Client

    app_world.build(_route(label).app)
    own = {name: "A" for name, _kind in rule.ids}
    client = Client()
    before = _state(_involved(app_world, rule, own))
    assert _send(client, rule.method, url_of(app_world, rule, own), None).status_code == rule.own
    if rule.own == 404:
        assert _state(_involved(app_world, rule, own)) == before
    if len(rule.ids) > 1:
        for name, _kind in rule.ids:
            mixed = own | {name: "B"}
            before = _state(_involved(app_world, rule, mixed))
            response = _send(client, rule.method, url_of(app_world, rule, mixed), None)
            assert response.status_code == 404, f"{label}: A's page opened B's {name} ({response.status_code})"
            assert _state(_involved(app_world, rule, mixed)) == before


@pytest.mark.parametrize("name", sorted(OBJECT_RULES))
def test_object_endpoint_access(app_world, name):
    rule = OBJECT_RULES[name]
    if isinstance(rule, Public):
        _check_public(app_world, rule, _page_url(name), name)
    else:
        _check_object_rule(app_world, _route(name).app, rule, _page_url(name), name)


@pytest.mark.parametrize("name", sorted(API_OBJECT_RULES))
def test_api_object_access(app_world, name):
    _check_object_rule(app_world, _operation(name).app, API_OBJECT_RULES[name], _api_url(name), name)


@pytest.mark.parametrize(("name", "rule"), QUERY_RULES, ids=[f"{n}?{r.params}" for n, r in QUERY_RULES])
def test_query_selected_access(app_world, name, rule):
    _check_object_rule(app_world, _route(name).app, rule, _page_url(name), name)


@pytest.mark.parametrize("name", sorted(LISTING_EXPORTS))
def test_listing_export_access(app_world, name):
    rule = LISTING_EXPORTS[name]
    app_world.build(_route(name).app)
    url = reverse(name, kwargs=dict(rule.fixed))
    own, other = (str(getattr(app_world.object(side, rule.kind), rule.marker)) for side in ("A", "B"))
    for role in ROLES:
        response = _client(_member(role, app_world.districts["A"])).get(url)
        assert response.status_code in (200, 404)
        text = _body_text(response) if response.status_code == 200 else ""
        assert other not in text, f"{name}: district B's data reached a {role} of A"
        if role in rule.owners:
            assert response.status_code == 200 and own in text, f"{name}: the {role} of A misses A's data"


@pytest.mark.parametrize("name", sorted(APP_API_LIST_RULES))
def test_app_api_list_access(app_world, name):
    rule = APP_API_LIST_RULES[name]
    operation = next(op for op in api_operations() if op.name == name and op.is_list)
    app_world.build(operation.app)
    for role in ROLES:
        response = _client(_member(role, app_world.districts["A"])).get(operation.url, {"limit": 200})
        assert response.status_code == 200
        ids = _api_ids(response)
        assert app_world.object("B", rule.kind).pk not in ids, f"{name}: district B's row reached a {role} of A"
        if role in rule.owners:
            assert app_world.object("A", rule.kind).pk in ids, f"{name}: the {role} of A misses A's row"


PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")


def _placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def _fill(app_world, text: str, sides: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(app_world.value(sides.get(m[1], "A"), m[1])), text)


def _form_url(name, rule, app_world, sides):
    url = reverse(name, kwargs=dict(rule.fixed))
    return url + "?" + _fill(app_world, rule.params, sides) if rule.params else url


def _visible_text(app_world, response, directory: bool) -> str:
    text = _body_text(response)
    if directory:  # the city's hospitals and departments are where anyone may send a study or a request
        for entry in app_world.directory["B"]:
            text = text.replace(entry, "")
    return text


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(app_world, name):
    rule = PAGES[name]
    app_world.build(_route(name).app)
    specs = _placeholders(rule.params)
    theirs, own = dict.fromkeys(specs, "B"), dict.fromkeys(specs, "A")
    for role in ROLES:
        client = _client(_member(role, app_world.districts["A"]))
        response = client.get(_form_url(name, rule, app_world, theirs))
        assert response.status_code in (200, 404), f"{name}: {response.status_code} for a {role}"
        text = _visible_text(app_world, response, rule.directory) if response.status_code == 200 else ""
        leaked = [m for m in app_world.markers["B"] if m in text]
        assert not leaked, f"{name}: district B's {leaked} reached a {role} of A"
        if role in rule.owners:
            response = client.get(_form_url(name, rule, app_world, own))
            assert response.status_code == 200, f"{name}: the {role} of A got {response.status_code}"
            text = _body_text(response)
            for spec in rule.shows:
                kind, _, attr = spec.partition(".")
                assert str(getattr(app_world.object("A", kind), attr)) in text, f"{name}: the {role} misses {spec}"


def _form_variants(rule):
    """All of B's ids, then (with several kinds) each kind alone from B; "kind.attr" goes with its kind."""
    texts = [rule.body] if isinstance(rule.body, str) else list(rule.body.values())
    specs = list(dict.fromkeys(spec for value in (*texts, rule.params) if isinstance(value, str)
                               for spec in _placeholders(value)))
    kinds = [kind for kind in dict.fromkeys(spec.partition(".")[0] for spec in specs) if kind not in SHARED_KINDS]
    groups = [kinds] + ([[kind] for kind in kinds] if len(kinds) > 1 else [])
    return [{spec: "B" for spec in specs if spec.partition(".")[0] in group} for group in groups]


def _form_body(app_world, rule, sides):
    if isinstance(rule.body, str):  # a JSON template
        return _fill(app_world, rule.body, sides)
    return {key: value() if callable(value) else _fill(app_world, value, sides) for key, value in rule.body.items()}


def _check_form_post(app_world, rule, url_of, label):
    for role in ROLES:
        client = _client(_member(role, app_world.districts["A"]))
        for sides in _form_variants(rule):
            before = _state([])
            response = _send(client, "POST", url_of(sides), _form_body(app_world, rule, sides))
            assert response.status_code < 500
            assert _state([]) == before, f"{label}: a {role} of A wrote with B's ids {sides}"
    for role in rule.owners:  # last: with A's ids the same body is accepted, so B's were refused for their ids
        before = _state([])
        _send(_client(_member(role, app_world.districts["A"])), "POST", url_of({}), _form_body(app_world, rule, {}))
        assert _state([]) != before, f"{label}: the {role} of A could not post A's ids"


@pytest.mark.parametrize("name", sorted(FORM_POSTS))
def test_form_post_access(app_world, name):
    rule = FORM_POSTS[name]
    app_world.build(_route(name).app)
    if not isinstance(rule, NoIds):
        _check_form_post(app_world, rule, lambda sides: _form_url(name, rule, app_world, sides), name)


@pytest.mark.parametrize("name", sorted(API_FORM_POSTS))
def test_api_form_post_access(app_world, name):
    operation = next(op for op in api_operations() if op.name == name and op.method == "POST")
    app_world.build(operation.app)
    _check_form_post(app_world, API_FORM_POSTS[name], lambda sides: operation.path, name)


def matrix_cells() -> int:
    """Role × endpoint × side: each scoped rule and page is checked for every role on B's side and for
    its owners on A's; a city-wide rule and a form post (B's ids only) have one side; public pages are
    checked anonymously, not by role."""
    scoped = [r for r in OBJECT_RULES.values() if isinstance(r, Obj)]
    city_wide = [r for r in OBJECT_RULES.values() if isinstance(r, CityWide)]
    two_sided = len(scoped) + len(API_OBJECT_RULES) + len(QUERY_RULES) + len(LISTING_EXPORTS) + len(
        APP_API_LIST_RULES) + len(PAGES)
    one_sided = len(city_wide) + len([r for r in FORM_POSTS.values() if isinstance(r, FormPost)]) + len(
        API_FORM_POSTS)
    return len(ROLES) * (2 * two_sided + one_sided)
