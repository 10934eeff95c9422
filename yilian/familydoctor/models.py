"""Residents, households and key-population tags: what family-doctor contracts will be signed on.

Glossary: 居民 resident · 户 / 户主 household / head of household · 身份证号 resident ID number ·
重点人群 key population · 基层医疗卫生机构 grassroots institution (the clinic responsible for a resident).

Personal numbers (身份证号, phone) are stored in full and shown masked everywhere
(``yilian.core.masking``); reading a record, revealing a number and every write go to the audit log
(``yilian.core.audit``), which is also why these models keep no django-simple-history copies: a
history table would be a second, unaudited store of the full numbers.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from yilian.core.masking import mask_id, mask_name, mask_phone
from yilian.core.scoping import CHANGE, ScopedManager, ScopedQuerySet, any_of, ids_in, under_regions
from yilian.network.models import Institution, Region

from . import idnumber

REVEAL = "reveal"  # the action of showing a record's full ID or phone number

# Surnames that pypinyin reads by their common (non-surname) reading: both readings are searchable.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "尉": "yu", "缪": "miao", "翟": "zhai", "覃": "qin", "黑": "he", "繁": "po",
}


@lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name; a polyphonic surname adds its surname reading after a space.

    ``张三`` → ("zhangsan", "zs"); ``单田芳`` → ("dantianfang shantianfang", "dtf stf").
    """
    syllables = [s.strip().lower() for s in lazy_pinyin(name or "") if s.strip()]
    variants = [syllables]
    if name and name[0] in SURNAME_READINGS and syllables and syllables[0] != SURNAME_READINGS[name[0]]:
        variants.append([SURNAME_READINGS[name[0]], *syllables[1:]])
    full = " ".join("".join(v) for v in variants)
    initials = " ".join("".join(s[0] for s in v) for v in variants)
    return full[:200], initials[:60]


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _in_scope_q(scope, clinic_lookup: str, action: str) -> Q:
    """Clinic staff: their clinic and the institutions under it. Supervisors: read (and reveal) in
    their region, through the clinic's region. Coordinators and doctors: nothing (no clinical need
    yet; contracts and teams will add the team members)."""
    clinics = ids_in(scope.clinic_ids, f"{clinic_lookup}_id")
    if action == CHANGE:
        return any_of([clinics])
    return any_of([clinics, under_regions(scope.region_paths, f"{clinic_lookup}__region__path")])


def grassroots_clinic_errors(clinic) -> dict:
    if clinic is not None and not clinic.is_grassroots:
        return {"clinic": _("%(name)s is not a grassroots institution.") % {"name": clinic.name}}
    return {}


def community_area(clinic: Institution) -> Region:
    """The region whose communities a clinic serves: its own region, or the parent of a community."""
    region = clinic.region
    if region.level == Region.Level.COMMUNITY and region.parent_id:
        return region.parent
    return region


def community_errors(clinic, community) -> dict:
    if community is None or clinic is None:
        return {}
    if community.level != Region.Level.COMMUNITY:
        return {"community": _("Choose a community (社区/村).")}
    if not community.path.startswith(community_area(clinic).path):
        return {"community": _("%(community)s is outside the area %(clinic)s serves.") % {
            "community": community.name, "clinic": clinic.name}}
    return {}


