"""Import of residents from the Excel sheets clinics keep (.xlsx), all rows or none, with a preview.

Columns (first row; Chinese or English, a few usual variants): 姓名, 身份证号, 联系电话, 住址, 社区,
户主身份证号, 重点人群 (comma- or 、-separated names such as 高血压、糖尿病). Only 姓名 and 身份证号
are required.

- Rows are matched by ID number: importing the same file twice changes nothing. An existing
  resident keeps a value the file leaves blank (a blank cell never erases a phone number).
- New residents are registered with the importing clinic; existing ones stay with theirs.
- 户主身份证号 names the head of the row's household: a row of the file or a resident already
  registered with the clinic. A head without a household gets one, at the head's address.
- 重点人群 adds the recorded tags it lists (source: the import, date: today) and removes none.
  Age tags (65+, 0–6) are derived from the ID number and ignored in the file.
- Every problem is reported with its row and column; if there is any, nothing is saved.

Why not django-import-export's row-by-row resource here (as for institutions and doctors): the key
column itself needs normalising with its own error messages, rows refer to each other (户主), and
the target is 100 000 rows in under a minute, which wants a single read of the sheet, a handful of
queries and bulk writes. The sheet is read with python-calamine (Rust): 100 000 rows in about a
second, where openpyxl's read-only mode takes seven. Calamine gives numbers as floats and blank
cells as "", which ``_cell_text`` reads like openpyxl's ints and Nones.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import xlsxwriter
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from yilian.core import audit
from yilian.core.masking import mask_id, mask_phone
from yilian.core.scoping import scope_for
from yilian.network.models import Institution, Region

from . import idnumber
from .coverage import coverage_changed
from .models import (
    AGE_TAGS,
    Household,
    Resident,
    ResidentTag,
    Tag,
    age_tag_since,
    community_area,
    in_age_tag,
    name_keys,
)

# (Chinese header, English header, attribute), then other headers clinics use for the same column
COLUMNS = [
    ("姓名", "name", "name"),
    ("身份证号", "ID number", "id_number"),
    ("联系电话", "phone", "phone"),
    ("住址", "address", "address"),
    ("社区", "community", "community"),
    ("户主身份证号", "head of household ID number", "household_head"),
    ("重点人群", "key populations", "tags"),
]
ALIASES = {
    "身份证号码": "id_number", "公民身份号码": "id_number", "身份证": "id_number", "id": "id_number",
    "电话": "phone", "手机": "phone", "手机号": "phone", "联系方式": "phone",
    "地址": "address", "家庭住址": "address", "现住址": "address",
    "所属社区": "community", "社区/村": "community", "村/社区": "community",
    "户主身份证号码": "household_head", "户主身份证": "household_head", "household head id": "household_head",
    "重点人群分类": "tags", "人群分类": "tags", "tags": "tags",
}
REQUIRED = ("name", "id_number")
HEADER_TO_ATTR = {h.lower(): attr for zh, en, attr in COLUMNS for h in (zh, en)} | ALIASES
MAX_LISTED_ERRORS = 300
PREVIEW_ROWS = 20
BATCH = 2000

TAG_WORDS = {
    "高血压": Tag.HYPERTENSION, "高血压患者": Tag.HYPERTENSION,
    "糖尿病": Tag.DIABETES_T2, "2型糖尿病": Tag.DIABETES_T2, "ii型糖尿病": Tag.DIABETES_T2,
    "Ⅱ型糖尿病": Tag.DIABETES_T2, "二型糖尿病": Tag.DIABETES_T2, "糖尿病患者": Tag.DIABETES_T2,
    "严重精神障碍": Tag.SEVERE_MENTAL, "严重精神障碍患者": Tag.SEVERE_MENTAL, "精神障碍": Tag.SEVERE_MENTAL,
    "肺结核": Tag.TUBERCULOSIS, "结核病": Tag.TUBERCULOSIS, "肺结核患者": Tag.TUBERCULOSIS,
    "孕产妇": Tag.PREGNANT_POSTPARTUM, "孕妇": Tag.PREGNANT_POSTPARTUM, "产妇": Tag.PREGNANT_POSTPARTUM,
    "残疾人": Tag.DISABLED, "残疾": Tag.DISABLED,
    "低收入": Tag.LOW_INCOME, "低收入人群": Tag.LOW_INCOME, "低保": Tag.LOW_INCOME, "特困": Tag.LOW_INCOME,
    "困难群众": Tag.LOW_INCOME,
    # derived from the ID number: accepted and ignored
    "老年人": Tag.ELDERLY_65, "65岁及以上老年人": Tag.ELDERLY_65, "65岁以上老年人": Tag.ELDERLY_65,
    "儿童": Tag.CHILDREN_0_6, "0-6岁儿童": Tag.CHILDREN_0_6, "0～6岁儿童": Tag.CHILDREN_0_6,
    "0~6岁儿童": Tag.CHILDREN_0_6, "0–6岁儿童": Tag.CHILDREN_0_6,
} | {t.value: t for t in Tag} | {str(t.label).split(" (")[0].lower(): t for t in Tag}
TAG_NAMES = "高血压、糖尿病、严重精神障碍、肺结核、孕产妇、残疾人、低收入"
_TAG_SPLIT = re.compile(r"[,，、;；/|\s]+")


@dataclass
class PlannedRow:
    line: int
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    phone: str | None  # None: the cell was blank
    address: str | None
    community: Region | None
    community_given: bool
    head: str  # normalised ID number of the head of household, or ""
    tags: set[str]
    existing: Resident | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ResidentImportReport:
    errors: list[str] = field(default_factory=list)
    more_errors: int = 0
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    households_created: int = 0
    tags_added: int = 0
    preview: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Errors:
    def __init__(self, labels: dict[str, str]):
        self.labels, self.items, self.count = labels, [], 0

    def add(self, line: int, attr: str | None, message):
        self.count += 1
        if len(self.items) < MAX_LISTED_ERRORS:
            if attr:
                self.items.append(_("Row %(row)s, %(column)s: %(error)s") % {
                    "row": line, "column": self.labels.get(attr, attr), "error": message})
            else:
                self.items.append(_("Row %(row)s: %(error)s") % {"row": line, "error": message})


# ---------------------------------------------------------------------------------- reading


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(content: bytes) -> tuple[list[str], list[str], list[tuple[int, tuple]]]:
    """(attributes per column, header errors, [(Excel row number, values)]) of the resident sheet."""
    return read_columns(content, COLUMNS, HEADER_TO_ATTR, REQUIRED)


def read_columns(content: bytes, columns, header_to_attr: dict, required) -> tuple[list, list, list]:
    """The first sheet of an upload, checked against ``columns`` ((Chinese, English, attribute) each):
    (attributes per column, header errors, [(Excel row number, values)]); no rows when headers are wrong."""
    try:
        rows = iter(CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python())
        header = next(rows, None) or ()
    except Exception:  # noqa: BLE001 — any unreadable upload gets the same answer
        return [], [_("The file could not be read as an Excel workbook.")], []
    headers = [_cell_text(h) for h in header]
    while headers and not headers[-1]:
        headers.pop()
    label = {attr: zh for zh, _en, attr in columns}
    expected = "、".join(label.values())
    errors = [_("Unknown column “%(column)s”. Expected columns: %(expected)s.") % {"column": h, "expected": expected}
              for h in headers if h and h.lower() not in header_to_attr]
    attrs = [header_to_attr.get(h.lower(), "") for h in headers]
    for attr in {a for a in attrs if a}:
        if attrs.count(attr) > 1:
            errors.append(_("Column “%(column)s” appears twice.") % {"column": label[attr]})
    errors += [_("Missing column “%(column)s”.") % {"column": label[attr]} for attr in required if attr not in attrs]
    data = []
    if not errors:
        for number, values in enumerate(rows, start=2):
            values = tuple(values[: len(attrs)])
            if any(v is not None and str(v).strip() for v in values):
                data.append((number, values))
    return attrs, errors, data


# ---------------------------------------------------------------------------------- planning


def _parse_tags(text: str, sex: str, line: int, errors: _Errors) -> set[str]:
    tags = set()
    for word in filter(None, _TAG_SPLIT.split(text)):
        kind = TAG_WORDS.get(word.lower()) or TAG_WORDS.get(word)
        if kind is None:
            errors.add(line, "tags", _("“%(value)s” is not a key population. Use: %(names)s.") % {
                "value": word, "names": TAG_NAMES})
        elif kind == Tag.PREGNANT_POSTPARTUM and sex != Resident.Sex.FEMALE:
            errors.add(line, "tags", _("Only a woman can be pregnant or postpartum."))
        elif kind not in AGE_TAGS:
            tags.add(kind.value)
    return tags


def _parse_row(line, cells: dict, communities: dict, errors: _Errors, today: dt.date) -> PlannedRow | None:
    before = errors.count
    name = _cell_text(cells.get("name"))
    if not name:
        errors.add(line, "name", _("This field is required."))
    elif len(name) > 50:
        errors.add(line, "name", _("At most 50 characters."))
    raw_id = cells.get("id_number")
    info = None
    if isinstance(raw_id, float):
        errors.add(line, "id_number", _(
            "The cell holds a number, which Excel rounds to 15 digits: format the column as text and type it again."))
    elif not _cell_text(raw_id):
        errors.add(line, "id_number", _("This field is required."))
    else:
        try:
            info = idnumber.parse(_cell_text(raw_id), today=today)
        except idnumber.IdNumberError as exc:
            errors.add(line, "id_number", exc.message)
    phone = None
    if _cell_text(cells.get("phone")):
        try:
            phone = idnumber.normalise_phone(_cell_text(cells.get("phone")))
        except idnumber.PhoneError as exc:
            errors.add(line, "phone", exc.message)
    address = _cell_text(cells.get("address")) or None
    if address and len(address) > 255:
        errors.add(line, "address", _("At most 255 characters."))
    community_name = _cell_text(cells.get("community"))
    community = None
    if community_name:
        found = communities.get(community_name, [])
        if len(found) == 1:
            community = found[0]
        elif found:
            errors.add(line, "community", _("“%(value)s” is ambiguous: several communities have this name.") % {
                "value": community_name})
        else:
            errors.add(line, "community", _("“%(value)s” is not a community served by this clinic.") % {
                "value": community_name})
    head = ""
    if _cell_text(cells.get("household_head")):
        try:
            head = idnumber.parse(_cell_text(cells.get("household_head")), today=today).number
        except idnumber.IdNumberError as exc:
            errors.add(line, "household_head", exc.message)
    tags = _parse_tags(_cell_text(cells.get("tags")), info.sex, line, errors) if info else set()
    if errors.count > before:
        return None
    return PlannedRow(line=line, name=name, id_number=info.number, sex=info.sex, birth_date=info.birth_date,
                      phone=phone, address=address, community=community, community_given=bool(community_name),
                      head=head, tags=tags)


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing_residents(numbers) -> dict[str, Resident]:
    found = {}
    for chunk in _chunks(numbers):
        for resident in Resident.objects.filter(id_number__in=chunk).select_related("household").only(
                "id", "name", "id_number", "phone", "address", "community_id", "household_id", "clinic_id",
                "sex", "birth_date", "household__head_id", "household__clinic_id"):
            found[resident.id_number] = resident
    return found


@dataclass
class Plan:
    user: object
    clinic: Institution
    rows: list[PlannedRow]
    existing: dict[str, Resident]  # by ID number: residents of the file and heads named by it
    existing_tags: set[tuple[int, str]]
    report: ResidentImportReport


def plan_import(user, clinic: Institution, content: bytes, *, today: dt.date | None = None,
                progress: Callable[..., None] | None = None) -> Plan:
    """Read and check every row without writing anything; the plan says what ``apply_import`` will do."""
    today = today or timezone.localdate()
    report = ResidentImportReport()
    plan = Plan(user, clinic, [], {}, set(), report)
    scope = scope_for(user)
    if not clinic.is_grassroots or not (scope.is_admin or clinic.pk in scope.clinic_ids):
        report.errors = [_("You cannot register residents with this institution.")]
        return plan
    attrs, header_errors, data = read_sheet(content)
    if header_errors:
        report.errors = header_errors
        return plan
    errors = _Errors({a: zh for zh, _en, a in COLUMNS})
    communities: dict[str, list[Region]] = {}
    for region in Region.objects.filter(level=Region.Level.COMMUNITY, path__startswith=community_area(clinic).path):
        communities.setdefault(region.name, []).append(region)

    first_line = {}
    for index, (line, values) in enumerate(data):
        row = _parse_row(line, dict(zip(attrs, values, strict=False)), communities, errors, today)
        if row is not None and row.id_number in first_line:
            errors.add(line, "id_number", _("The same ID number is already on row %(row)s of this file.") % {
                "row": first_line[row.id_number]})
        elif row is not None:
            first_line[row.id_number] = line
            plan.rows.append(row)
        if progress and index % 1000 == 0:
            progress(index, len(data))
    report.rows = len(data)

    plan.existing = _existing_residents(set(first_line) | {r.head for r in plan.rows if r.head})
    by_number = {r.id_number: r for r in plan.rows}
    for row in plan.rows:
        current = plan.existing.get(row.id_number)
        if current is not None and not (scope.is_admin or current.clinic_id in scope.clinic_ids):
            errors.add(row.line, "id_number", _("A resident with this ID number is registered with another clinic."))
            continue
        row.existing = current
        if current is not None:
            row.changes = _changes(row, current)
    for row in plan.rows:
        if row.head:
            _check_head(row, by_number, plan.existing, scope, clinic, errors)
    for chunk in _chunks([r.existing.pk for r in plan.rows if r.existing is not None]):
        plan.existing_tags |= set(ResidentTag.objects.filter(resident_id__in=chunk).values_list("resident_id", "kind"))

    report.errors, report.more_errors = errors.items, max(0, errors.count - len(errors.items))
    if report.ok:
        _count(plan)
    return plan


def _clinic_id(row: PlannedRow | None, resident: Resident | None, clinic: Institution) -> int:
    if resident is not None:
        return resident.clinic_id
    return row.existing.clinic_id if row is not None and row.existing else clinic.pk


def _target_household(row: PlannedRow, existing) -> int | None:
    """The household the row's head heads today (None: one will be created)."""
    head = existing.get(row.head)
    return head.household_id if head is not None else None


