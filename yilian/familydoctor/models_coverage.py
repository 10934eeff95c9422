"""The coverage view's figures per clinic and community, kept by the worker (see coverage.py).

Internal, like a materialised view: read only through ``coverage.coverage_report``, which limits
them to the clinics the user may see.
"""

from django.db import models

from yilian.network.models import Institution, Region


class CoverageCell(models.Model):
    """One (clinic, community) cell of the coverage view as of ``day``."""

    day = models.DateField()
    clinic = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Region, null=True, on_delete=models.CASCADE, related_name="+")
    population = models.JSONField(default=dict)  # key population → [members, contracted]
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    hypertensive = models.PositiveIntegerField(default=0)
    controlled = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "clinic"], name="fd_coverage_cell_day_clinic")]

    def __str__(self):
        return f"{self.day} {self.clinic_id}/{self.community_id}"


class CoverageState(models.Model):
    """A clinic's cells are current while they were computed for today, after its data last changed."""

    clinic = models.OneToOneField(Institution, primary_key=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(null=True)
    computed_at = models.DateTimeField(null=True)  # when the computation began
    changed_at = models.DateTimeField(null=True)  # the last committed change of its residents' figures

    def __str__(self):
        return f"{self.clinic_id}: {self.computed_at} / {self.changed_at}"
