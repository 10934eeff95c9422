"""A real worker process (`manage.py worker`, Huey) picks up a roster run, writes progress (best plan so
far and bound) to the row and finishes with a roster the checker accepts: no immediate mode, no mocks."""

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

from tests.factories import PairingFactory, user_with_role
from tests.roster.conftest import MONTH
from tests.support.factories import AgreementFactory, DoctorFactory
from yilian.accounts.models import Membership
from yilian.roster import services
from yilian.roster.models import RosterRun

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = "status, progress, best_unmet, bound, demand"


@pytest.fixture
def queue(tmp_path):
    original = HUEY.storage
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(tmp_path / "queue.sqlite3"))
    yield tmp_path / "queue.sqlite3"
    HUEY.storage = original


def _database_env(tmp_path):
    if connection.vendor == "sqlite":
        path = tmp_path / "db.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()

        def read(pk):
            with sqlite3.connect(path) as db:
                return db.execute(f"SELECT {COLUMNS} FROM roster_rosterrun WHERE id = ?", (pk,)).fetchone()
        return {"YILIAN_SQLITE_PATH": str(path)}, read
    url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]))

    def read(pk):
        return RosterRun.objects.filter(pk=pk).values_list(*COLUMNS.split(", ")).get()
    return {"DATABASE_URL": url}, read


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_solves_the_month(tmp_path, queue):
    pairing = PairingFactory(end=None)
    agreement = AgreementFactory(pairing=pairing, programme__region=pairing.clinic.region,
                                 required_specialties="全科, 儿科")
    for n, specialty in enumerate(["全科", "全科", "儿科"]):
        DoctorFactory(hospital=pairing.hospital, specialty=specialty, department=specialty, title="associate",
                      name=f"医师{n}")
    coordinator = user_with_role(Membership.Role.COORDINATOR, pairing.hospital)
    run = services.run_start(by=coordinator, programme=agreement.programme, month=MONTH,
                             scope_key=f"hospital:{pairing.hospital.pk}", time_limit=3)
    assert run.status == RosterRun.Status.QUEUED  # nothing runs it in this process
    env, read = _database_env(tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--workers", "1"], cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_TASK_QUEUE_PATH": str(queue),
             "YILIAN_DATA_DIR": str(tmp_path), "YILIAN_TASKS_IMMEDIATE": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        row = read(run.pk)
        while row[0] in ("queued", "running") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            row = read(run.pk)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    status, progress, best_unmet, bound, demand = row
    assert (status, progress) == ("done", 100), (row, output[-3000:])
    assert demand == 2  # two specialties, the programme minimum of one day each (no expert-days target)
    assert 0 <= bound <= best_unmet < demand