def _check_head(row, by_number, existing, scope, clinic, errors):
    head_row, head = by_number.get(row.head), existing.get(row.head)
    if head_row is None and head is None:
        errors.add(row.line, "household_head", _(
            "The head of household is neither in this file nor registered with your clinic."))
    elif head is not None and not (scope.is_admin or head.clinic_id in scope.clinic_ids):
        errors.add(row.line, "household_head", _("The head of household is registered with another clinic."))
    elif head_row is not None and head_row.head not in ("", head_row.id_number):
        errors.add(row.line, "household_head", _(
            "The head of household named here belongs to another household (row %(row)s).") % {"row": head_row.line})
    elif head is not None and head.household_id and head.household.head_id not in (None, head.pk):
        errors.add(row.line, "household_head", _("This person is a member of a household with another head."))
    elif _clinic_id(head_row, head, clinic) != _clinic_id(row, None, clinic):
        errors.add(row.line, "household_head", _("The head of household is registered with another clinic."))
    elif (row.existing and row.existing.household_id and row.existing.household.head_id == row.existing.pk
          and row.head != row.id_number and row.existing.household_id != _target_household(row, existing)):
        errors.add(row.line, "household_head", _(
            "This resident heads another household: choose its new head on the household page first."))


def _changes(row: PlannedRow, current: Resident) -> list[str]:
    changes = []
    if row.name != current.name:
        changes.append("name")
    if row.phone is not None and row.phone != current.phone:
        changes.append("phone")
    if row.address is not None and row.address != current.address:
        changes.append("address")
    if row.community_given and (row.community.pk if row.community else None) != current.community_id:
        changes.append("community")
    return changes


