"""A corpus of malformed and hostile files against every upload endpoint: a clear error or a safe
acceptance, nothing half-saved, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role
from tests.familydoctor.factories import ResidentFactory
from tests.security.corpus import ACCEPTED_SAFE_ATTACHMENTS, attachment_corpus, excel_corpus
from yilian.accounts.models import Membership
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

EXCEL = excel_corpus()
ATTACHMENTS = attachment_corpus()
TRIED = {"count": 0}


@pytest.fixture
def net(db):
    region = RegionFactory()
    hospital, clinic = HospitalFactory(region=region), InstitutionFactory(region=region)
    return {"region": region, "hospital": hospital, "clinic": clinic,
            "supervisor": user_with_role(Membership.Role.SUPERVISOR, region),
            "coordinator": user_with_role(Membership.Role.COORDINATOR, hospital),
            "staff": user_with_role(Membership.Role.CLINIC_STAFF, clinic)}


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _counts():
    from yilian.familydoctor.models_care import Contract
    from yilian.referrals.models import Attachment, Referral
    from yilian.support.models import Doctor

    return {model.__name__: model.objects.count()
            for model in (Institution, Resident, Contract, Doctor, Referral, Attachment)}


# endpoint name → (URL, who uploads, extra form fields)
EXCEL_ENDPOINTS = {
    "institution-import": ("/institutions/import/", "supervisor", lambda n: {}),
    "resident-import": ("/residents/import/", "staff", lambda n: {"clinic": n["clinic"].pk}),
    "fd-contract-import": ("/residents/contracts/import/", "staff", lambda n: {"clinic": n["clinic"].pk}),
    "doctor-import": ("/support/doctors/import/", "coordinator", lambda n: {"hospital": n["hospital"].pk}),
}


def _refused_clearly(response) -> bool:
    if response.status_code == 400:  # the zip-bomb guard, before any view
        return True
    if response.status_code != 200:
        return False
    context = response.context
    form = context.get("form")
    report = context.get("report")
    return bool((form is not None and form.errors) or (report is not None and getattr(report, "errors", None)))


@pytest.mark.parametrize("endpoint", EXCEL_ENDPOINTS)
@pytest.mark.parametrize("sample", EXCEL)
def test_malformed_workbooks_are_refused_and_nothing_is_saved(net, endpoint, sample):
    url, who, fields = EXCEL_ENDPOINTS[endpoint]
    before = _counts()
    upload = SimpleUploadedFile(f"{sample}.xlsx", EXCEL[sample],
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = _client(net[who]).post(url, {**fields(net), "file": upload})
    TRIED["count"] += 1
    assert response.status_code != 500
    assert _refused_clearly(response), f"{endpoint} accepted {sample} ({response.status_code})"
    assert "token" not in (response.context or {}), "a malformed file was kept for confirmation"
    assert _counts() == before


@pytest.mark.parametrize("sample", ATTACHMENTS)
def test_hostile_referral_attachments(net, sample):
    from yilian.referrals.models import Attachment, Department, Referral

    department = Department.objects.create(hospital=net["hospital"], name="心内科")
    resident = ResidentFactory(clinic=net["clinic"])
    name, content = ATTACHMENTS[sample]
    before = _counts()
    response = _client(net["staff"]).post("/referrals/new/", {
        "resident": resident.pk, "department": department.pk, "urgency": 3, "reason": "胸痛", "consent": "on",
        "attachments": SimpleUploadedFile(name, content)})
    TRIED["count"] += 1
    assert response.status_code != 500
    if sample in ACCEPTED_SAFE_ATTACHMENTS and response.status_code == 302:
        attachment = Attachment.objects.get()
        assert attachment.file.size == len(content)  # stored as is, under our own path; never served inline
        return
    assert _refused_clearly(response), f"attachment {sample} was accepted ({response.status_code})"
    assert _counts() == before
    assert not Referral.objects.exists()


def test_corpus_size():
    """Hostile uploads tried: every workbook sample at every import, every attachment sample."""
    assert len(EXCEL) * len(EXCEL_ENDPOINTS) + len(ATTACHMENTS) >= 50


def test_the_guard_reads_the_claimed_size_from_the_zip_directory():
    from tests.security.corpus import workbook, zip_bomb
    from yilian.accounts.uploads import claimed_unpacked_size

    assert claimed_unpacked_size(zip_bomb(8)) > 8_000_000
    normal = workbook([["名称", "类型"], ["甲", "乙"]])
    assert 1000 < claimed_unpacked_size(normal) < 100_000
    assert claimed_unpacked_size(b"not a zip") is None
