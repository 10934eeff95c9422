"""Background jobs, run by the Huey worker (`yilian worker`); thin, they call the engine and the
laggard service. The periodic ones keep the snapshot fresh without cron; `refresh_indicators` (the
management command) does the same by hand."""

from django.utils import timezone
from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import engine, laggards


@task()
def refresh_indicators(notify: bool = False) -> int:
    rows = engine.refresh()
    if notify:
        laggards.notify_laggards(timezone.localdate())
    return rows


@db_periodic_task(crontab(minute="5"))
def hourly_refresh():
    """Every hour: the whole snapshot (what ledger writes did not already refresh) and laggard notices."""
    engine.refresh()
    laggards.notify_laggards(timezone.localdate())


@db_periodic_task(crontab(day="1", hour="8", minute="30"))
def monthly_laggard_summary():
    """First day of the month, 08:30: each supervisor's list of laggards (及时进行通报)."""
    laggards.monthly_summary(timezone.localdate())