def _moves(row: PlannedRow, existing) -> bool:
    if not row.head:
        return False
    target = _target_household(row, existing)
    return target is None or row.existing is None or row.existing.household_id != target


def _count(plan: Plan):
    report = plan.report
    for row in plan.rows:
        if row.existing is None:
            report.new += 1
        elif row.changes or _moves(row, plan.existing):
            report.updated += 1
        else:
            report.unchanged += 1
        report.tags_added += sum(
            1 for t in row.tags if row.existing is None or (row.existing.pk, t) not in plan.existing_tags)
        if len(report.preview) < PREVIEW_ROWS:
            report.preview.append({
                "line": row.line, "name": row.name, "id_number": mask_id(row.id_number),
                "phone": mask_phone(row.phone or ""), "community": row.community.name if row.community else "",
                "status": _("new") if row.existing is None else (
                    _("update") if row.changes or _moves(row, plan.existing) else _("unchanged")),
                "tags": "、".join(str(Tag(t).label).split(" (")[0] for t in sorted(row.tags)),
            })
    report.households_created = len({r.head for r in plan.rows if r.head and _target_household(r, plan.existing)
                                     is None})


# ---------------------------------------------------------------------------------- applying


def apply_import(plan: Plan, *, origin=None, today: dt.date | None = None, source: str | None = None,
                 progress: Callable[..., None] | None = None) -> ResidentImportReport:
    """Write the plan in one transaction: bulk inserts and updates, then households, tags, audit."""
    report = plan.report
    if not report.ok:
        return report
    today = today or timezone.localdate()
    try:
        households, tags = _apply(plan, origin, today, source, progress)
    except IntegrityError:
        # Someone registered one of these residents (or edited a household) between check and save.
        report.errors = [_("The residents changed while the file was being imported; nothing was saved. "
                           "Check the file again.")]
        return report
    report.households_created = len(households)
    report.tags_added = sum(1 for t in tags if t.kind not in AGE_TAGS)
    return report


