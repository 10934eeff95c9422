"""Public-health ledgers (公共卫生台账) that feed the policy packs.

健康教育 health education · 中医药健康管理 TCM health management · 托位 child-care place ·
健康小屋 health cabin ("三个一": 一间小屋、一名管理员、一个服务团队) · 进修 further study ·
转岗培训 GP transfer training · 师带徒 apprenticeship.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import ScopedManager, any_of, under_regions
from yilian.network.models import Institution, Region


def refuse_future(day, field: str):
    """A ledger records what happened: a date after today is a typing error."""
    if day and day > timezone.localdate():
        raise ValidationError({field: _("%(date)s is in the future; a ledger records what has already happened.")
                               % {"date": day.isoformat()}})


class LedgerEntry(models.Model):
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    # a clinic on a flaky network retries the form; the same key is the same entry
    client_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    objects = ScopedManager()
    date_field = "date"

    class Meta:
        abstract = True

    def clean(self):
        refuse_future(getattr(self, self.date_field, None), self.date_field)

    @classmethod
    def scope_q(cls, scope, action):
        from .models import institution_scope_q

        return institution_scope_q(scope, action, "institution")


class HealthEducationActivity(LedgerEntry):
    """One health-education activity (Wuhai quotas: ≥1 lecture or consultation a month, ≥12 kinds of
    leaflets and ≥6 kinds of videos a year, ≥2 bulletin boards updated monthly)."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("Health lecture")
        CONSULTATION = "consultation", _("Free consultation")
        LEAFLET = "leaflet", _("Leaflets handed out")
        VIDEO = "video", _("Video shown")
        BOARD = "board", _("Bulletin board updated")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    # the leaflet's or video's title: quotas count distinct kinds; a board's number
    material = models.CharField(_("material / board"), max_length=100, blank=True,
                                help_text=_("Leaflet or video title, or the bulletin board's name."))
    quantity = models.PositiveIntegerField(_("copies handed out"), default=0, validators=[MaxValueValidator(100000)])
    attendance = models.PositiveIntegerField(_("attendance"), default=0, validators=[MaxValueValidator(100000)])
    photo = models.ImageField(_("photo evidence"), upload_to="indicators/health-education/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("health-education activity")
        verbose_name_plural = _("health-education activities")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["institution", "date"], name="healthedu_inst_date")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.topic}"

    def clean(self):
        super().clean()
        if self.kind in (self.Kind.LEAFLET, self.Kind.VIDEO, self.Kind.BOARD) and not self.material.strip():
            raise ValidationError({"material": _("Name the leaflet, video or board: the quotas count kinds.")})


class TcmManagement(LedgerEntry):
    """中医药健康管理 of a clinic for a year: how many of the eligible people were managed."""

    class Group(models.TextChoices):
        ELDERLY_65 = "elderly_65", _("Elderly 65+")
        CHILD_0_36M = "child_0_36m", _("Children 0–36 months")

    date_field = "as_of"
    as_of = models.DateField(_("as of"))
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    eligible = models.PositiveIntegerField(_("people in the group"), validators=[MinValueValidator(1)])
    managed = models.PositiveIntegerField(_("people managed"))

    class Meta:
        verbose_name = _("TCM health management")
        verbose_name_plural = _("TCM health management")
        ordering = ["-as_of", "institution_id", "group"]
        constraints = [models.UniqueConstraint(fields=["institution", "as_of", "group"], name="tcm_one_per_day")]

    def __str__(self):
        return f"{self.as_of} {self.get_group_display()} {self.managed}/{self.eligible}"

    def clean(self):
        super().clean()
        if self.eligible is not None and self.managed is not None and self.managed > self.eligible:
            raise ValidationError({"managed": _("More people managed than there are in the group.")})


class ChildCarePlaces(LedgerEntry):
    """托位: child-care places for children under 3 in a community, with its population."""

    date_field = "as_of"
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("as of"))
    population = models.PositiveIntegerField(_("population"), validators=[MinValueValidator(1)])
    places = models.PositiveIntegerField(_("child-care places (under 3)"))
    facilities = models.PositiveSmallIntegerField(_("child-care facilities"), default=0)
    in_pilot = models.BooleanField(_("pilot community"), default=False)

    class Meta:
        verbose_name = _("child-care places")
        verbose_name_plural = _("child-care places")
        ordering = ["-as_of", "community__name"]

    def __str__(self):
        return f"{self.community} {self.places}"

    @classmethod
    def scope_q(cls, scope, action):
        from .models import institution_scope_q

        return any_of([under_regions(scope.region_paths, "community__path"),
                       institution_scope_q(scope, action, "institution")])


class HealthCabin(LedgerEntry):
    """健康小屋 and its "三个一": a cabin, a manager, a service team."""

    date_field = "opened_on"
    name = models.CharField(_("name"), max_length=150)
    host = models.CharField(_("host (community, office, company)"), max_length=150, blank=True)
    opened_on = models.DateField(_("opened on"))
    manager = models.CharField(_("health manager"), max_length=50, blank=True)
    team = models.CharField(_("service team"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("health cabin")
        verbose_name_plural = _("health cabins")
        ordering = ["institution_id", "name"]

    def __str__(self):
        return self.name

    @property
    def complete(self) -> bool:
        return bool(self.manager.strip() and self.team.strip())


class StaffTraining(LedgerEntry):
    """A grassroots staff member's training: further study of 3–6 months every 3–5 years, GP transfer
    training, apprenticeship to a hospital expert."""

    class Kind(models.TextChoices):
        FURTHER_STUDY = "further_study", _("Further study at a higher-level hospital")
        GP_TRANSFER = "gp_transfer", _("GP transfer training")
        APPRENTICESHIP = "apprenticeship", _("Apprenticeship")
        OTHER = "other", _("Other training")

    date_field = "start"
    person = models.CharField(_("staff member"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    host = models.CharField(_("where"), max_length=150)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff training")
        verbose_name_plural = _("staff training")
        ordering = ["-start", "person"]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()}"

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The training ends before it starts.")})

    @property
    def months(self) -> float | None:
        return None if not (self.start and self.end) else round((self.end - self.start).days / 30.4, 1)


LEDGERS = {
    "health-education": HealthEducationActivity,
    "tcm": TcmManagement,
    "child-care": ChildCarePlaces,
    "health-cabins": HealthCabin,
    "training": StaffTraining,
}
