"""The alliance network: regions, institutions, pilot communities, alliances, pairings, liaisons.

Glossary: 医联体 medical alliance · 结对帮扶 pairing · 三感社区 "three senses" pilot community ·
优质服务基层行 grassroots quality-service campaign · 联络员 liaison person.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from simple_history.models import HistoricalRecords

from yilian.core.scoping import CHANGE, ScopedManager, ScopedQuerySet, any_of, ids_in, scope_for, under_regions


def pinyin_key(*names: str) -> str:
    """Pinyin initials and full pinyin of each name, for search by 拼音首字母."""
    parts = []
    for name in filter(None, names):
        parts.append("".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower())
        parts.append("".join(lazy_pinyin(name)).lower())
    return " ".join(parts)[:600]


# Mainland China with a margin: coordinates outside are a typing error, not a clinic.
CHINA_LAT = (3.0, 54.0)
CHINA_LON = (73.0, 136.0)


class Region(models.Model):
    """An administrative region: city → district/county → subdistrict/town → community."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District / county")
        SUBDISTRICT = "subdistrict", _("Subdistrict / town")
        COMMUNITY = "community", _("Community / village")

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent region"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    code = models.CharField(_("administrative code"), max_length=12, blank=True)
    # Materialised path "/00000001/00000004/": subtree queries are one indexed prefix match, and
    # zero-padding makes the text order the tree order.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent else '/'}{self.pk:08d}/"
        if path != self.path:
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)

    def clean(self):
        if self.parent_id and self.pk and f"/{self.pk}/" in self.parent.path:
            raise ValidationError({"parent": _("A region cannot sit under itself.")})

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]

    def ancestors(self):
        ids = self.ancestor_ids
        return sorted(Region.objects.filter(pk__in=ids), key=lambda r: ids.index(r.pk))

    def district(self):
        """The district/county this region lies in (itself if it is one)."""
        for region in [*self.ancestors(), self]:
            if region.level == Region.Level.DISTRICT:
                return region
        return None

    @classmethod
    def scope_q(cls, scope, action):
        own = under_regions(scope.region_paths, "path")
        if action == CHANGE:
            return own
        seen_paths = Region.objects.filter(
            pk__in=Institution.objects.for_scope(scope).values("region_id")
        ).values_list("path", flat=True)
        upward = {int(p) for path in [*scope.region_paths, *seen_paths] for p in path.strip("/").split("/")}
        return own | Q(pk__in=upward)