def _apply(plan: Plan, origin, today, source, progress):
    now = timezone.now()
    user, clinic = plan.user, plan.clinic
    with transaction.atomic():
        _update_residents([r for r in plan.rows if r.existing and r.changes], now)
        created, households, moved = _write_new_residents_and_households(plan.rows, plan.existing, clinic, now)
        residents = plan.existing | created
        tags = [
            ResidentTag(resident_id=residents[row.id_number].pk, kind=kind, source=source or _("Excel import"),
                        recorded_on=today, recorded_by=user if user.is_authenticated else None)
            for row in plan.rows for kind in sorted(row.tags)
            if (residents[row.id_number].pk, kind) not in plan.existing_tags
        ]
        tags += [ResidentTag(resident_id=r.pk, kind=kind, recorded_on=age_tag_since(kind, r.birth_date))
                 for r in created.values() for kind in AGE_TAGS if in_age_tag(kind, r.birth_date, today)]
        ResidentTag.objects.bulk_create(tags, batch_size=BATCH)
        if progress:
            progress(len(plan.rows), len(plan.rows), phase="save")
        changed = {r.id_number: r.changes for r in plan.rows if r.existing and r.changes}
        touched = {n: residents[n] for n in [*created, *changed]} | {r.id_number: r for r in moved}
        paths = dict(Institution.objects.filter(pk__in={r.clinic_id for r in touched.values()}).values_list(
            "pk", "region__path"))
        audit.record_many(user, audit.Action.IMPORT, touched.values(), origin=origin,
                          region_path_of=lambda obj: paths.get(obj.clinic_id, ""),
                          summary_of=lambda r: _import_summary(r, created, changed))
        audit.record_many(user, audit.Action.CREATE, households, origin=origin,
                          region_path_of=lambda obj: paths.get(obj.clinic_id, ""))
        coverage_changed({clinic.pk, *paths, *(r.clinic_id for r in plan.existing.values())})
    return households, tags


