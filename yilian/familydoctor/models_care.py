"""Teams, service packages, contracts, the visit plan and recorded visits.

Glossary: 家庭医生团队 family-doctor team · 全科医生 general practitioner · 护士 nurse · 公卫人员
public-health worker · 专科医生 hospital specialist · 退休医生 retired doctor · 服务包 service package
(基础包 basic, 个性化包 personalised) · 签约 contract · 续约 renewal · 解约 termination · 随访 / 上门服务
follow-up / home visit · 知情同意 consent.

Imported at the end of ``models.py``; lives apart to keep each module short.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.core.masking import mask_name
from yilian.core.scoping import CHANGE, ScopedManager, any_of, ids_in, under_regions
from yilian.network.models import Institution

from .models import Household, Resident, Tag, grassroots_clinic_errors

# Plausible ranges: outside them a number is a typing error (0/400), not a measurement.
SYSTOLIC_RANGE = (60, 260)
DIASTOLIC_RANGE = (30, 160)
GLUCOSE_RANGE = (1.0, 35.0)  # mmol/L
CONTRACT_DAYS = 365


def one_year_from(start: dt.date) -> dt.date:
    """The last day of a one-year contract that starts on ``start``."""
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _clinic_scope(scope, lookup: str, action: str, member_lookup: str | None = None) -> Q:
    """Clinic staff change; supervisors read in their region; a team member reads their team's rows."""
    clinics = ids_in(scope.clinic_ids, f"{lookup}_id")
    if action == CHANGE:
        return any_of([clinics])
    conditions = [clinics, under_regions(scope.region_paths, f"{lookup}__region__path")]
    if member_lookup and scope.user_id:
        teams = TeamMember.objects.filter(user_id=scope.user_id).values("team_id")
        conditions.append(Q(**{f"{member_lookup}__in": teams}))
    return any_of(conditions)


class Team(models.Model):
    """家庭医生团队: a clinic's team that signs and visits residents."""

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="family_doctor_teams")
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("family-doctor team")
        verbose_name_plural = _("family-doctor teams")
        ordering = ["clinic_id", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="team_name_unique")]

    def __str__(self):
        return self.name

    def clean(self):
        errors = grassroots_clinic_errors(self.clinic if self.clinic_id else None)
        if errors:
            raise ValidationError(errors)

    def audit_summary(self) -> str:
        return self.name

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, "clinic", action, "id")


class TeamMember(models.Model):
    class Role(models.TextChoices):
        GP = "gp", _("General practitioner (全科医生)")
        NURSE = "nurse", _("Nurse (护士)")
        PUBLIC_HEALTH = "public_health", _("Public-health worker (公卫人员)")
        SPECIALIST = "specialist", _("Hospital specialist (专科医生)")
        RETIRED = "retired", _("Retired doctor (退休医生)")

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("login"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="family_doctor_memberships")
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team_id", "role", "pk"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return (self.user.get_full_name() or self.user.get_username()) if self.user_id else ""


class ServicePackage(models.Model):
    """服务包: the basic package every contract has, or a personalised one added to it."""

    class Kind(models.TextChoices):
        BASIC = "basic", _("Basic package")
        PERSONALISED = "personalised", _("Personalised package")

    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="service_packages")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BASIC)
    services = models.TextField(_("services"), blank=True, help_text=_("One service per line."))
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        ordering = ["clinic_id", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="package_name_unique")]

    def __str__(self):
        return self.name

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, "clinic", action)


class VisitRule(models.Model):
    """Visit every ``interval_days`` the contracted residents of a package who belong to ``population``
    (blank: every contracted resident of the package)."""

    package = models.ForeignKey(ServicePackage, verbose_name=_("service package"), on_delete=models.CASCADE,
                                related_name="rules")
    population = models.CharField(_("key population"), max_length=30, choices=Tag.choices, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("every (days)"))
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["package_id", "interval_days"]

    def __str__(self):
        if self.description:
            return self.description
        return _("%(population)s, every %(n)s days") % {
            "population": self.get_population_display() or _("every contracted resident"), "n": self.interval_days}

    def clean(self):
        if self.interval_days is not None and not 1 <= self.interval_days <= 366:
            raise ValidationError({"interval_days": _("Between 1 and 366 days.")})


