"""``yilian production`` on PostgreSQL and Redis, as real processes, and the faults it must survive.

One stack for the module (PostgreSQL cluster, redis-server, ``yilian production`` with gunicorn and a
job worker, the Guiyang demo loaded). The tests run in order, from the plain checks to the faults:
a web worker killed during a burst of writes, the job worker killed in the middle of a city report,
PostgreSQL stopped at once and started again, the upload disk filled up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from .servers import Postgres, Production, Redis, missing_tools, production_env, wait_for

pytestmark = [pytest.mark.ops]

SETUP = """
from django.core.management import call_command
call_command("demo", verbosity=0)
from django.contrib.auth import get_user_model
from yilian.accounts.models import ApiToken
from yilian.network.models import Region
user = get_user_model().objects.get(username="gy_supervisor")
token, key = ApiToken.issue(user, "ops-test")
print("RESULT", key, Region.objects.get(name="乌当区").pk)
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("runs once, in the SQLite pass of the suite (it starts its own PostgreSQL)")
    if missing := missing_tools():
        pytest.fail(f"missing for the production tests: {', '.join(missing)} (./dev test installs them)")
    data = tmp_path_factory.mktemp("production")
    media = _small_disk(data / "media")
    postgres, redis = Postgres(), Redis()
    env = production_env(data, postgres.url, redis.url, YILIAN_MEDIA_ROOT=str(media), YILIAN_JOB_STALE_SECONDS="3",
                         YILIAN_HEALTH_MIN_FREE_MB="1")
    server = None
    try:
        server = Production(env, web_workers=2, job_workers=1)
        line = next(x for x in server.manage(SETUP).splitlines() if x.startswith("RESULT"))
        _, token, region = line.split()
        yield {"server": server, "postgres": postgres, "token": token, "region": int(region), "media": media}
    finally:
        if server:
            server.stop()
        redis.destroy()
        postgres.destroy()
        if media.is_mount():
            subprocess.run(["umount", str(media)], check=False)  # noqa: S603,S607


def _small_disk(path: Path) -> Path:
    """A 16 MiB tmpfs for uploads, so the disk-full test fills a real file system, not the machine's."""
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(path)],  # noqa: S603,S607
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")
    return path


def _auth(stack, **headers):
    return {"Authorization": f"Bearer {stack['token']}", **headers}


def _institution(stack, name):
    return {"name": name, "kind": "community_station", "region": stack["region"]}


def test_health_names_postgresql_and_the_redis_queue(stack):
    status, body, _ = stack["server"].get("/healthz")
    checks = json.loads(body)["checks"]
    assert status == 200
    assert checks["database"]["vendor"] == "postgresql"
    assert checks["queue"]["backend"] == "RedisHuey"
    assert checks["media_disk"]["ok"] and checks["data_disk"]["ok"]


def test_every_request_is_logged_as_json_with_its_request_id(stack):
    server = stack["server"]
    status, _, headers = server.get("/api/v1/regions", headers=_auth(stack, **{"X-Request-ID": "trace-abc-12345"}))
    assert status == 200 and headers["X-Request-ID"] == "trace-abc-12345"
    _, _, headers = server.get("/healthz")
    assert len(headers["X-Request-ID"]) == 32  # none offered: one is made

    def logged():
        for line in server.errors().splitlines():
            if line.startswith("{") and "trace-abc-12345" in line:
                return json.loads(line)
        return None

    entry = wait_for(logged, 10, "the access log line")
    assert entry["request_id"] == "trace-abc-12345" and entry["status"] == 200
    assert entry["route"].startswith("api/v1/regions") and entry["duration_ms"] >= 0


def test_metrics_add_up_all_web_workers(stack):
    server = stack["server"]
    for _ in range(12):  # spread over both gunicorn workers
        server.get("/healthz")
    status, body, _ = server.get("/metrics")
    text = body.decode()
    assert status == 200
    served = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                 if line.startswith('yilian_http_requests_total{') and 'route="healthz"' in line)
    assert served >= 12
    assert "yilian_queue_depth " in text and "yilian_http_request_duration_seconds_bucket" in text


