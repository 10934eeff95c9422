"""Appointment jobs through the django.tasks API (run by the Huey worker); thin wrappers of services."""

from django_tasks import task

from . import services


@task()
def send_booking_reminders() -> int:
    """The day-before reminders (idempotent: each booking is reminded once)."""
    return services.send_reminders()
