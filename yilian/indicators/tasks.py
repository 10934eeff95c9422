"""Background jobs (django.tasks API, run by Huey): thin, they call the engine and the laggard service."""

from django.utils import timezone
from django_tasks import task

from . import engine, laggards


@task()
def refresh_indicators(notify: bool = False) -> int:
    rows = engine.refresh()
    if notify:
        laggards.notify_laggards(timezone.localdate())
    return rows
