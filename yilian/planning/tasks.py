"""Background task of planning (django.tasks API, run by Huey: ``yilian worker``)."""

from django_tasks import task

from . import services


@task()
def run_scenario(scenario_id: int) -> None:
    """Coverage, catchments and proposed sites of one Scenario, with progress on the row."""
    services.scenario_run(scenario_id)