def _import_summary(resident, created, changed) -> str:
    if resident.id_number in created:
        return f"{resident.audit_summary()} · new"
    return f"{resident.audit_summary()} · " + ", ".join(changed.get(resident.id_number) or ["household"])


def _new_resident(row: PlannedRow, clinic, now, household_id=None) -> Resident:
    full, initials = name_keys(row.name)
    return Resident(
        name=row.name, id_number=row.id_number, sex=row.sex, birth_date=row.birth_date, phone=row.phone or "",
        address=row.address or "", community=row.community, clinic=clinic, household_id=household_id,
        name_pinyin=full, initials=initials, created_at=now, updated_at=now,
    )


def _write_new_residents_and_households(rows, existing, clinic, now):
    """Insert the new residents and the households their heads lack, with no per-row update.

    Order: new residents who head a new household; the households (with their head); the heads'
    household, set by one UPDATE per batch; then every other new resident, inserted with
    its household already set. Existing residents that change household are updated in bulk.
    Returns (created residents by ID number, new households, existing residents that moved).
    """
    by_number = {row.id_number: row for row in rows}
    head_numbers = list(dict.fromkeys(row.head for row in rows if row.head))
    founding = [n for n in head_numbers if existing.get(n) is None or existing[n].household_id is None]
    founding_set = set(founding)
    created = {n: _new_resident(by_number[n], clinic, now) for n in founding if existing.get(n) is None}
    Resident.objects.bulk_create(list(created.values()), batch_size=BATCH)
    heads = {n: existing.get(n) or created[n] for n in head_numbers}

    households = [Household(clinic_id=heads[n].clinic_id, address=heads[n].address, community_id=heads[n].community_id,
                            head=heads[n], created_at=now, updated_at=now) for n in founding]
    Household.objects.bulk_create(households, batch_size=BATCH)
    for number, household in zip(founding, households, strict=True):
        heads[number].household_id = household.pk
    # One CASE update per batch. (A correlated "newest household this resident heads" subquery was
    # quadratic on PostgreSQL: it walked the household primary key backwards for every head, 46 s
    # for 33 000 heads.)
    Resident.objects.bulk_update([heads[n] for n in founding], ["household"], batch_size=BATCH)
    for number, head in heads.items():
        if number not in founding_set and head.household.head_id is None:
            Household.objects.filter(pk=head.household_id).update(head=head, updated_at=now)  # rare: headless

    rest = [_new_resident(row, clinic, now, heads[row.head].household_id if row.head else None)
            for row in rows if row.existing is None and row.id_number not in created]
    Resident.objects.bulk_create(rest, batch_size=BATCH)
    created |= {r.id_number: r for r in rest}

    moved = {n: existing[n] for n in founding if n in existing}
    for row in rows:
        if row.head and row.existing is not None and row.id_number not in moved:
            target = heads[row.head].household_id
            if row.existing.household_id != target:
                row.existing.household_id = target
                moved[row.id_number] = row.existing
    Resident.objects.bulk_update([r for n, r in moved.items() if n not in founding_set], ["household"],
                                 batch_size=BATCH)
    return created, households, list(moved.values())


