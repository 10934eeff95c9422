"""Work the job workers do by themselves (djhuey imports this module in every worker).

Every minute: the checks that must not wait for a cron entry an operator may forget (referrals
nobody accepted in time and studies about to miss their turnaround go to the duty leader), and the
family-doctor coverage cells of the clinics whose figures changed.
Every night: the family doctors' visit plans; every afternoon: tomorrow's booking reminders.
Each is idempotent, so two workers (or two machines) running the same one do no harm; a lock keeps
them from running it at the same moment.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, signal
from huey.signals import SIGNAL_ERROR

from .metrics import TASK_ERRORS

logger = logging.getLogger(__name__)

EVERY_MINUTE = [
    "yilian.referrals.services.escalate_overdue",
    "yilian.telehealth.services.escalate_studies",
    "yilian.notices.services.deliver_due",  # e-mail and SMS a stopped worker left behind, and retries
    "yilian.familydoctor.coverage.refresh_coverage",  # the coverage view's cells of clinics that changed
]


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("yilian-every-minute")
def every_minute():
    for path in EVERY_MINUTE:
        try:
            import_string(path)()
        except Exception:  # one failing check must not stop the others
            logger.exception("periodic %s failed", path)
            TASK_ERRORS.labels(path).inc()


@db_periodic_task(crontab(hour="1", minute="10"))
@HUEY.lock_task("yilian-nightly-visit-plan")
def plan_family_doctor_visits_nightly():
    """Every night, each clinic's visit plan for the coming weeks (idempotent: due visits are planned once)."""
    from yilian.familydoctor.models import Contract
    from yilian.familydoctor.services_care import generate_visit_plan
    from yilian.familydoctor.views_care import PLAN_HORIZON_DAYS
    from yilian.network.models import Institution

    until = timezone.localdate() + timedelta(days=PLAN_HORIZON_DAYS)
    clinic_ids = Contract.objects.filter(status=Contract.Status.ACTIVE).values_list("clinic_id", flat=True).distinct()
    planned = 0
    for clinic in Institution.objects.filter(pk__in=list(clinic_ids)):
        try:
            planned += generate_visit_plan(clinic, until)
        except Exception:  # one clinic's bad data must not stop the others' plans
            logger.exception("visit plan of clinic %s failed", clinic.pk)
            TASK_ERRORS.labels("plan_family_doctor_visits_nightly").inc()
    return planned


@db_periodic_task(crontab(hour="17", minute="0"))
@HUEY.lock_task("yilian-booking-reminders")
def remind_tomorrows_bookings():
    """The day-before reminder of every booking (idempotent: each booking is reminded once)."""
    from yilian.appointments.services import send_reminders

    return send_reminders()


@signal(SIGNAL_ERROR)
def count_task_error(signal_name, task, exc=None):
    TASK_ERRORS.labels(task.name).inc()
