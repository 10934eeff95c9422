"""What /healthz checks: the database answers, the job queue answers, the disks have room."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection


def queue_depth() -> int:
    from huey.contrib.djhuey import HUEY

    return HUEY.pending_count()


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_queue() -> dict:
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        return {"ok": True, "mode": "immediate"}
    return {"ok": True, "backend": type(HUEY).__name__, "depth": queue_depth()}


def check_disk(path: Path) -> dict:
    path.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".healthz-"):
        pass  # writable, not only present
    return {"ok": free_mb >= settings.YILIAN_HEALTH_MIN_FREE_MB, "free_mb": free_mb}


def run_checks() -> dict[str, dict]:
    checks = {
        "database": check_database,
        "queue": check_queue,
        "media_disk": lambda: check_disk(Path(settings.MEDIA_ROOT)),
        "data_disk": lambda: check_disk(Path(settings.DATA_DIR)),
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 — a failing check is a result, not a crash
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return results
