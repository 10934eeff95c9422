"""Notice deliveries run in the worker (django.tasks API, Huey), like the support reports."""

from django_tasks import task

from . import services


@task()
def send_delivery(delivery_id: int) -> None:
    """Send one e-mail or SMS; a failure schedules its own retry."""
    services.delivery_send(delivery_id)


@task()
def deliver_due() -> None:
    """Sweep: everything pending or due for a retry (what a stopped worker left behind)."""
    services.deliver_due()
