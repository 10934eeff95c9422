"""A real worker process (Huey, `manage.py worker`) sends the SMS that a committed event enqueued."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.support.test_reports_worker import ROOT, _database_env, queue  # noqa: F401 (fixture)
from yilian.notices import services
from yilian.notices.models import Delivery


def _status(env, pk):
    if connection.vendor == "sqlite":
        with sqlite3.connect(env["YILIAN_SQLITE_PATH"]) as db:
            return db.execute("SELECT status FROM notices_delivery WHERE id = ?", (pk,)).fetchone()[0]
    return Delivery.objects.get(pk=pk).status


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_after_commit(tmp_path, queue):  # noqa: F811
    sms_log = tmp_path / "sms.log"
    (delivery,) = services.notify_contact(phone="13812345678", kind="test.sms", text="预约成功 ABC")
    env, _read = _database_env(tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--workers", "1"], cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "yilian.settings", "YILIAN_TASK_QUEUE_PATH": str(queue),
             "YILIAN_DATA_DIR": str(tmp_path), "YILIAN_TASKS_IMMEDIATE": "0",
             "YILIAN_SMS_BACKEND": "yilian.notices.sms.FileSmsBackend",
             "YILIAN_SMS_OPTIONS": json.dumps({"path": str(sms_log)})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while _status(env, delivery.pk) != "sent" and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    assert _status(env, delivery.pk) == "sent", output[-3000:]
    assert json.loads(sms_log.read_text(encoding="utf-8"))["text"] == "预约成功 ABC"
