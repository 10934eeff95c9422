"""Work the job workers do by themselves (djhuey imports this module in every worker).

Every minute: the checks that must not wait for a cron entry an operator may forget — referrals
nobody accepted in time go to the duty leader. Each is idempotent, so two workers (or two machines)
running the same minute do no harm; a lock keeps them from running it at the same moment.
"""

import logging

from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, signal
from huey.signals import SIGNAL_ERROR

from .metrics import TASK_ERRORS

logger = logging.getLogger(__name__)

EVERY_MINUTE = ["yilian.referrals.services.escalate_overdue"]


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("yilian-every-minute")
def every_minute():
    for path in EVERY_MINUTE:
        try:
            import_string(path)()
        except Exception:  # one failing check must not stop the others
            logger.exception("periodic %s failed", path)
            TASK_ERRORS.labels(path).inc()


@signal(SIGNAL_ERROR)
def count_task_error(signal_name, task, exc=None):
    TASK_ERRORS.labels(task.name).inc()
