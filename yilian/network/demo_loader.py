"""Load the Guiyang demo network from ``demo/guiyang.yaml`` (annexes 1 and 2 of the seed notice)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from .models import Alliance, Institution, Liaison, Pairing, PilotCommunity, Region

DEMO_FILE = Path(__file__).parent / "demo" / "guiyang.yaml"
ILLUSTRATIVE = "示例数据(illustrative)"

# "云岩区水东路街道百合园社区" → subdistrict "水东路街道", community "百合园社区"
_SUBDISTRICT = re.compile(r"^(?P<sub>.+?(?:街道|镇|乡))(?P<community>.+)$")


def read_demo(path: Path = DEMO_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def jitter(key: str, center, spread: float = 0.03) -> tuple[Decimal, Decimal]:
    """A stable, illustrative point near ``center``: the same name always lands on the same spot."""
    digest = hashlib.sha256(key.encode()).digest()
    dy = (digest[0] / 255 - 0.5) * spread
    dx = (digest[1] / 255 - 0.5) * spread
    return Decimal(f"{center[0] + dy:.6f}"), Decimal(f"{center[1] + dx:.6f}")


def _stable_number(key: str, below: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % below


def grassroots_kind(name: str) -> str:
    if name.endswith("卫生室"):
        return Institution.Kind.VILLAGE_CLINIC
    if name.endswith("卫生院"):
        return Institution.Kind.TOWNSHIP_CENTER
    if "服务站" in name:
        return Institution.Kind.COMMUNITY_STATION
    return Institution.Kind.COMMUNITY_CENTER


@dataclass
class _Loader:
    data: dict
    regions: dict = field(default_factory=dict)
    institutions: dict = field(default_factory=dict)

    def region(self, name, level, parent=None):
        key = (parent.pk if parent else None, name)
        if key not in self.regions:
            self.regions[key], _ = Region.objects.get_or_create(
                name=name, parent=parent, defaults={"level": level}
            )
        return self.regions[key]

    def institution(self, name, kind, region, center, **extra):
        if name not in self.institutions:
            lat, lon = jitter(name, center)
            defaults = {
                "kind": kind, "region": region, "latitude": lat, "longitude": lon,
                "coordinates_illustrative": True, "notes": ILLUSTRATIVE, **extra,
            }
            self.institutions[name], _ = Institution.objects.get_or_create(name=name, defaults=defaults)
        return self.institutions[name]

    def load(self):
        city_data = self.data["city"]
        city = self.region(city_data["name"], Region.Level.CITY)
        city.code = city_data.get("code", "")
        city.save()
        districts = {d["name"]: d for d in self.data["districts"]}
        for d in self.data["districts"]:
            self.region(d["name"], Region.Level.DISTRICT, city)
        self._hospitals(city, districts)
        self._parents(city, districts)
        for d in self.data["districts"]:
            self._district(city, d)
        self._alliances()

    def _alliances(self):
        """The notice asks each hospital and the clinics it supports to form a medical alliance."""
        for h in self.data["hospitals"]:
            hospital = self.institutions[h["short"]]
            county = hospital.region.name.endswith(("县", "市")) and hospital.region.level == Region.Level.DISTRICT
            alliance, _ = Alliance.objects.get_or_create(
                name=f"{h['short']}医联体", defaults={
                    "lead": hospital,
                    "kind": Alliance.Kind.COUNTY_COMMUNITY if county else Alliance.Kind.URBAN_GROUP,
                },
            )
            alliance.members.add(*Institution.objects.filter(pairings_received__hospital=hospital))

    def _hospitals(self, city, districts):
        for h in self.data["hospitals"]:
            district = h.get("district")
            region = self.region(district, Region.Level.DISTRICT, city) if district else city
            center = districts[district]["center"] if district else self.data["city"]["center"]
            hospital = self.institution(h["name"], h["kind"], region, center, short_name=h["short"])
            self.institutions[h["short"]] = hospital
            Liaison.objects.get_or_create(
                hospital=hospital, defaults={
                    "name": f"联络员{len(self.institutions):02d}", "department": "医务科",
                    "phone": f"0851-8{_stable_number(h['short'], 10**6):06d}", "remarks": ILLUSTRATIVE,
                },
            )

    def _parents(self, city, districts):
        for p in self.data.get("parents", []):
            district = self.region(p["district"], Region.Level.DISTRICT, city)
            sub = self.region(p["subdistrict"], Region.Level.SUBDISTRICT, district)
            self.institution(p["name"], p["kind"], sub, districts[p["district"]]["center"])

    def _district(self, city, d):
        district = self.region(d["name"], Region.Level.DISTRICT, city)
        period = self.data["pairing_period"]
        for row in d["pilots"]:
            match = _SUBDISTRICT.match(row["pilot"].removeprefix(d["name"]))
            sub = self.region(match["sub"], Region.Level.SUBDISTRICT, district)
            community = self.region(match["community"], Region.Level.COMMUNITY, sub)
            notes = "\n".join(f"{k}: {v}" for k, v in (row.get("inferred") or {}).items())
            pilot, _ = PilotCommunity.objects.get_or_create(
                programme=self.data["programme"], region=community,
                defaults={"name": row["pilot"], "year_entered": 2021, "sequence": row["seq"],
                          "status": PilotCommunity.Status.BUILT, "notes": notes},
            )
            parent = self.institutions.get(row.get("parent"))
            hospital = self.institutions[row["hospital"]]
            for clinic_name in row["clinics"]:
                clinic = self.institution(
                    clinic_name, grassroots_kind(clinic_name), sub, d["center"], parent=parent,
                    population_served=20000 + _stable_number(clinic_name, 60000),
                )
                pilot.serving_institutions.add(clinic)
                pairing, created = Pairing.objects.get_or_create(
                    hospital=hospital, clinic=clinic,
                    defaults={"start": date.fromisoformat(str(period["start"])),
                              "end": date.fromisoformat(str(period["end"])) if period.get("end") else None,
                              "department": "党委办公室 / 医务科"},
                )
                pairing.pilots.add(pilot)
                if notes and notes not in pairing.source_note:
                    pairing.source_note = "\n".join(filter(None, [pairing.source_note, f"{row['pilot']} — {notes}"]))
                    pairing.save(update_fields=["source_note"])


@transaction.atomic
def load_guiyang(path: Path = DEMO_FILE) -> dict:
    """Create (or complete) the Guiyang network. Safe to run twice: nothing is duplicated."""
    loader = _Loader(read_demo(path))
    loader.load()
    return {
        "regions": Region.objects.count(),
        "institutions": Institution.objects.count(),
        "pilots": PilotCommunity.objects.count(),
        "pairings": Pairing.objects.count(),
    }


def inferred_cells(path: Path = DEMO_FILE) -> list[tuple[str, str, str]]:
    """(pilot, column, reasoning) for every cell of annex 1 that had to be inferred."""
    data = read_demo(path)
    return [
        (row["pilot"], column, why)
        for d in data["districts"] for row in d["pilots"]
        for column, why in (row.get("inferred") or {}).items()
    ]
