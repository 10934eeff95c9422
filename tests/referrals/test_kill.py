"""Crash safety: SIGKILL the web process during a burst of referral creates. Every referral the
client saw acknowledged is in the database afterwards, none is half-written (each has its event
and audit row), and replaying every key after a restart creates no duplicate."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.referrals.factories import make_net
from yilian.accounts.models import ApiToken
net = make_net()
token, key = ApiToken.issue(net.clinic_user, "kill-test")
print(json.dumps({"resident": net.resident.pk, "department": net.cardiology.pk, "key": key}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path):
    # The server under test keeps its own SQLite file (read back directly below), also in the
    # PostgreSQL run of the suite: DATABASE_URL is not passed on.
    inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**inherited, "DJANGO_SETTINGS_MODULE": "tests.referrals.kill_settings",
            "YILIAN_DATA_DIR": str(tmp_path), "YILIAN_SQLITE_PATH": str(tmp_path / "kill.sqlite3"),
            "YILIAN_DEBUG": "0", "PYTHONPATH": str(ROOT)}


def _start(env, port):
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not start")


def _post(port, token, body, timeout=10):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/referrals", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_sigkill_during_burst_loses_no_acknowledged_referral(tmp_path):
    env = _env(tmp_path)
    setup = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                           check=True, timeout=240)
    data = json.loads(setup.stdout.strip().splitlines()[-1])
    port = _free_port()
    server = _start(env, port)
    acked, sent, lock, stop = {}, [], threading.Lock(), threading.Event()

    def body(key):
        return {"resident": data["resident"], "department": data["department"], "icd_code": "I21.0",
                "urgency": 1, "consent": True, "reason": "burst", "client_key": key}

    def client(n):
        for i in range(1000):
            if stop.is_set():
                return
            key = f"t{n}-{i}"
            with lock:
                sent.append(key)
            try:
                status, answer = _post(port, data["key"], body(key))
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                return
            with lock:
                acked[key] = answer["id"]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert len(acked) >= 40

    db = sqlite3.connect(tmp_path / "kill.sqlite3")
    rows = dict(db.execute("select client_key, id from referrals_referral").fetchall())
    for key, pk in acked.items():
        assert rows.get(key) == pk, f"acknowledged referral {key} lost"
    half = db.execute("""select r.id from referrals_referral r where
        (select count(*) from referrals_referralevent e where e.referral_id = r.id and e.kind = 'created') != 1
        or (select count(*) from core_auditentry a where a.object_type = 'referrals.referral'
            and a.object_id = r.id and a.action = 'create') != 1""").fetchall()
    assert half == []
    db.close()

    server = _start(env, port)
    try:
        for key in sent:  # a client that never saw an answer retries every key
            status, answer = _post(port, data["key"], body(key))
            if key in acked:
                assert (status, answer["id"]) == (200, acked[key])
            else:
                assert status in (200, 201)
    finally:
        server.terminate()
        server.wait(timeout=10)
    db = sqlite3.connect(tmp_path / "kill.sqlite3")
    assert db.execute("select count(*) from referrals_referral").fetchone()[0] == len(set(sent))
    db.close()
