"""Health, metrics, the 503 page, job recovery and atomic uploads, inside the test process (both databases)."""

import errno
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import File
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from tests.support import test_reports_fixtures
from tests.support.test_reports_fixtures import client_for
from yilian.ops.jobs import recover_interrupted_jobs
from yilian.ops.storage import AtomicFileSystemStorage
from yilian.ops.views import server_error
from yilian.support.models import ReportJob

pytestmark = pytest.mark.django_db
city = test_reports_fixtures.city


def test_healthz_says_what_it_checked(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "queue", "media_disk", "data_disk"}


def test_healthz_fails_when_a_disk_is_nearly_full(client, settings):
    settings.YILIAN_HEALTH_MIN_FREE_MB = 10**9  # no disk has a petabyte free
    response = client.get("/healthz")
    assert response.status_code == 503 and not response.json()["checks"]["media_disk"]["ok"]


def test_metrics_only_for_the_allowed_addresses_or_the_token(client, settings):
    client.get("/healthz")
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    settings.YILIAN_METRICS_TOKEN = "s3cret-token"
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and b'yilian_http_requests_total{method="GET",route="healthz"' in ok.content
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_request_id_is_kept_or_made(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-id-123456")["X-Request-ID"] == "proxy-id-123456"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert made != "<script>" and len(made) == 32


@pytest.mark.parametrize(("path", "json"), [("/api/v1/regions", True), ("/institutions/", False)])
def test_a_database_outage_is_503_not_500(path, json):
    request = RequestFactory().get(path)
    try:
        raise OperationalError("connection to server failed")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"]
    assert ("detail" in response.content.decode()) == json


def test_a_full_disk_is_507():
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        with translation.override("en"):
            response = server_error(RequestFactory().post("/api/v1/referrals"))
    assert response.status_code == 507 and "storage" in response.content.decode()


class _FailingFile(File):
    """Writes one chunk, then the disk is full."""

    def chunks(self, chunk_size=None):
        yield b"x" * 1024
        raise OSError(errno.ENOSPC, "No space left on device")


def test_upload_that_hits_a_full_disk_leaves_no_partial_file(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError):
        storage.save("uploads/scan.pdf", _FailingFile(None, name="scan.pdf"))
    assert not [p for p in Path(tmp_path).rglob("*") if p.is_file()]


def _job(city, **fields):
    return ReportJob.objects.create(kind=ReportJob.Kind.MONTHLY, requested_by=city["supervisor"],
                                    region=city["city"], period_start="2026-10-01", period_end="2026-10-31", **fields)


def test_a_job_whose_worker_died_twice_is_failed_and_can_be_asked_for_again(city, settings):
    settings.YILIAN_JOB_STALE_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    job = _job(city, status=ReportJob.Status.RUNNING, attempts=2, heartbeat_at=old)
    live = _job(city, status=ReportJob.Status.RUNNING, attempts=2, heartbeat_at=timezone.now())
    with translation.override("en"):
        recover_interrupted_jobs()
    job.refresh_from_db()
    live.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and "interrupted" in job.message
    assert live.status == ReportJob.Status.RUNNING  # its worker is alive: left alone
    live.delete()  # (a report still running would be handed back instead of a new one)
    client_for(city["supervisor"]).post(reverse("report-job-start"), {"scope": f"region:{city['city'].pk}",
                                                                      "month": "2026-10"})
    assert ReportJob.objects.exclude(pk=job.pk).count() == 1  # asked again: a new job


def test_a_job_interrupted_once_is_started_again(city, settings, tmp_path):
    from huey.contrib.djhuey import HUEY

    settings.YILIAN_JOB_STALE_SECONDS = 60
    settings.MEDIA_ROOT = tmp_path
    job = _job(city, status=ReportJob.Status.RUNNING, attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=5))
    HUEY.immediate = True  # the re-enqueued task runs here, in this process
    try:
        outcome = recover_interrupted_jobs()
    finally:
        HUEY.immediate = False
    job.refresh_from_db()
    assert next(iter(outcome.values()))["restarted"] == 1
    assert (job.status, job.attempts, job.progress) == (ReportJob.Status.DONE, 2, 100)


def test_the_worker_escalates_unanswered_green_channel_referrals_every_minute(db):
    from tests.referrals.factories import make_net, referral_kwargs
    from yilian.ops.tasks import every_minute
    from yilian.referrals import services as referral_services

    net = make_net()
    referral = referral_services.referral_create(
        **referral_kwargs(net, green_channel=net.chest_pain, now=timezone.now() - timedelta(minutes=10))).obj
    every_minute.call_local()
    referral.refresh_from_db()
    assert referral.escalated_at is not None


def test_every_scheduled_check_names_a_real_function():
    from django.utils.module_loading import import_string

    from yilian.ops.tasks import EVERY_MINUTE

    assert all(callable(import_string(path)) for path in EVERY_MINUTE)
