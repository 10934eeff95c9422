"""Background jobs seen from operations: their states for metrics, and recovery after a crash.

Each capability with job rows lists them here: (kind, model label, status field) for metrics, and a
``recover(stale_after)`` function that restarts or fails jobs whose worker died.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

JOB_MODELS = [("report", "support.ReportJob")]
RECOVERERS = ["yilian.support.services_reports.report_jobs_recover"]


def job_states() -> dict[tuple[str, str], int]:
    states = {}
    for kind, label in JOB_MODELS:
        model = apps.get_model(label)
        for row in model._base_manager.values("status").annotate(n=Count("pk")).order_by():
            states[(kind, row["status"])] = row["n"]
    return states


def recover_interrupted_jobs() -> dict[str, dict]:
    stale_after = timedelta(seconds=settings.YILIAN_JOB_STALE_SECONDS)
    outcome = {}
    for path in RECOVERERS:
        outcome[path] = import_string(path)(stale_after)
        if any(outcome[path].values()):
            logger.warning("recovered interrupted jobs", extra={"recoverer": path, **outcome[path]})
    return outcome


def start_recovery_thread() -> threading.Thread:
    """Look for interrupted jobs now and then, for as long as this worker process lives.

    Every worker does it (there may be several machines); recovering is safe to repeat.
    """
    interval = max(1.0, settings.YILIAN_JOB_STALE_SECONDS / 3)

    def loop():
        from django.db import close_old_connections

        while True:
            try:
                recover_interrupted_jobs()
            except Exception:  # the database may be restarting; try again next round
                logger.exception("job recovery failed")
            finally:
                close_old_connections()
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="yilian-job-recovery", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def heartbeat(queryset):
    """Touch ``heartbeat_at`` of the job row(s) while the block runs, so recovery knows the worker lives.

    Progress steps can be minutes apart (one large PDF); the heartbeat is not.
    """
    from django.db import close_old_connections, connection
    from django.utils import timezone

    stop = threading.Event()
    interval = max(0.5, settings.YILIAN_JOB_STALE_SECONDS / 4)

    def beat():
        try:
            while not stop.wait(interval):
                try:
                    queryset.update(heartbeat_at=timezone.now())
                except Exception:  # the database may be restarting; the next beat tries again
                    logger.warning("job heartbeat failed", exc_info=True)
                    close_old_connections()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name="yilian-job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