class Contract(models.Model):
    """签约: a resident signed to a team for one year, with packages and recorded consent."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("contract", "Active")
        RENEWED = "renewed", _("Renewed")
        TERMINATED = "terminated", _("Terminated")

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="contracts")
    household = models.ForeignKey(Household, verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="contracts")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="contracts")
    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.PROTECT,
                               related_name="family_doctor_contracts", editable=False)  # the team's
    packages = models.ManyToManyField(ServicePackage, verbose_name=_("service packages"), related_name="contracts")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    consent = models.BooleanField(_("consent recorded"), default=False)
    consent_by = models.CharField(_("consent given by"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    previous = models.OneToOneField("self", verbose_name=_("renews"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="renewal")
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=255, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("family-doctor contract")
        verbose_name_plural = _("family-doctor contracts")
        ordering = ["-start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=Q(status="active"),
                                    name="contract_one_active_per_resident"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="contract_end_after_start"),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "end"], name="contract_clinic_status"),
            models.Index(fields=["team", "status"], name="contract_team_status"),
        ]

    def __str__(self):
        return f"{mask_name(self.resident.name)} · {self.start}–{self.end}"

    def clean(self):
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The contract ends before it starts.")
        if self.start and self.end and (self.end - self.start).days > CONTRACT_DAYS + 1:
            errors["end"] = _("A contract lasts one year at most.")
        if not self.consent:
            errors["consent"] = _("Record the resident's consent before signing.")
        if self.resident_id and self.team_id and self.resident.clinic_id != self.team.clinic_id:
            errors["team"] = _("The team belongs to another clinic than the resident.")
        if errors:
            raise ValidationError(errors)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def audit_summary(self) -> str:
        return f"{self.resident.audit_summary()} · {self.team.name} · {self.start}–{self.end} · {self.status}"

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, "clinic", action, "team_id")


class ContractEvent(models.Model):
    """The history of a contract: signed, renewed, terminated, with the reason."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signed")
        RENEWED = "renewed", _("Renewed")
        TERMINATED = "terminated", _("Terminated")

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE,
                                 related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on}"