def test_a_burst_of_writes_survives_a_killed_web_worker(stack):
    """Every create acknowledged to the client is in the database; replaying every key adds nothing."""
    server = stack["server"]
    keys = [f"burst-{uuid.uuid4().hex}" for _ in range(60)]
    acknowledged, failed = {}, []

    def send(key):
        status, body, _ = server.request("POST", "/api/v1/institutions", _institution(stack, f"突发站点{key[-8:]}"),
                                         headers=_auth(stack, **{"Idempotency-Key": key}))
        if status == 201:
            acknowledged[key] = json.loads(body)["id"]
        else:
            failed.append((key, status))

    def killer():
        time.sleep(0.4)
        for pid in server.web_workers()[:1]:
            os.kill(pid, signal.SIGKILL)

    threads = [threading.Thread(target=killer)]
    for batch in range(6):
        threads += [threading.Thread(target=send, args=(k,)) for k in keys[batch * 10:(batch + 1) * 10]]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join()
    assert acknowledged, f"no write went through: {failed}"
    wait_for(lambda: len(server.web_workers()) == 2, 30, "gunicorn to replace the killed worker")
    ids = _ids_of(stack, "突发站点")
    assert set(acknowledged.values()) <= ids  # nothing acknowledged is lost
    for key in keys:  # the client retries everything it is unsure of, and everything else too
        send(key)
    assert len(acknowledged) == len(keys)
    assert _ids_of(stack, "突发站点") == set(acknowledged.values())  # one row per key, none half-made


def _ids_of(stack, prefix) -> set[int]:
    with psycopg.connect(stack["postgres"].url) as db:
        rows = db.execute("SELECT id FROM network_institution WHERE name LIKE %s", (prefix + "%",)).fetchall()
    return {r[0] for r in rows}


REPORT = """
from yilian.support import services_reports as s
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="gy_supervisor")
scope = next(x for x in s.report_scopes(user) if x.region and x.region.name == "贵阳市")
job = s.report_job_start(by=user, scope_key=scope.key, month=s.previous_month())
print("JOB", job.pk)
"""


def test_a_city_report_survives_a_killed_job_worker(stack):
    server = stack["server"]
    job_id = int(server.manage(REPORT).split("JOB", 1)[1].split()[0])
    with psycopg.connect(stack["postgres"].url, autocommit=True) as db:
        def state():
            return db.execute("SELECT status, progress, attempts FROM support_reportjob WHERE id=%s",
                              (job_id,)).fetchone()

        wait_for(lambda: state()[0] == "running", 60, "the worker to start the report", interval=0.02)
        workers = server.children()["worker"]
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        assert state()[0] == "running"  # killed in the middle
        wait_for(lambda: set(server.children()["worker"]) - set(workers), 30, "a new job worker")
        final = wait_for(lambda: state()[0] in ("done", "failed") and state(), 120, "the report to finish")
    assert final[0] == "done" and final[1] == 100 and final[2] == 2  # resumed by the recovery, on the 2nd attempt


def test_database_down_is_503_then_recovers_by_itself(stack):
    server, postgres = stack["server"], stack["postgres"]
    postgres.stop("immediate")
    try:
        status, body, headers = server.get("/api/v1/regions", headers=_auth(stack))
        assert status == 503 and headers.get("Retry-After") and "detail" in json.loads(body)
        assert server.get("/login/")[0] == 503
        health = json.loads(server.get("/healthz")[1])
        assert health["status"] == "fail" and not health["checks"]["database"]["ok"]
    finally:
        postgres.start()
    started = time.monotonic()
    wait_for(lambda: server.get("/api/v1/regions", headers=_auth(stack))[0] == 200, 60, "recovery")
    assert time.monotonic() - started < 60
    assert server.get("/healthz")[0] == 200


def test_a_full_upload_disk_fails_the_report_cleanly_and_it_can_be_asked_again(stack):
    server, media = stack["server"], stack["media"]
    filler = media / "filler.bin"
    before = _files(media)
    with open(filler, "wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 1024 * 64)
                f.flush()
        except OSError:
            pass
    try:
        health = json.loads(server.get("/healthz")[1])
        assert health["status"] == "fail" and not health["checks"]["media_disk"]["ok"]
        outcome = _report_outcome(stack)
        assert outcome[0] == "failed", outcome  # told, not stuck at "running"
        assert _files(media) == before | {"filler.bin"}  # no half-written workbook or PDF
    finally:
        filler.unlink()
    assert server.get("/healthz")[0] == 200
    outcome = _report_outcome(stack)
    assert outcome[0] == "done", outcome  # asked again once there is room


def _report_outcome(stack) -> str:
    job_id = int(stack["server"].manage(REPORT).split("JOB", 1)[1].split()[0])
    with psycopg.connect(stack["postgres"].url, autocommit=True) as db:
        def finished():
            row = db.execute("SELECT status, message, id FROM support_reportjob WHERE id=%s", (job_id,)).fetchone()
            return row if row[0] in ("done", "failed") else None

        return wait_for(finished, 120, "the report to finish")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
