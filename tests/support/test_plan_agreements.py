"""Agreements (帮扶协议): create/edit with targets, the signed document judged by its content,
filters and scope; programmes: supervisors edit, others read."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import PairingFactory
from tests.support import test_plan_fixtures
from tests.support.test_plan_fixtures import client_for
from yilian.support.models import Agreement, Programme

world = test_plan_fixtures.world  # the shared fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format="PNG")
    return out.getvalue()


def _form(pairing, programme, **overrides):
    data = {
        "pairing": pairing.pk, "programme": programme.pk, "start": "2026-01-01", "end": "2026-12-31",
        "baseline_findings": "缺少儿科", "goals": "提升", "measures": "坐诊", "status": "draft",
        "targets-TOTAL_FORMS": "3", "targets-INITIAL_FORMS": "1", "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-kind": "expert_days", "targets-0-quantity": "2", "targets-0-per": "month",
        "targets-1-kind": "lecture", "targets-1-quantity": "1", "targets-1-per": "quarter",
        "targets-2-kind": "expert_days", "targets-2-quantity": "", "targets-2-per": "month",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def new_pairing(world):
    return PairingFactory(hospital=world.hospital, clinic=world.clinic3, end=None)


def test_coordinator_writes_an_agreement_with_targets_and_document(world, new_pairing):
    client = client_for(world.coordinator)
    data = _form(new_pairing, world.programme, document=SimpleUploadedFile("协议.pdf", PDF, "application/pdf"))
    response = client.post("/support/agreements/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    agreement = Agreement.objects.get(pairing=new_pairing)
    assert sorted(agreement.targets.values_list("kind", "quantity", "per")) == [
        ("expert_days", 2, "month"), ("lecture", 1, "quarter")]
    assert agreement.signed_document and agreement.history.latest().history_user == world.coordinator
    download = client.get(f"/support/agreements/{agreement.pk}/document/")
    assert b"".join(download.streaming_content) == PDF
    # edit: drop the lecture target, change the expert days
    edit = _form(new_pairing, world.programme, **{
        "targets-INITIAL_FORMS": "2", "targets-0-quantity": "3", "targets-1-DELETE": "on"})
    assert client.post(f"/support/agreements/{agreement.pk}/edit/", edit).status_code == 302
    assert list(agreement.targets.values_list("kind", "quantity")) == [("expert_days", 3)]


@pytest.mark.parametrize(("name", "content"), [
    ("协议.pdf", b"MZ\x90\x00 this is an executable"),  # extension says PDF, content does not
    ("协议.png", PDF),  # a PDF named .png
    ("协议.docx", PDF),
    ("扫描.jpg", b"\xff\xd8\xff\xe0 truncated garbage"),  # JPEG magic but not an image
])
def test_document_must_be_a_pdf_jpeg_or_png_by_content(world, new_pairing, name, content):
    data = _form(new_pairing, world.programme, document=SimpleUploadedFile(name, content))
    response = client_for(world.coordinator).post("/support/agreements/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["document"]
    assert not Agreement.objects.filter(pairing=new_pairing).exists()


def test_png_document_is_accepted_and_size_is_limited(world, new_pairing, monkeypatch):
    from yilian.support import services_plan

    client = client_for(world.coordinator)
    ok = client.post("/support/agreements/new/", _form(new_pairing, world.programme,
                                                        document=SimpleUploadedFile("scan.PNG", _png())))
    assert ok.status_code == 302
    agreement = Agreement.objects.get(pairing=new_pairing)
    monkeypatch.setattr(services_plan, "MAX_DOCUMENT_BYTES", 10)
    too_big = client.post(f"/support/agreements/{agreement.pk}/edit/", _form(
        new_pairing, world.programme, document=SimpleUploadedFile("big.pdf", PDF)))
    assert too_big.status_code == 200 and "10 MB" in str(too_big.context["form"].errors["document"])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"end": "2025-12-31"}, "end"),
    ({"status": "signed"}, "signed_on"),
    ({"start": "2020-01-01"}, "start"),  # before the pairing (2021-03-01)
    ({"targets-0-quantity": "0"}, "targets"),
])
def test_bad_agreement_is_refused_and_nothing_saved(world, new_pairing, overrides, field):
    response = client_for(world.coordinator, "en").post("/support/agreements/new/",
                                                         _form(new_pairing, world.programme, **overrides))
    assert response.status_code == 200
    form_errors = response.context["form"].errors
    target_errors = [e for e in response.context["targets"].errors if e]
    assert (field in form_errors or "__all__" in form_errors) if field != "targets" else target_errors
    assert not Agreement.objects.filter(pairing=new_pairing).exists()


def test_overlapping_agreement_for_the_same_pairing_and_programme(world):
    response = client_for(world.coordinator, "en").post(
        "/support/agreements/new/", _form(world.agreement1.pairing, world.programme))
    assert "overlap" in str(response.context["form"].errors)
    assert Agreement.objects.filter(pairing=world.agreement1.pairing).count() == 1


def test_scope_of_agreements(world, new_pairing):
    other = client_for(world.coordinator2)
    assert other.get(f"/support/agreements/{world.agreement1.pk}/").status_code == 404
    assert other.get(f"/support/agreements/{world.agreement1.pk}/edit/").status_code == 404
    assert other.post("/support/agreements/new/", _form(new_pairing, world.programme)).status_code == 200
    assert not Agreement.objects.filter(pairing=new_pairing).exists()  # not their pairing: form error
    staff = client_for(world.clinic_staff)
    assert staff.get(f"/support/agreements/{world.agreement1.pk}/").status_code == 200
    assert staff.get(f"/support/agreements/{world.agreement1.pk}/edit/").status_code == 404
    assert staff.get(f"/support/agreements/{world.agreement2.pk}/").status_code == 404
    listed = staff.get("/support/agreements/").context["page"].object_list
    assert [a.pk for a in listed] == [world.agreement1.pk]


def test_agreement_list_filters(world):
    client = client_for(world.supervisor)
    assert len(client.get("/support/agreements/").context["page"].object_list) == 3
    by_hospital = client.get(f"/support/agreements/?hospital={world.hospital2.pk}").context["page"].object_list
    assert [a.pk for a in by_hospital] == [world.agreement3.pk]
    by_clinic = client.get(f"/support/agreements/?clinic={world.clinic2.pk}").context["page"].object_list
    assert [a.pk for a in by_clinic] == [world.agreement2.pk]
    assert not client.get("/support/agreements/?status=draft").context["page"].object_list
    assert len(client.get(f"/support/agreements/?programme={world.programme.pk}").context["page"].object_list) == 3


def test_supervisor_edits_the_programme_others_read(world):
    client = client_for(world.supervisor)
    data = {"name": world.programme.name, "region": world.district.pk, "year": "2026", "min_title": "associate",
            "period": "week", "min_days": "1", "max_days": "2", "yearly_report_due": "2026-11-30"}
    assert client.post(f"/support/programmes/{world.programme.pk}/edit/", data).status_code == 302
    world.programme.refresh_from_db()
    assert (world.programme.min_title, world.programme.period) == ("associate", "week")
    bad = client.post("/support/programmes/new/", {**data, "name": "新项目", "min_days": "3", "max_days": "2"})
    assert bad.status_code == 200 and not Programme.objects.filter(name="新项目").exists()
    coordinator = client_for(world.coordinator)
    assert coordinator.get(f"/support/programmes/{world.programme.pk}/").status_code == 200
    assert coordinator.get(f"/support/programmes/{world.programme.pk}/edit/").status_code == 404
    assert coordinator.get("/support/programmes/new/").status_code == 404
    assert world.programme.name in coordinator.get("/support/programmes/").content.decode()


def test_agreement_date_outside_programme_region(world, new_pairing):
    from tests.factories import RegionFactory
    from tests.support.factories import ProgrammeFactory

    elsewhere = ProgrammeFactory(region=RegionFactory(name="丙区"), year=2026)
    response = client_for(world.supervisor, "en").post("/support/agreements/new/", _form(new_pairing, elsewhere))
    assert response.status_code == 200  # a programme of another region is not even a choice
    assert not Agreement.objects.filter(pairing=new_pairing).exists()


def test_edit_form_shows_the_dates_a_date_input_understands(world):
    page = client_for(world.coordinator, "zh-hans").get(f"/support/agreements/{world.agreement1.pk}/edit/")
    html = page.content.decode()
    assert 'type="date" name="start" value="2026-01-01"' in html
    assert 'value="2026-12-31"' in html