class PlannedVisit(models.Model):
    """The next visit a rule asks for: one open row per contract and rule; recording rolls it forward."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE,
                                 related_name="planned_visits")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="planned_visits")
    rule = models.ForeignKey(VisitRule, verbose_name=_("visit rule"), on_delete=models.CASCADE,
                             related_name="planned_visits")
    due = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    record = models.ForeignKey("VisitRecord", verbose_name=_("visit"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="completes")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["due", "pk"]
        constraints = [models.UniqueConstraint(fields=["contract", "rule"], condition=Q(status="planned"),
                                               name="planned_visit_one_open")]
        indexes = [models.Index(fields=["team", "status", "due"], name="planned_team_due")]

    def __str__(self):
        return f"{self.due} · {self.get_status_display()}"

    @property
    def on_time(self) -> bool:
        return self.status == self.Status.DONE and self.done_on is not None and self.done_on <= self.due

    def audit_summary(self) -> str:
        return f"{self.contract.resident.audit_summary()} · due {self.due} · {self.status}"

    def audit_region_path(self) -> str:
        return self.contract.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, "contract__clinic", action, "team_id")


class VisitRecord(models.Model):
    """随访: a visit of a contracted resident, at home, at the clinic or by phone."""

    class Mode(models.TextChoices):
        HOME = "home", _("Home visit")
        CLINIC = "clinic", _("At the clinic")
        PHONE = "phone", _("By phone")

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.PROTECT,
                                 related_name="visits")
    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                 related_name="visits")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(_("date"))
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices)
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    glucose = models.DecimalField(_("glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True)
    services = models.TextField(_("services delivered"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    client_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["resident", "date"], name="visit_resident_date")]

    def __str__(self):
        return f"{mask_name(self.resident.name)} · {self.date} · {self.get_mode_display()}"

    @property
    def bp_controlled(self) -> bool | None:
        if self.systolic is None or self.diastolic is None:
            return None
        return self.systolic < 140 and self.diastolic < 90

    def clean(self):
        errors = {}
        if (self.systolic is None) != (self.diastolic is None):
            errors["systolic"] = _("Enter both the systolic and the diastolic pressure, or neither.")
        if self.systolic is not None and not SYSTOLIC_RANGE[0] <= self.systolic <= SYSTOLIC_RANGE[1]:
            errors["systolic"] = _("A systolic pressure of %(v)s mmHg is not plausible (%(lo)s–%(hi)s).") % {
                "v": self.systolic, "lo": SYSTOLIC_RANGE[0], "hi": SYSTOLIC_RANGE[1]}
        if self.diastolic is not None and not DIASTOLIC_RANGE[0] <= self.diastolic <= DIASTOLIC_RANGE[1]:
            errors["diastolic"] = _("A diastolic pressure of %(v)s mmHg is not plausible (%(lo)s–%(hi)s).") % {
                "v": self.diastolic, "lo": DIASTOLIC_RANGE[0], "hi": DIASTOLIC_RANGE[1]}
        if (self.systolic is not None and self.diastolic is not None and "systolic" not in errors
                and "diastolic" not in errors and self.diastolic >= self.systolic):
            errors["diastolic"] = _("The diastolic pressure must be below the systolic pressure.")
        if self.glucose is not None and not GLUCOSE_RANGE[0] <= float(self.glucose) <= GLUCOSE_RANGE[1]:
            errors["glucose"] = _("A glucose of %(v)s mmol/L is not plausible (%(lo)s–%(hi)s).") % {
                "v": self.glucose, "lo": GLUCOSE_RANGE[0], "hi": GLUCOSE_RANGE[1]}
        if self.contract_id and self.date:
            if self.date < self.contract.start:
                errors["date"] = _("The visit is before the contract starts (%(start)s).") % {
                    "start": self.contract.start}
            elif self.date > self.contract.end:
                errors["date"] = _("The visit is after the contract ended (%(end)s).") % {"end": self.contract.end}
        if self.date and self.date > timezone.localdate():
            errors["date"] = _("The date is in the future.")
        if errors:
            raise ValidationError(errors)

    def audit_summary(self) -> str:
        return f"{self.resident.audit_summary()} · {self.date} · {self.mode}"

    def audit_region_path(self) -> str:
        return self.contract.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _clinic_scope(scope, "contract__clinic", action, "team_id")


class CoverageTarget(models.Model):
    """签约覆盖率目标: the target share of a key population under contract; without a row, the default."""

    population = models.CharField(_("key population"), max_length=30, choices=Tag.choices, unique=True)
    percent = models.PositiveSmallIntegerField(_("target (%)"))

    class Meta:
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")

    def __str__(self):
        return f"{self.get_population_display()} {self.percent}%"

    def clean(self):
        if self.percent is not None and not 0 < self.percent <= 100:
            raise ValidationError({"percent": _("Between 1 and 100.")})


class ImportJob(models.Model):
    """A confirmed import of residents or contracts, run by the worker with its progress written here.
    Seen only by the user who started it (the sheet holds full ID numbers; it waits outside MEDIA_ROOT)."""

    class Kind(models.TextChoices):
        RESIDENTS = "residents", _("Resident import")
        CONTRACTS = "contracts", _("Contract import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RESIDENTS)

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.CASCADE, related_name="+")
    clinic = models.ForeignKey(Institution, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=255, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("resident import")
        verbose_name_plural = _("resident imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.clinic_id} · {self.get_status_display()} {self.progress}%"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @classmethod
    def scope_q(cls, scope, action):
        return Q(requested_by_id=scope.user_id) if scope.user_id else Q(pk__in=[])
