"""Policy packs (one YAML file per seed document), their indicators and targets, the computed
snapshot the dashboard reads, and satisfaction surveys.

Glossary: 政策指标 policy indicator · 目标值 target · 截止日期 deadline · 满意率 satisfaction rate.
The public-health ledgers live in ``models_ledgers`` (imported at the end).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution, Region


class Pack(models.Model):
    """A city's programme as loaded from ``packs/<slug>.yaml`` (shipped) or created in the UI."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    city = models.CharField(_("city"), max_length=60)
    seed_file = models.CharField(_("source document"), max_length=100)
    version = models.CharField(_("version"), max_length=30)
    file_hash = models.CharField(_("file hash"), max_length=64, blank=True)
    start = models.DateField(_("programme start"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    objects = models.Manager()

    class Meta:
        verbose_name = _("policy pack")
        verbose_name_plural = _("policy packs")
        ordering = ["slug"]

    def __str__(self):
        return self.title_zh


class Indicator(models.Model):
    """One quantified target of a seed document and how Yilian computes it from its data.

    ``definition`` is the validated YAML mapping: ``{"query": {...}}``, ``{"metric": name}``.
    ``shipped`` indicators come from the pack file (the source of truth); supervisors may add
    their own (``shipped=False``), which a reload of the file never touches.
    """

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", _("at least")
        AT_MOST = "at_most", _("at most")

    pack = models.ForeignKey(Pack, verbose_name=_("policy pack"), on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("code"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=30)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST)
    definition = models.JSONField(_("definition"))
    source_sentence = models.TextField(_("source sentence"))
    weight = models.DecimalField(_("weight in the annual assessment"), max_digits=5, decimal_places=2, default=1,
                                 validators=[MinValueValidator(0), MaxValueValidator(100)])
    shipped = models.BooleanField(_("shipped in the pack file"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = models.Manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["pack__slug", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["pack", "code"], name="indicator_code_unique_in_pack")]

    def __str__(self):
        return self.name_zh

    @property
    def metric_name(self) -> str:
        return self.definition.get("metric", "")


class Target(models.Model):
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
                                       related_name="targets")
    value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    deadline = models.DateField(_("deadline"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["deadline"]

    def __str__(self):
        return f"{self.value} @ {self.deadline}"


class Snapshot(models.Model):
    """A computed (numerator, denominator) of one indicator for one institution or region.

    Rows carry the region path, so any region's figure is one prefix-filtered SUM.
    ``period`` is "" for the current figure, "YYYY-MM" for the trend's month-ends.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="snapshots")
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    region_path = models.CharField(max_length=255)
    period = models.CharField(max_length=7, blank=True, default="")
    numerator = models.FloatField(default=0)
    denominator = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    objects = models.Manager()

    class Meta:
        indexes = [models.Index(fields=["period", "region_path", "indicator"], name="snapshot_region")]

    def __str__(self):
        return f"{self.indicator_id} {self.region_path} {self.period or 'now'}"


class RefreshState(models.Model):
    """When the snapshot was last rebuilt and whether a ledger write asked for a new one."""

    key = models.CharField(max_length=20, unique=True, default="all")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    dirty = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.key} {self.refreshed_at}"


# ------------------------------------------------------------------------------ satisfaction surveys


class Survey(models.Model):
    """A questionnaire residents answer on a public page (QR code at the clinic or after a visit)."""

    class Period(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    title = models.CharField(_("title"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("one answer per phone per"), max_length=10, choices=Period.choices,
                              default=Period.QUARTER)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-pk"]

    def __str__(self):
        return self.title

    @classmethod
    def scope_q(cls, scope, action):
        in_region = under_regions(scope.region_paths, "region__path")
        if action == CHANGE:
            return in_region
        # staff see the surveys of the regions their institutions lie in (Region's own upward scope)
        return any_of([in_region, Q(region__in=Region.objects.for_scope(scope).values("pk"))])


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–5")
        YES_NO = "yes_no", _("Yes / no")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RATING)
    # the overall-satisfaction question: a rating of 4 or 5 counts as satisfied (满意)
    is_overall = models.BooleanField(_("overall satisfaction"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["survey", "position", "pk"]

    def __str__(self):
        return self.text


class Response(models.Model):
    """One resident's answer; the phone is kept only as a salted hash (one answer per period)."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="survey_responses")
    period_key = models.CharField(max_length=10)  # "2026-Q4"
    phone_hash = models.CharField(max_length=64)
    visit_ref = models.CharField(_("visit number"), max_length=40, blank=True)
    answers = models.JSONField(default=dict)
    satisfied = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "period_key", "phone_hash"], name="survey_one_answer_per_phone"),
            models.UniqueConstraint(fields=["survey", "visit_ref"], condition=~Q(visit_ref=""),
                                    name="survey_one_answer_per_visit"),
        ]

    def __str__(self):
        return f"{self.survey_id} {self.period_key} {self.institution_id}"

    @classmethod
    def scope_q(cls, scope, action):
        return institution_scope_q(scope, action, "institution")


def institution_scope_q(scope, action, lookup: str) -> Q:
    """Ledger rows belong to a clinic: its staff and the region's supervisors write; the supporting
    hospital's coordinator reads."""
    mine = [under_regions(scope.region_paths, f"{lookup}__region__path"), ids_in(scope.clinic_ids, f"{lookup}_id")]
    if action == CHANGE:
        return any_of(mine)
    return any_of([*mine, Q(**{f"{lookup}__in": Institution.objects.for_scope(scope)})])


from .models_ledgers import (  # noqa: E402,F401
    ChildCarePlaces,
    HealthCabin,
    HealthEducationActivity,
    StaffTraining,
    TcmManagement,
)
