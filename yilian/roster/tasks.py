"""Background task of the roster optimiser (django.tasks API, run by Huey: ``yilian worker``)."""

from django_tasks import task

from . import services


@task()
def solve_roster(run_id: int) -> None:
    """Solve or re-plan one RosterRun, writing the best plan so far and the bound to its row."""
    services.run_execute(run_id)
