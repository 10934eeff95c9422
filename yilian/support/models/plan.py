"""Programmes and their rules, assistance agreements, hospital doctors, the dispatch plan."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution, Pairing, Region


class Title(models.TextChoices):
    """Professional title (专业技术职称), ordered from junior to senior."""

    JUNIOR = "junior", _("Junior (初级)")
    INTERMEDIATE = "intermediate", _("Intermediate (中级)")
    ASSOCIATE = "associate", _("Associate senior (副高)")
    SENIOR = "senior", _("Senior (正高)")

    @classmethod
    def rank(cls, value) -> int:
        return list(cls.values).index(value)


class Period(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


def _hospital_change_q(scope, lookup: str) -> Q:
    """Supervisors of the hospital's region and the hospital's coordinators may change it."""
    return any_of([under_regions(scope.region_paths, f"{lookup}__region__path"),
                   ids_in(scope.hospital_ids, f"{lookup}_id")])


class Programme(models.Model):
    """An assistance programme and its rules, e.g. 千名医师万人次下基层 (Quangang) or 三感社区结对帮扶 (Guiyang).

    The seeds disagree on the rhythm (1–2 days a month in one place, 1–2 days a week in another),
    so the period and the number of days are settings of the programme.
    """

    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="programmes")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    min_title = models.CharField(_("minimum title"), max_length=20, choices=Title.choices, default=Title.INTERMEDIATE)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices[:2], default=Period.MONTH)
    min_days = models.PositiveSmallIntegerField(_("minimum days per period"), default=1)
    max_days = models.PositiveSmallIntegerField(_("maximum days per period"), default=2)
    yearly_report_due = models.DateField(_("yearly report due"), null=True, blank=True,
                                         help_text=_("e.g. 30 November of the programme year"))
    source = models.CharField(_("source document"), max_length=200, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name", "year"], name="programme_unique_per_year"),
            models.CheckConstraint(condition=Q(max_days__gte=models.F("min_days")), name="programme_days_ordered"),
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"

    def clean(self):
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValidationError({"max_days": _("The maximum is below the minimum.")})

    @classmethod
    def scope_q(cls, scope, action):
        own = under_regions(scope.region_paths, "region__path")
        if action == CHANGE:
            return own
        from yilian.network.models import Region as R

        return Q(region__in=R.objects.for_scope(scope))


class Agreement(models.Model):
    """帮扶协议: what a hospital commits to do for a clinic under a programme."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        ENDED = "ended", _("Ended")

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT,
                                related_name="agreements")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT,
                                  related_name="agreements")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    baseline_findings = models.TextField(_("baseline survey findings (摸底调查)"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    responsible_persons = models.CharField(_("responsible persons"), max_length=200, blank=True)
    required_specialties = models.CharField(_("specialties needed"), max_length=200, blank=True,
                                            help_text=_("Separated by commas, e.g. 全科, 中医, 儿科"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_document = models.FileField(_("signed document"), upload_to="agreements/%Y/", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assistance agreement")
        verbose_name_plural = _("assistance agreements")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="agreement_end_not_before_start"),
        ]

    def __str__(self):
        return f"{self.pairing} · {self.programme}"

    @property
    def hospital(self):
        return self.pairing.hospital

    @property
    def clinic(self):
        return self.pairing.clinic

    def clean(self):
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The period ends before it starts.")
        if self.status == self.Status.SIGNED and not self.signed_on:
            errors["signed_on"] = _("Say when the agreement was signed.")
        if self.pairing_id and self.start and self.end and not errors:
            errors.update(self._pairing_errors())
        if self.pairing_id and self.programme_id and not errors:
            errors.update(self._programme_errors())
        if errors:
            raise ValidationError(errors)

    def _pairing_errors(self) -> dict:
        pairing = self.pairing
        if self.start < pairing.start or (pairing.end and self.end > pairing.end):
            return {"start": _("The agreement must lie within the pairing (%(start)s – %(end)s).") % {
                "start": pairing.start, "end": pairing.end or "…"}}
        return {}

    def _programme_errors(self) -> dict:
        if not self.pairing.clinic.region.path.startswith(self.programme.region.path):
            return {"programme": _("%(programme)s does not cover %(clinic)s's region.") % {
                "programme": self.programme, "clinic": self.pairing.clinic.name}}
        clash = (Agreement.objects.filter(pairing_id=self.pairing_id, programme_id=self.programme_id,
                                          start__lte=self.end, end__gte=self.start).exclude(pk=self.pk).first())
        if clash:
            return {"start": _("This pairing already has an agreement under this programme for "
                               "%(start)s – %(end)s; the periods overlap.") % {"start": clash.start, "end": clash.end}}
        return {}

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return any_of([under_regions(scope.region_paths, "pairing__clinic__region__path"),
                           ids_in(scope.hospital_ids, "pairing__hospital_id")])
        return Q(pairing__in=Pairing.objects.for_scope(scope))


class AgreementTarget(models.Model):
    """A yearly target of an agreement, e.g. 2 expert days per month, 1 lecture per quarter."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("what"), max_length=30)  # "expert_days" or a WorkItem.Kind value
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    per = models.CharField(_("per"), max_length=10, choices=Period.choices, default=Period.MONTH)

    class Meta:
        verbose_name = _("agreement target")
        verbose_name_plural = _("agreement targets")
        constraints = [models.UniqueConstraint(fields=["agreement", "kind", "per"], name="target_unique")]

    def __str__(self):
        return f"{self.kind} × {self.quantity} / {self.per}"

    EXPERT_DAYS = "expert_days"

    @classmethod
    def kind_choices(cls) -> list[tuple[str, str]]:
        """Expert days (days of presence), or a kind of ledger work (WorkItem.Kind)."""
        from .visits import WorkItem

        return [(cls.EXPERT_DAYS, _("Expert days (days of presence)")), *WorkItem.Kind.choices]

    def clean(self):
        if self.kind and self.kind not in dict(self.kind_choices()):
            raise ValidationError({"kind": _("“%(kind)s” is not a kind of target.") % {"kind": self.kind}})


class Doctor(models.Model):
    """A hospital doctor who may be dispatched to the grassroots."""

    hospital = models.ForeignKey(Institution, verbose_name=_("hospital"), on_delete=models.PROTECT,
                                 related_name="doctors")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("login"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="doctor")
    name = models.CharField(_("name"), max_length=50)
    department = models.CharField(_("department"), max_length=60)
    specialty = models.CharField(_("specialty"), max_length=60)
    title = models.CharField(_("professional title"), max_length=20, choices=Title.choices)
    licence_number = models.CharField(_("practising licence number"), max_length=30, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["hospital__name", "department", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_title_display()}, {self.department})"

    def clean(self):
        if self.hospital_id and not self.hospital.is_hospital:
            raise ValidationError({"hospital": _("Doctors are dispatched by hospitals.")})
        if self.user_id and self.hospital_id and not self._login_is_a_doctor_here():
            raise ValidationError({"user": _("This login is not a doctor of %(hospital)s: give it the doctor "
                                             "role at this hospital first.") % {"hospital": self.hospital.name}})

    def _login_is_a_doctor_here(self) -> bool:
        from yilian.accounts.models import Membership

        return Membership.objects.filter(user_id=self.user_id, role=Membership.Role.DOCTOR,
                                         institution_id=self.hospital_id).exists()

    def meets(self, min_title: str) -> bool:
        return Title.rank(self.title) >= Title.rank(min_title)

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return _hospital_change_q(scope, "hospital")
        return Q(hospital__in=Institution.objects.for_scope(scope))


class CalendarDay(models.Model):
    """An entry of the editable official calendar: it overrides chinesecalendar, and covers years it does not."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("e.g. 春节, 国庆节调休"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class Assignment(models.Model):
    """One day of the dispatch plan: a doctor goes to the clinic of an agreement."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")

    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT,
                                  related_name="assignments")
    doctor = models.ForeignKey(Doctor, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="assignments")
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispatch assignment")
        verbose_name_plural = _("dispatch plan")
        ordering = ["date", "doctor__name"]
        constraints = [
            # a doctor is not in two places on one day
            models.UniqueConstraint(fields=["doctor", "date"], condition=Q(status="planned"),
                                    name="assignment_one_place_a_day"),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.date} {self.doctor.name} → {self.agreement.clinic.display_name}"

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return _hospital_change_q(scope, "agreement__pairing__hospital")
        return Q(agreement__in=Agreement.objects.for_scope(scope))
