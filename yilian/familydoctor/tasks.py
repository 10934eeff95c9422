"""Background tasks (django.tasks API, run by Huey: ``yilian worker``). Thin: they call services."""

from django_tasks import task

from . import services_import


@task()
def run_import(job_id: int) -> None:
    """Save the rows of one confirmed resident or contract import, with its progress written to the job."""
    services_import.import_job_run(job_id)


@task()
def run_resident_import(job_id: int) -> None:
    """The earlier name of ``run_import``: jobs queued before the rename still run."""
    services_import.import_job_run(job_id)
