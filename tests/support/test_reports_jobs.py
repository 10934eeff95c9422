"""Background report jobs through the pages: start, progress fragment polled by htmx, downloads
scoped to the requester. The worker runs inline here (Huey immediate mode); test_reports_worker.py
runs a real worker process."""

import io

import openpyxl
import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from tests.support import test_reports_fixtures
from tests.support.test_reports_fixtures import OCTOBER, client_for, month_visits, pdf_text_and_fonts
from yilian.support import services_reports as services
from yilian.support.models import ReportJob

city = test_reports_fixtures.city  # the shared fixture


@pytest.fixture
def inline_worker(settings, tmp_path):
    """Jobs run inside the request, files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    HUEY.immediate = True
    yield settings.MEDIA_ROOT
    HUEY.immediate = False


def _start(client, scope, month="2026-10"):
    return client.post(reverse("report-job-start"), {"scope": scope, "month": month})


def test_city_job_runs_and_offers_both_files(city, inline_worker):
    client = client_for(city["supervisor"])
    response = _start(client, f"region:{city['city'].pk}")
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("report-job", args=[job.pk])
    assert (job.status, job.progress, job.language) == (ReportJob.Status.DONE, 100, "en")
    assert job.task_id and job.finished_at
    assert (inline_worker / job.xlsx.name).exists() and (inline_worker / job.pdf.name).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' not in page  # finished: polling stops
    assert reverse("report-job-file", args=[job.pk, "xlsx"]) in page
    xlsx = client.get(reverse("report-job-file", args=[job.pk, "xlsx"]))
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    total_row = next(r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Total")
    assert total_row[5] == month_visits(pairing__in=city["pairings"]).count()
    pdf = client.get(reverse("report-job-file", args=[job.pk, "pdf"]))
    text, fonts = pdf_text_and_fonts(b"".join(pdf.streaming_content))
    assert city["clinics"][2].name in text and any("CJK" in f for f in fonts)


def test_files_and_progress_are_the_requesters_only(city, inline_worker):
    _start(client_for(city["supervisor"]), f"region:{city['city'].pk}")
    job = ReportJob.objects.get()
    other = client_for(city["coordinator"])
    for url in (reverse("report-job", args=[job.pk]), reverse("report-job-file", args=[job.pk, "xlsx"]),
                reverse("report-job-file", args=[job.pk, "pdf"])):
        assert other.get(url).status_code == 404
    # a coordinator cannot start the city's report either
    assert _start(other, f"region:{city['city'].pk}").status_code == 404
    assert ReportJob.objects.count() == 1


def test_progress_fragment_polls_until_done(city, inline_worker):
    """A queued job (no worker yet) renders a fragment that polls every second; once done it stops."""
    user = city["coordinator"]
    job = ReportJob.objects.create(kind=ReportJob.Kind.MONTHLY, requested_by=user,
                                   institution=city["hospitals"][0], period_start=OCTOBER[0],
                                   period_end=OCTOBER[1], language="en", message="Waiting for the worker…")
    client = client_for(user)
    fragment = client.get(reverse("report-job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="job-') and "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment and 'value="0"' in fragment
    assert "file.xlsx" not in fragment
    # asking again for the same report while it waits returns the waiting job
    again = services.report_job_start(by=user, scope_key=f"institution:{city['hospitals'][0].pk}", month="2026-10")
    assert again.pk == job.pk
    services.report_job_run(job.pk)
    fragment = client.get(reverse("report-job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger' not in fragment and 'value="100"' in fragment and "file.xlsx" in fragment
    finished = ReportJob.objects.get(pk=job.pk).finished_at
    services.report_job_run(job.pk)  # a retried task does not run a finished job again
    assert ReportJob.objects.get(pk=job.pk).finished_at == finished


def test_a_job_that_cannot_write_its_files_fails_visibly(city, inline_worker, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker
    client = client_for(city["coordinator"])
    _start(client, f"institution:{city['hospitals'][0].pk}")
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED and job.finished_at
    page = client.get(reverse("report-job", args=[job.pk])).content.decode()
    assert "could not be generated" in page and "file.pdf" not in page
    assert client.get(reverse("report-job-file", args=[job.pk, "pdf"])).status_code == 404


def test_bad_month_is_refused_with_a_message(city, inline_worker):
    client = client_for(city["supervisor"])
    response = _start(client, f"region:{city['city'].pk}", month="2026/10")
    assert response.status_code == 302 and not ReportJob.objects.exists()
    assert "Give the month as YYYY-MM" in client.get(response["Location"]).content.decode()
    assert _start(client, f"region:{city['city'].pk}", month="2099-01").status_code == 302
    assert not ReportJob.objects.exists()