class Institution(models.Model):
    """A hospital, public-health centre or grassroots clinic."""

    class Kind(models.TextChoices):
        TERTIARY_HOSPITAL = "tertiary_hospital", _("Tertiary hospital (三级医院)")
        SECONDARY_HOSPITAL = "secondary_hospital", _("Secondary hospital (二级医院)")
        TCM_HOSPITAL = "tcm_hospital", _("TCM hospital (中医医院)")
        INTEGRATED_HOSPITAL = "integrated_hospital", _("Integrated Chinese-Western hospital (中西医结合医院)")
        MATERNAL_CHILD = "maternal_child", _("Maternal and child health hospital (妇幼保健院)")
        SPECIALIST_HOSPITAL = "specialist_hospital", _("Specialist hospital (专科医院)")
        PUBLIC_HEALTH_CENTER = "public_health_center", _("Public health treatment centre (公共卫生救治中心)")
        COMMUNITY_CENTER = "community_center", _("Community health service centre (社区卫生服务中心)")
        COMMUNITY_STATION = "community_station", _("Community health service station (社区卫生服务站)")
        TOWNSHIP_CENTER = "township_center", _("Township health centre (乡镇卫生院)")
        VILLAGE_CLINIC = "village_clinic", _("Village clinic (村卫生室)")

    HOSPITAL_KINDS = frozenset({
        Kind.TERTIARY_HOSPITAL, Kind.SECONDARY_HOSPITAL, Kind.TCM_HOSPITAL, Kind.INTEGRATED_HOSPITAL,
        Kind.MATERNAL_CHILD, Kind.SPECIALIST_HOSPITAL, Kind.PUBLIC_HEALTH_CENTER,
    })
    GRASSROOTS_KINDS = frozenset({
        Kind.COMMUNITY_CENTER, Kind.COMMUNITY_STATION, Kind.TOWNSHIP_CENTER, Kind.VILLAGE_CLINIC,
    })

    class Standard(models.TextChoices):
        """优质服务基层行 capability standard reached."""

        NONE = "none", _("Not yet")
        BASIC = "basic", _("Basic standard (基本标准)")
        RECOMMENDED = "recommended", _("Recommended standard (推荐标准)")
        COMMUNITY_HOSPITAL = "community_hospital", _("Community hospital (社区医院)")

    name = models.CharField(_("name"), max_length=150, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent institution"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(CHINA_LAT[0]), MaxValueValidator(CHINA_LAT[1])],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(CHINA_LON[0]), MaxValueValidator(CHINA_LON[1])],
    )
    coordinates_illustrative = models.BooleanField(_("coordinates are illustrative"), default=False)
    population_served = models.PositiveIntegerField(_("population served"), null=True, blank=True)
    standard = models.CharField(
        _("capability standard"), max_length=30, choices=Standard.choices, default=Standard.NONE
    )
    standard_year = models.PositiveSmallIntegerField(
        _("year standard reached"), null=True, blank=True,
        validators=[MinValueValidator(2010), MaxValueValidator(2100)],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # "xtsqwsfwzx xintianshequ…": lets staff find 新天社区卫生服务中心 by typing "xtsq".
    search_key = models.CharField(max_length=600, editable=False, default="", db_index=True)

    objects = ScopedManager()
    history = HistoricalRecords(excluded_fields=["search_key"])

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["region__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="institution_coordinates_both_or_neither",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        self.search_key = pinyin_key(self.name, self.short_name)
        super().save(*args, **kwargs)

    @classmethod
    def search_q(cls, text: str) -> Q:
        text = text.strip()
        return Q(name__icontains=text) | Q(short_name__icontains=text) | Q(search_key__icontains=text.lower())

    @property
    def is_hospital(self) -> bool:
        return self.kind in self.HOSPITAL_KINDS

    @property
    def is_grassroots(self) -> bool:
        return self.kind in self.GRASSROOTS_KINDS

    def clean(self):
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        if self.standard != self.Standard.NONE and not self.standard_year:
            errors["standard_year"] = _("Say in which year the standard was reached.")
        if self.standard == self.Standard.NONE and self.standard_year:
            errors["standard_year"] = _("A year is only meaningful once a standard is reached.")
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = _("An institution cannot be its own parent.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def descendant_ids(cls, root_ids) -> set[int]:
        """The given institutions and every institution under them (station under centre…)."""
        found, frontier = set(root_ids), set(root_ids)
        while frontier:
            frontier = set(cls.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    @classmethod
    def scope_q(cls, scope, action):
        in_region = under_regions(scope.region_paths, "region__path")
        if action == CHANGE:
            return any_of([in_region, ids_in(scope.hospital_ids), ids_in(scope.clinic_ids)])
        own_hospitals = scope.hospital_ids | scope.doctor_institution_ids
        return any_of([
            in_region,
            ids_in(own_hospitals),
            ids_in(scope.clinic_ids),
            # a hospital sees the clinics it supports; a clinic sees the hospitals supporting it
            Q(pk__in=Pairing.all_rows.filter(hospital_id__in=own_hospitals).values("clinic_id"))
            if own_hospitals else None,
            Q(pk__in=Pairing.all_rows.filter(clinic_id__in=scope.clinic_ids).values("hospital_id"))
            if scope.clinic_ids else None,
        ])


class PilotCommunity(models.Model):
    """A pilot community, e.g. of the Guiyang "三感社区" programme."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        BUILDING = "building", _("Under construction")
        BUILT = "built", _("Built")
        ACCEPTED = "accepted", _("Accepted")

    name = models.CharField(_("name"), max_length=150)
    programme = models.CharField(_("programme"), max_length=60, default="三感社区")
    region = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="pilots"
    )
    year_entered = models.PositiveSmallIntegerField(
        _("year entered"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.BUILDING)
    serving_institutions = models.ManyToManyField(
        Institution, verbose_name=_("serving grassroots institutions"), related_name="pilots", blank=True
    )
    sequence = models.PositiveSmallIntegerField(_("number in district"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = ScopedManager()
    history = HistoricalRecords(m2m_fields=[serving_institutions])

    class Meta:
        verbose_name = _("pilot community")
        verbose_name_plural = _("pilot communities")
        ordering = ["region__path", "sequence", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "region"], name="pilot_unique_per_programme"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope, action):
        in_region = under_regions(scope.region_paths, "region__path")
        if action == CHANGE:
            return in_region
        visible = Institution.objects.for_scope(scope)
        return in_region | Q(pk__in=cls.serving_institutions.through.objects.filter(
            institution__in=visible).values("pilotcommunity_id"))


class Alliance(models.Model):
    """医联体 / 医共体 / 专科联盟 / 远程医疗协作网: a lead institution and its members."""

    class Kind(models.TextChoices):
        URBAN_GROUP = "urban_group", _("Urban medical group (医联体)")
        COUNTY_COMMUNITY = "county_community", _("County medical community (医共体)")
        SPECIALTY = "specialty", _("Specialty alliance (专科联盟)")
        TELEMEDICINE = "telemedicine", _("Telemedicine network (远程医疗协作网)")

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    lead = models.ForeignKey(
        Institution, verbose_name=_("lead institution"), on_delete=models.PROTECT,
        related_name="alliances_led",
    )
    members = models.ManyToManyField(
        Institution, verbose_name=_("members"), related_name="alliances", blank=True
    )
    established = models.DateField(_("established"), null=True, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        verbose_name = _("alliance")
        verbose_name_plural = _("alliances")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope, action):
        if action == CHANGE:
            return under_regions(scope.region_paths, "lead__region__path")
        visible = Institution.objects.for_scope(scope)
        return Q(lead__in=visible) | Q(pk__in=cls.members.through.objects.filter(
            institution__in=visible).values("alliance_id"))


class PairingQuerySet(ScopedQuerySet):
    def active_on(self, day):
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)

    def overlapping(self, start, end):
        """Pairings whose period shares at least one day with [start, end] (end None = open)."""
        q = Q(end__isnull=True) | Q(end__gte=start)
        if end is not None:
            q &= Q(start__lte=end)
        return self.filter(q)


class Pairing(models.Model):
    """结对帮扶: an assisting hospital supports a grassroots institution for a period."""

    hospital = models.ForeignKey(
        Institution, verbose_name=_("assisting hospital"), on_delete=models.PROTECT,
        related_name="pairings_given",
    )
    clinic = models.ForeignKey(
        Institution, verbose_name=_("supported institution"), on_delete=models.PROTECT,
        related_name="pairings_received",
    )
    pilots = models.ManyToManyField(
        PilotCommunity, verbose_name=_("pilot communities served"), related_name="pairings", blank=True
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    department = models.CharField(_("responsible department"), max_length=100, blank=True)
    responsible_persons = models.CharField(_("responsible persons"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Where the demo had to infer a cell of a damaged source table, the reasoning is kept here.
    source_note = models.TextField(_("source note"), blank=True)

    objects = PairingQuerySet.as_manager()
    all_rows = PairingQuerySet.as_manager()  # unscoped, for building other models' scopes only
    history = HistoricalRecords(m2m_fields=[pilots])

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["clinic__region__path", "clinic__name", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="pairing_end_not_before_start",
            ),
        ]

    def __str__(self):
        return f"{self.hospital.display_name} → {self.clinic.display_name}"

    def clean(self):
        errors = {}
        if self.hospital_id and not self.hospital.is_hospital:
            errors["hospital"] = _("%(name)s is not a hospital; only hospitals can assist.") % {
                "name": self.hospital.name
            }
        if self.clinic_id and not self.clinic.is_grassroots:
            errors["clinic"] = _("%(name)s is not a grassroots institution.") % {"name": self.clinic.name}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The period ends before it starts.")
        if not errors and self.hospital_id and self.clinic_id and self.start:
            clash = (
                Pairing.all_rows.filter(hospital_id=self.hospital_id, clinic_id=self.clinic_id)
                .exclude(pk=self.pk).overlapping(self.start, self.end).first()
            )
            if clash:
                errors["start"] = _(
                    "%(hospital)s already supports %(clinic)s from %(start)s; the periods overlap."
                ) % {"hospital": self.hospital.name, "clinic": self.clinic.name, "start": clash.start}
        if errors:
            raise ValidationError(errors)

    def is_active_on(self, day) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)

    @classmethod
    def scope_q(cls, scope, action):
        in_region = under_regions(scope.region_paths, "clinic__region__path")
        if action == CHANGE:
            return in_region
        return any_of([
            in_region,
            under_regions(scope.region_paths, "hospital__region__path") if scope.region_paths else None,
            ids_in(scope.hospital_ids | scope.doctor_institution_ids, "hospital_id"),
            ids_in(scope.clinic_ids, "clinic_id"),
        ])


class Liaison(models.Model):
    """帮扶医院联络员 (annex 2): the person a hospital names for the pairing work."""

    hospital = models.ForeignKey(
        Institution, verbose_name=_("hospital"), on_delete=models.CASCADE, related_name="liaisons"
    )
    name = models.CharField(_("name"), max_length=50)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30)
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("liaison")
        verbose_name_plural = _("liaisons")
        ordering = ["hospital__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.hospital.display_name})"

    def clean(self):
        if self.hospital_id and not self.hospital.is_hospital:
            raise ValidationError({"hospital": _("Liaisons are named by assisting hospitals.")})

    @classmethod
    def hospital_q(cls, scope, action) -> Q:
        """Hospitals whose liaisons the scope may see (VIEW) or name and edit (CHANGE)."""
        if action == CHANGE:
            return any_of([under_regions(scope.region_paths, "region__path"), ids_in(scope.hospital_ids)])
        return Institution.scope_q(scope, action)

    @classmethod
    def hospitals_for(cls, user, action):
        scope = scope_for(user)
        if scope.is_admin:
            return Institution.objects.all()
        return Institution.objects.filter(cls.hospital_q(scope, action))

    @classmethod
    def scope_q(cls, scope, action):
        return Q(hospital__in=Institution.objects.filter(cls.hospital_q(scope, action)))
