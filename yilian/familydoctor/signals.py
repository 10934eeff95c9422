"""Changes that move the coverage figures mark their clinics' snapshot stale (see coverage.py).

Saves only: a receiver of deletes would cost every bulk delete of these models its fast path, so
the few deletes that matter (a tag removed) call ``coverage_changed`` themselves, as bulk writes do.
"""

from django.db.models.signals import post_save, pre_save

from .coverage import coverage_changed
from .models import Resident, ResidentTag
from .models_care import Contract, PlannedVisit, VisitRecord


def _clinics_of_residents(*resident_ids):
    return Resident.objects.filter(pk__in=[pk for pk in resident_ids if pk]).values_list("clinic_id", flat=True)


def _resident_moving(sender, instance: Resident, **kwargs):
    if instance.pk:  # moved to another clinic: the one it leaves changes too
        coverage_changed(Resident.objects.filter(pk=instance.pk).values_list("clinic_id", flat=True))


def _resident_saved(sender, instance: Resident, **kwargs):
    coverage_changed([instance.clinic_id])


def _tag_saved(sender, instance: ResidentTag, **kwargs):
    coverage_changed(_clinics_of_residents(instance.resident_id))


def _contract_saved(sender, instance: Contract, **kwargs):
    coverage_changed([instance.clinic_id, *_clinics_of_residents(instance.resident_id)])


def _planned_visit_saved(sender, instance: PlannedVisit, **kwargs):
    coverage_changed(Contract.objects.filter(pk=instance.contract_id).values_list("clinic_id", flat=True))


def _visit_saved(sender, instance: VisitRecord, **kwargs):
    coverage_changed(_clinics_of_residents(instance.resident_id))


def connect():
    pre_save.connect(_resident_moving, sender=Resident, dispatch_uid="fd-coverage-resident-moving")
    post_save.connect(_resident_saved, sender=Resident, dispatch_uid="fd-coverage-resident")
    post_save.connect(_tag_saved, sender=ResidentTag, dispatch_uid="fd-coverage-tag")
    post_save.connect(_contract_saved, sender=Contract, dispatch_uid="fd-coverage-contract")
    post_save.connect(_planned_visit_saved, sender=PlannedVisit, dispatch_uid="fd-coverage-planned")
    post_save.connect(_visit_saved, sender=VisitRecord, dispatch_uid="fd-coverage-visit")
