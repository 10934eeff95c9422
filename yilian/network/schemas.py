"""API schemas for the alliance network.

Inputs carry foreign keys as ids; the API resolves them through the user's scoped querysets.
Choice fields are plain strings (with the choices listed in OpenAPI) so that the model's own
validation reports a bad value, in the user's language, like every other field error.
"""

# No `from __future__ import annotations` here: PatchDict needs the real types, not strings.
from datetime import date
from decimal import Decimal

from ninja import Field, Schema

from .models import Alliance, Institution, PilotCommunity, Region


def choice(model_choices, default=...):
    return Field(default, json_schema_extra={"enum": list(model_choices.values)})


# --- outputs -------------------------------------------------------------------------------


class RegionOut(Schema):
    id: int
    name: str
    level: str = choice(Region.Level)
    parent_id: int | None
    code: str
    path: str


class InstitutionOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str = choice(Institution.Kind)
    parent_id: int | None
    region_id: int
    region_name: str
    address: str
    latitude: float | None  # numbers, as map clients expect; input keeps Decimal precision
    longitude: float | None
    coordinates_illustrative: bool
    population_served: int | None
    standard: str = choice(Institution.Standard)
    standard_year: int | None
    phone: str
    notes: str

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name


class PilotOut(Schema):
    id: int
    name: str
    programme: str
    region_id: int
    year_entered: int
    status: str = choice(PilotCommunity.Status)
    sequence: int | None
    notes: str


class PilotDetailOut(PilotOut):
    serving_institution_ids: list[int]


class AllianceOut(Schema):
    id: int
    name: str
    kind: str = choice(Alliance.Kind)
    lead_id: int
    established: date | None


class AllianceDetailOut(AllianceOut):
    member_ids: list[int]


class PairingOut(Schema):
    id: int
    hospital_id: int
    hospital_name: str
    clinic_id: int
    clinic_name: str
    start: date
    end: date | None
    department: str
    responsible_persons: str
    notes: str
    source_note: str

    @staticmethod
    def resolve_hospital_name(obj):
        return obj.hospital.name

    @staticmethod
    def resolve_clinic_name(obj):
        return obj.clinic.name


class PairingDetailOut(PairingOut):
    pilot_ids: list[int]


class LiaisonOut(Schema):
    id: int
    hospital_id: int
    name: str
    department: str
    phone: str
    remarks: str


# --- inputs --------------------------------------------------------------------------------


class InstitutionIn(Schema):
    name: str
    short_name: str = ""
    kind: str = choice(Institution.Kind)
    parent: int | None = None
    region: int
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    population_served: int | None = None
    standard: str = choice(Institution.Standard, Institution.Standard.NONE.value)
    standard_year: int | None = None
    phone: str = ""
    notes: str = ""


class PairingIn(Schema):
    hospital: int
    clinic: int
    start: date
    end: date | None = None
    department: str = ""
    responsible_persons: str = ""
    notes: str = ""
    pilots: list[int] = []


class LiaisonIn(Schema):
    hospital: int
    name: str
    department: str = ""
    phone: str
    remarks: str = ""
