"""A real worker process (`manage.py worker`, Huey) picks up a report job from the queue, writes the
files and reports progress in the database: no immediate mode, no mocks.

The job and its data are committed in the test database; on SQLite the database is copied to a
file the worker opens, on PostgreSQL the worker connects to the test database itself."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage

from tests.factories import PairingFactory, user_with_role
from tests.support.factories import VisitFactory, WorkItemFactory
from yilian.accounts.models import Membership
from yilian.support import services_reports as services
from yilian.support.models import ReportJob

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(tmp_path):
    """Enqueue into a queue file of our own, which the worker process is pointed at."""
    original = HUEY.storage
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(tmp_path / "queue.sqlite3"))
    yield tmp_path / "queue.sqlite3"
    HUEY.storage = original


def _database_env(tmp_path) -> tuple[dict, callable]:
    """Environment that points the worker at this test's data, and a reader of the job row it updates."""
    if connection.vendor == "sqlite":
        path = tmp_path / "db.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()

        def read(pk):
            with sqlite3.connect(path) as db:
                return db.execute("SELECT status, progress, message, xlsx, pdf FROM support_reportjob WHERE id = ?",
                                  (pk,)).fetchone()
        return {"YILIAN_SQLITE_PATH": str(path)}, read
    # the server of DATABASE_URL, but the test database on it
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]))

    def read(pk):
        return ReportJob.objects.filter(pk=pk).values_list("status", "progress", "message", "xlsx", "pdf").get()
    return {"DATABASE_URL": url}, read


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_generates_the_report(tmp_path, queue):
    pairing = PairingFactory(end=None, clinic__name="工人村社区卫生服务中心")
    for day in (8, 9, 10):
        visit = VisitFactory(pairing=pairing, date=date(2026, 10, day), doctor__hospital=pairing.hospital,
                             doctor__name=f"医生{day}")
        WorkItemFactory(visit=visit, count=day)
    coordinator = user_with_role(Membership.Role.COORDINATOR, pairing.hospital)
    job = services.report_job_start(by=coordinator, scope_key=f"institution:{pairing.hospital.pk}",
                                    month="2026-10", language="en")
    assert job.status == ReportJob.Status.QUEUED  # nothing runs it in this process
    env, read = _database_env(tmp_path)
    media = tmp_path / "media"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--workers", "1"], cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_TASK_QUEUE_PATH": str(queue),
             "YILIAN_MEDIA_ROOT": str(media), "YILIAN_DATA_DIR": str(tmp_path), "YILIAN_TASKS_IMMEDIATE": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        row = read(job.pk)
        while row[0] not in ("done", "failed") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            row = read(job.pk)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    status, progress, message, xlsx, pdf = row
    assert (status, progress) == ("done", 100), (row, output[-3000:])
    assert "3 visits" in message
    book = openpyxl.load_workbook(io.BytesIO((media / xlsx).read_bytes()))
    total = next(r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Total")
    assert total[5] == 3 and total[10] == 8 + 9 + 10  # visits; patients seen in the clinic sessions
    assert (media / pdf).read_bytes().startswith(b"%PDF-")
    assert media != settings.MEDIA_ROOT  # the test process itself wrote nothing there
