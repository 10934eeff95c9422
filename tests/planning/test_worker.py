"""A real worker process (`manage.py worker`, Huey) computes a queued scenario and reports progress
in the database: no immediate mode, no mocks (the pattern of tests/support/test_reports_worker.py)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage

from tests.planning.factories import make_area, upload_files
from yilian.planning import services
from yilian.planning.models import Scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(tmp_path):
    original = HUEY.storage
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(tmp_path / "queue.sqlite3"))
    yield tmp_path / "queue.sqlite3"
    HUEY.storage = original


def _database_env(tmp_path):
    query = "SELECT status, progress, message, covered_share FROM planning_scenario WHERE id = %s"
    if connection.vendor == "sqlite":
        path = tmp_path / "db.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()

        def read(pk):
            with sqlite3.connect(path) as db:
                return db.execute(query.replace("%s", "?"), (pk,)).fetchone()
        return {"YILIAN_SQLITE_PATH": str(path)}, read
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]))

    def read(pk):
        import psycopg

        with psycopg.connect(url) as db:
            return db.execute(query, (pk,)).fetchone()
    return {"DATABASE_URL": url}, read


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_scenario(tmp_path, queue, settings):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    area = make_area()
    scenario = services.scenario_start(by=area.supervisor, data={"name": "后台方案", "region": area.district,
                                                                 "new_sites": 1}, files=upload_files(), language="en")
    assert scenario.status == Scenario.Status.QUEUED and scenario.task_id
    env, read = _database_env(tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--workers", "1"], cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_TASK_QUEUE_PATH": str(queue),
             "YILIAN_MEDIA_ROOT": str(media), "YILIAN_DATA_DIR": str(tmp_path), "YILIAN_TASKS_IMMEDIATE": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        row = read(scenario.pk)
        while row[0] not in ("done", "failed") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            row = read(scenario.pk)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    status, progress, message, share = row
    assert (status, progress) == ("done", 100), (row, output[-3000:])
    assert message.startswith("Done") and 0 < share < 1
