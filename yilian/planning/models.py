"""A coverage scenario of the 15-minute health circle: inputs, parameters, results, who ran it."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.core.scoping import ScopedManager, under_regions
from yilian.network.models import Region


class Scenario(models.Model):
    """One analysis of a district (or the city): computed in the worker, results kept as JSON."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", pgettext_lazy("planning", "Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated street grid (demo)")
        UPLOAD = "upload", _("Uploaded files")

    class Datum(models.TextChoices):
        WGS84 = "wgs84", _("WGS-84 (GPS, OpenStreetMap)")
        GCJ02 = "gcj02", _("GCJ-02 (Amap, Tencent)")
        BD09 = "bd09", _("BD-09 (Baidu)")

    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("network source"), max_length=10, choices=Source.choices, default=Source.UPLOAD)
    network_file = models.FileField(_("walking network"), upload_to="planning/%Y/%m/", blank=True)
    population_file = models.FileField(_("population"), upload_to="planning/%Y/%m/", blank=True)
    candidates_file = models.FileField(_("candidate sites"), upload_to="planning/%Y/%m/", blank=True)
    datum = models.CharField(_("coordinate system of the files"), max_length=6, choices=Datum.choices,
                             default=Datum.WGS84)
    seed = models.PositiveIntegerField(_("seed of the generated network"), default=1)
    speed_kmh = models.FloatField(_("walking speed (km/h)"), default=4.5,
                                  validators=[MinValueValidator(0.5), MaxValueValidator(30)])
    threshold_min = models.FloatField(_("threshold (minutes)"), default=15,
                                      validators=[MinValueValidator(1), MaxValueValidator(120)])
    max_access_m = models.FloatField(_("longest walk to a road (m)"), default=500,
                                     validators=[MinValueValidator(1), MaxValueValidator(10000)])
    new_sites = models.PositiveSmallIntegerField(_("new sites to propose"), default=3,
                                                 validators=[MinValueValidator(0), MaxValueValidator(200)])
    target_share = models.FloatField(_("target share covered (%)"), null=True, blank=True,
                                     validators=[MinValueValidator(1), MaxValueValidator(100)])

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    # the prepared arrays (network, people, facilities) the what-if on the map starts from
    prepared = models.FileField(upload_to="planning/prepared/", blank=True, editable=False)
    covered_share = models.FloatField(_("share covered"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("run by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    client_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("coverage scenario")
        verbose_name_plural = _("coverage scenarios")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope, action):
        # planning is the health commission's work: supervisors of the area see and run it
        return under_regions(scope.region_paths, "region__path")

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
