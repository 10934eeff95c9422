"""Background tasks, through the django.tasks API (django-tasks on Django 5.2) and run by Huey:
start the worker with ``yilian worker``. Tasks stay thin: they call services."""

from django_tasks import task

from . import services_reports


@task()
def generate_monthly_report(job_id: int) -> None:
    """Figures, Excel and PDF of one ReportJob, with its progress written to the row."""
    services_reports.report_job_run(job_id)