class Household(models.Model):
    """户: the people registered at one address, with a head (户主) who is one of them."""

    clinic = models.ForeignKey(
        Institution, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    community = models.ForeignKey(
        Region, verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="households",
    )
    head = models.ForeignKey(
        "Resident", verbose_name=_("head of household"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["clinic_id", "pk"]

    def __str__(self):
        head = mask_name(self.head.name) if self.head_id else ""
        return _("Household %(number)s %(head)s") % {"number": self.pk or "", "head": head}

    def clean(self):
        errors = grassroots_clinic_errors(self.clinic if self.clinic_id else None)
        errors |= community_errors(self.clinic if self.clinic_id else None, self.community)
        if self.head_id and self.pk and self.head.household_id != self.pk:
            errors["head"] = _("The head of a household must be one of its members.")
        if errors:
            raise ValidationError(errors)

    def audit_summary(self) -> str:
        return str(self)

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _in_scope_q(scope, "clinic", action)


class ResidentQuerySet(ScopedQuerySet):
    def search(self, text: str):
        """By name, pinyin or initials (``zs`` / ``zhangs``), a full ID number, or a phone number."""
        text = (text or "").strip()
        if not text:
            return self
        compact = idnumber.normalise(text)
        if len(compact) == idnumber.LENGTH and compact[:17].isdigit():
            return self.filter(id_number=compact)
        digits = compact.replace("-", "").removeprefix("+86")
        if digits.isdigit() and len(digits) >= 7:
            try:
                return self.filter(phone=idnumber.normalise_phone(compact))
            except idnumber.PhoneError:
                return self.none()
        key = text.lower().replace(" ", "")
        return self.filter(
            Q(name__contains=text) | Q(initials__startswith=key) | Q(initials__contains=f" {key}")
            | Q(name_pinyin__startswith=key) | Q(name_pinyin__contains=f" {key}")
        )


class Resident(models.Model):
    """居民: a person registered with a grassroots clinic, identified by their 身份证号."""

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)  # normalised, validated
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, editable=False)  # from the ID
    birth_date = models.DateField(_("birth date"), editable=False)  # from the ID
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    community = models.ForeignKey(
        Region, verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="residents",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="members",
    )
    clinic = models.ForeignKey(
        Institution, verbose_name=_("responsible clinic"), on_delete=models.PROTECT, related_name="residents"
    )
    # "zhangsan" and "zs" (a polyphonic surname adds its other reading after a space)
    name_pinyin = models.CharField(max_length=200, editable=False, default="", db_index=True)
    initials = models.CharField(max_length=60, editable=False, default="", db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["clinic_id", "name_pinyin", "pk"]
        indexes = [
            models.Index(fields=["clinic", "name_pinyin"], name="resident_clinic_pinyin"),
            models.Index(fields=["clinic", "birth_date"], name="resident_clinic_birth"),
        ]

    def __str__(self):
        return self.name

    # -- derived fields
    def derive(self):
        """Sex, birth date and search keys from the ID number and name (bulk imports call this too)."""
        info = idnumber.parse(self.id_number)
        self.id_number, self.sex, self.birth_date = info.number, info.sex, info.birth_date
        self.name_pinyin, self.initials = name_keys(self.name)

    def save(self, *args, **kwargs):
        self.derive()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        errors = {}
        if "id_number" not in exclude:
            try:
                self.derive()
            except idnumber.IdNumberError as exc:
                errors["id_number"] = [exc.message]
            exclude |= {"id_number", "sex", "birth_date"}
        if "phone" not in exclude and self.phone:
            try:
                self.phone = idnumber.normalise_phone(self.phone)
            except idnumber.PhoneError as exc:
                errors["phone"] = [exc.message]
            exclude.add("phone")
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None):
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as exc:
            # Do not say where the other resident is registered: the number may belong to another clinic.
            if "id_number" in getattr(exc, "error_dict", {}):
                exc.error_dict["id_number"] = [ValidationError(
                    _("A resident with this ID number is already registered."), code="unique")]
            raise

    def clean(self):
        clinic = self.clinic if self.clinic_id else None
        errors = grassroots_clinic_errors(clinic) | community_errors(clinic, self.community)
        if self.household_id and clinic and self.household.clinic_id != self.clinic_id:
            errors["household"] = _("The household is registered with another clinic.")
        if errors:
            raise ValidationError(errors)

    # -- masking and audit
    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def age(self, on: dt.date | None = None) -> int:
        return age_on(self.birth_date, on or dt.date.today())

    def audit_summary(self) -> str:
        return f"{mask_name(self.name)} {self.masked_id}"

    def audit_region_path(self) -> str:
        return self.clinic.region.path

    @classmethod
    def scope_q(cls, scope, action):
        return _in_scope_q(scope, "clinic", action)


class Tag(models.TextChoices):
    """重点人群: the key populations of the national basic public-health service."""

    ELDERLY_65 = "elderly_65", _("Elderly 65+ (65岁及以上老年人)")
    CHILDREN_0_6 = "children_0_6", _("Children 0–6 (0-6岁儿童)")
    HYPERTENSION = "hypertension", _("Hypertension (高血压)")
    DIABETES_T2 = "diabetes_t2", _("Type 2 diabetes (2型糖尿病)")
    SEVERE_MENTAL = "severe_mental", _("Severe mental disorder (严重精神障碍)")
    TUBERCULOSIS = "tuberculosis", _("Tuberculosis (肺结核)")
    PREGNANT_POSTPARTUM = "pregnant_postpartum", _("Pregnant or postpartum (孕产妇)")
    DISABLED = "disabled", _("Disabled (残疾人)")
    LOW_INCOME = "low_income", _("Low income (低收入人群)")


# Derived from the birth date in the ID number, never entered: 65 and over; 0 to 6 (before the 7th birthday).
AGE_TAGS = {Tag.ELDERLY_65: (65, None), Tag.CHILDREN_0_6: (0, 7)}
RECORDED_TAGS = [t for t in Tag if t not in AGE_TAGS]


class ResidentTag(models.Model):
    """A resident's membership of a key population. Age tags are derived (``refresh_age_tags``);
    the others are recorded with their source (诊断, 残联名单, 民政名单 …) and date."""

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(_("key population"), max_length=30, choices=Tag.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)
    recorded_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("key-population tag")
        verbose_name_plural = _("key-population tags")
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["resident", "kind"], name="resident_tag_unique")]
        indexes = [models.Index(fields=["kind", "resident"], name="resident_tag_kind")]

    def __str__(self):
        return self.get_kind_display()

    @property
    def is_derived(self) -> bool:
        return self.kind in AGE_TAGS

    def clean(self):
        errors = {}
        if self.kind in AGE_TAGS:
            errors["kind"] = _("This tag follows from the age in the ID number and cannot be entered.")
        elif self.kind and not self.source.strip():
            errors["source"] = _("Say where this comes from (diagnosis, disability register, civil affairs list…).")
        if self.kind == Tag.PREGNANT_POSTPARTUM and self.resident_id and self.resident.sex != Resident.Sex.FEMALE:
            errors["kind"] = _("Only a woman can be pregnant or postpartum.")
        if self.recorded_on and self.recorded_on > dt.date.today():
            errors["recorded_on"] = _("The date is in the future.")
        if self.recorded_on and self.resident_id and self.recorded_on < self.resident.birth_date:
            errors["recorded_on"] = _("The date is before the resident's birth.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, scope, action):
        return _in_scope_q(scope, "resident__clinic", action)


def age_tag_bounds(kind: str, as_of: dt.date) -> tuple[dt.date, dt.date | None]:
    """(latest birth date, exclusive earliest birth date or None) of an age tag on ``as_of``."""
    low, high = AGE_TAGS[kind]
    return years_before(as_of, low), (years_before(as_of, high) if high is not None else None)


def in_age_tag(kind: str, birth: dt.date, as_of: dt.date) -> bool:
    latest, earliest = age_tag_bounds(kind, as_of)
    return birth <= latest and (earliest is None or birth > earliest)


def age_tag_window(kind: str, as_of: dt.date) -> Q:
    """Residents who belong to an age tag on ``as_of``, as a filter on Resident."""
    latest, earliest = age_tag_bounds(kind, as_of)
    return Q(birth_date__lte=latest) & (Q(birth_date__gt=earliest) if earliest else Q())


def age_tag_since(kind: str, birth: dt.date) -> dt.date:
    """The day a resident entered an age tag (their 65th birthday, or birth)."""
    low, _high = AGE_TAGS[kind]
    try:
        return birth.replace(year=birth.year + low)
    except ValueError:
        return birth.replace(year=birth.year + low, day=28)


def refresh_age_tags(as_of: dt.date | None = None, residents=None, batch_size: int = 5000) -> tuple[int, int]:
    """Make the age tags true on ``as_of`` (default today) for ``residents`` (default all).

    Returns (added, removed). Set-based: two deletes and two inserts per tag, whatever the number
    of residents; run daily by the worker, and for the residents an import or edit touched.
    """
    as_of = as_of or dt.date.today()
    base = Resident.objects.all() if residents is None else residents
    added = removed = 0
    for kind in AGE_TAGS:
        window = age_tag_window(kind, as_of)
        removed += ResidentTag.objects.filter(kind=kind, resident__in=base.exclude(window).values("pk")).delete()[0]
        missing = base.filter(window).exclude(tags__kind=kind).values_list("pk", "birth_date")
        batch = []
        for pk, birth in missing.iterator(chunk_size=batch_size):
            batch.append(ResidentTag(resident_id=pk, kind=kind, recorded_on=age_tag_since(kind, birth)))
            if len(batch) >= batch_size:
                added += len(ResidentTag.objects.bulk_create(batch))
                batch = []
        added += len(ResidentTag.objects.bulk_create(batch))
    if added or removed:
        from .coverage import coverage_changed

        coverage_changed(base.values_list("clinic_id", flat=True).distinct())
    return added, removed


from .models_care import (  # noqa: E402,F401  (teams, contracts and visits: one app, two modules)
    Contract,
    ContractEvent,
    CoverageTarget,
    ImportJob,
    PlannedVisit,
    ServicePackage,
    Team,
    TeamMember,
    VisitRecord,
    VisitRule,
)
from .models_coverage import CoverageCell, CoverageState  # noqa: E402,F401  (the coverage view's snapshot)
