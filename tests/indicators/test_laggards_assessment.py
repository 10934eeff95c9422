"""Laggard notices (deduplicated), the monthly summary, and the annual assessment (Excel, PDF, FHIR)."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle

from yilian.indicators import assessment, engine, laggards
from yilian.indicators.models import Indicator, Pack, Target
from yilian.network.models import Institution
from yilian.notices.models import Notice

TODAY = date(2022, 7, 2)


@pytest.fixture
def standard(town):
    """One indicator: share of centres at the basic standard, target 50 % by March (missed in July)."""
    pack = Pack.objects.create(slug="t", title_zh="测试", title_en="Test", city="测试市", seed_file="x", version="1",
                               start=date(2022, 1, 1))
    indicator = Indicator.objects.create(pack=pack, code="basic", name_zh="基本标准", name_en="Basic", unit="%",
                                         definition={"query": {
                                             "numerator": {"model": "network.Institution", "by": "id",
                                                           "filter": {"standard": "basic"}},
                                             "denominator": {"model": "network.Institution", "by": "id",
                                                             "filter": {"kind": "community_center"}}}},
                                         source_sentence="40%的要达到基本标准")
    Target.objects.create(indicator=indicator, value=50, deadline=date(2022, 3, 31))
    Institution.objects.filter(pk__in=[town.clinics[0].pk, town.clinics[2].pk]).update(
        standard="basic", standard_year=2022)
    engine.refresh([indicator], today=TODAY, trend=False)
    return indicator


def test_laggards_notify_coordinator_and_supervisors_once(town, standard):
    sent = laggards.notify_laggards(TODAY)
    lagging = Notice.objects.filter(kind="indicators.laggard")
    assert sent == lagging.count() > 0
    clinic2 = lagging.filter(text__contains=town.clinics[1].name)
    assert set(clinic2.values_list("recipient", flat=True)) == {town.supervisor.pk, town.district_supervisor.pk}
    assert not lagging.filter(recipient=town.outsider).exists()
    assert laggards.notify_laggards(TODAY) == 0  # the same situation does not notify again


def test_coordinator_of_the_supporting_hospital_is_told(town, standard):
    Institution.objects.filter(pk=town.clinics[0].pk).update(standard="none", standard_year=None)
    engine.refresh([standard], today=TODAY, trend=False)
    laggards.notify_laggards(TODAY)
    assert Notice.objects.filter(recipient=town.coordinator, text__contains=town.clinics[0].name).exists()


def test_monthly_summary_lists_the_laggards(town, standard, client):
    assert laggards.monthly_summary(TODAY) == 3
    notice = Notice.objects.get(recipient=town.supervisor, kind="indicators.monthly_summary")
    assert "2 institutions" in notice.text or "2" in notice.text
    assert laggards.monthly_summary(TODAY) == 0
    client.force_login(town.supervisor)
    page = client.get(notice.url).content.decode()
    assert town.clinics[1].name in page and town.clinics[0].name not in page


def test_refresh_command_notifies(town, standard):
    call_command("refresh_indicators", "--notify", "--summary")
    assert Notice.objects.filter(kind="indicators.monthly_summary").exists()


def test_assessment_scores_institutions_and_districts(town, standard):
    result = assessment.assess(town.city, 2022, TODAY)
    scores = {s.obj.name: s.score for s in result.institutions}
    assert scores[town.clinics[0].name] == 100 and scores[town.clinics[1].name] == 0
    assert [s.score for s in result.districts] == [100, 100]  # each district: 1 of 2 at basic = 50 % ≥ 50 %
    standard.weight = 0
    standard.save()
    assert assessment.assess(town.city, 2022, TODAY).institutions == []


def test_assessment_exports_excel_pdf_and_fhir(client, town, standard, tmp_path):
    client.force_login(town.supervisor)
    xlsx = client.get(f"/indicators/assessment/?region={town.city.pk}&year=2022&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 3).value == "基本标准" and sheet.max_row == 1 + 2 + 4
    pdf = client.get(f"/indicators/assessment/?region={town.city.pk}&year=2022&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    _look_at(pdf.content, tmp_path)
    body = client.get(f"/api/v1/indicators/assessment/{town.city.pk}/2022/fhir").json()
    Bundle.model_validate(body)
    reports = [e["resource"] for e in body["entry"]]
    assert {r["resourceType"] for r in reports} == {"MeasureReport"}
    clinic = next(r for r in reports if r["subject"]["reference"] == f"Organization/org-{town.clinics[1].pk}")
    assert clinic["group"][0]["measureScore"]["value"] == 0
    assert client.get(f"/api/v1/indicators/assessment/{town.city.pk}/1800/fhir").status_code == 404
    client.force_login(town.outsider)
    assert client.get(f"/api/v1/indicators/assessment/{town.city.pk}/2022/fhir").status_code == 404


def _look_at(pdf: bytes, tmp_path):
    """Render the first page to PNG (pdftoppm) and check the page is not blank."""
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed")
    source = tmp_path / "a.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 2000


def test_periodic_jobs_refresh_and_summarise(town, standard):
    from yilian.indicators import tasks

    tasks.hourly_refresh.call_local()
    tasks.monthly_laggard_summary.call_local()
    assert Notice.objects.filter(kind="indicators.monthly_summary", recipient=town.supervisor).exists()