def _update_residents(rows, now):
    fields = {"updated_at"}
    for row in rows:
        resident = row.existing
        for name in row.changes:
            setattr(resident, name, {"name": row.name, "phone": row.phone, "address": row.address,
                                     "community": row.community}[name])
            fields.add(name)
        if "name" in row.changes:
            resident.name_pinyin, resident.initials = name_keys(row.name)
            fields |= {"name_pinyin", "initials"}
        resident.updated_at = now
    if rows:
        Resident.objects.bulk_update([r.existing for r in rows], sorted(fields), batch_size=BATCH)


def import_residents(user, clinic, content: bytes, *, commit: bool, origin=None, today=None,
                     progress=None) -> ResidentImportReport:
    """Check the file; with ``commit`` and no error, save every row. The worker job calls this too."""
    started = time.perf_counter()
    plan = plan_import(user, clinic, content, today=today, progress=progress)
    report = apply_import(plan, origin=origin, today=today, progress=progress) if commit else plan.report
    report.seconds = time.perf_counter() - started
    return report


def template_xlsx() -> bytes:
    """An empty sheet with the header row; the ID and phone columns are formatted as text."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Residents")[:31])
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, [zh for zh, _en, _a in COLUMNS], head)
    sheet.set_column(0, len(COLUMNS) - 1, 20, text)
    book.close()
    return out.getvalue()
