"""Import of family-doctor contracts from the Excel sheets clinics keep (.xlsx), all rows or none.

Columns (first row; Chinese or English): 身份证号, 签约团队, 服务包 (comma- or 、-separated package
names, the basic package among them), 签约日期, 签字人 (who gave consent). All are required.

- The resident must already be registered with the importing clinic, the team and the packages
  must be the clinic's.
- A resident who already has an active contract with the same team and start is "unchanged":
  importing the same file twice changes nothing. Any other active contract refuses the row.
- Every problem is reported with its row and column; if there is any, nothing is saved.
- Rows are written in bulk (batches of ``BATCH``) in one transaction, run by the worker with
  progress: the target is 100 000 rows in under a minute, which ``services_care.contract_sign``
  row by row (about ten queries a contract) does not reach. The plan checks every rule that
  service checks (scope, the clinic's team and packages, a basic package, the start date, consent,
  one active contract per resident), and the writes are the same: the contract with its packages,
  a "signed" history event and a "create" audit row per contract. The unique "one active contract"
  index backs up the check against a contract signed between the check and the save.
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

from yilian.core import audit
from yilian.core.masking import mask_id
from yilian.core.scoping import scope_for
from yilian.network.models import Institution

from . import idnumber
from .coverage import coverage_changed
from .imports import PREVIEW_ROWS, _cell_text, _chunks, _Errors, read_columns
from .models import Resident
from .models_care import Contract, ContractEvent, ServicePackage, Team, one_year_from

COLUMNS = [
    ("身份证号", "ID number", "id_number"),
    ("签约团队", "team", "team"),
    ("服务包", "packages", "packages"),
    ("签约日期", "start", "start"),
    ("签字人", "consent by", "consent_by"),
]
ALIASES = {
    "身份证号码": "id_number", "公民身份号码": "id_number", "身份证": "id_number",
    "团队": "team", "家庭医生团队": "team",
    "服务包名称": "packages", "package": "packages",
    "日期": "start", "start date": "start", "签约时间": "start",
    "签字": "consent_by", "知情同意人": "consent_by", "consent": "consent_by",
}
REQUIRED = tuple(attr for _zh, _en, attr in COLUMNS)
HEADER_TO_ATTR = {h.lower(): attr for zh, en, attr in COLUMNS for h in (zh, en)} | ALIASES
_SPLIT = re.compile(r"[,，、;；]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


@dataclass
class ContractRow:
    line: int
    resident: Resident
    team: Team
    packages: list[ServicePackage]
    start: dt.date
    consent_by: str
    unchanged: bool = False


@dataclass
class ContractImportReport:
    errors: list[str] = field(default_factory=list)
    more_errors: int = 0
    rows: int = 0
    new: int = 0
    unchanged: int = 0
    preview: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


def read_sheet(content: bytes):
    """(attributes per column, header errors, [(Excel row number, values)]) of the contract sheet."""
    return read_columns(content, COLUMNS, HEADER_TO_ATTR, REQUIRED)


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def plan_contracts(user, clinic: Institution, content: bytes, *, today: dt.date | None = None,
                   progress: Callable[..., None] | None = None):
    """Check every row without writing anything: (rows to sign or leave, report)."""
    today = today or timezone.localdate()
    report = ContractImportReport()
    scope = scope_for(user)
    if not clinic.is_grassroots or not (scope.is_admin or clinic.pk in scope.clinic_ids):
        report.errors = [_("You cannot sign contracts for this institution.")]
        return [], report
    attrs, header_errors, data = read_sheet(content)
    if header_errors:
        report.errors = header_errors
        return [], report
    errors = _Errors({a: zh for zh, _en, a in COLUMNS})
    teams = {t.name: t for t in Team.objects.filter(clinic=clinic, active=True).select_related("clinic__region")}
    packages = {p.name: p for p in ServicePackage.objects.filter(clinic=clinic, active=True)}
    parsed, numbers = [], set()
    for index, (line, values) in enumerate(data):
        if progress and index % 1000 == 0:
            progress(index, len(data))
        cells = dict(zip(attrs, values, strict=False))
        before = errors.count
        number = ""
        raw_id = cells.get("id_number")
        if isinstance(raw_id, float):
            errors.add(line, "id_number", _(
                "The cell holds a number, which Excel rounds to 15 digits: format the column as text and type it "
                "again."))
        elif not _cell_text(raw_id):
            errors.add(line, "id_number", _("This field is required."))
        else:
            try:
                number = idnumber.parse(_cell_text(raw_id), today=today).number
            except idnumber.IdNumberError as exc:
                errors.add(line, "id_number", exc.message)
        team_name = _cell_text(cells.get("team"))
        team = teams.get(team_name)
        if not team_name:
            errors.add(line, "team", _("This field is required."))
        elif team is None:
            errors.add(line, "team", _("“%(value)s” is not a team of this clinic.") % {"value": team_name})
        chosen = []
        for name in filter(None, (w.strip() for w in _SPLIT.split(_cell_text(cells.get("packages"))))):
            if name not in packages:
                errors.add(line, "packages", _("“%(value)s” is not a service package of this clinic.") % {
                    "value": name})
            else:
                chosen.append(packages[name])
        if not chosen and not _cell_text(cells.get("packages")):
            errors.add(line, "packages", _("This field is required."))
        elif chosen and not any(p.kind == ServicePackage.Kind.BASIC for p in chosen):
            errors.add(line, "packages", _("A contract includes a basic package."))
        start = _parse_date(cells.get("start"))
        if not _cell_text(cells.get("start")):
            errors.add(line, "start", _("This field is required."))
        elif start is None:
            errors.add(line, "start", _("Enter a date such as 2025-03-01."))
        elif start > today + dt.timedelta(days=90) or start < today - dt.timedelta(days=366):
            errors.add(line, "start", _("The start date must be within the past year or the next 90 days."))
        consent_by = _cell_text(cells.get("consent_by"))
        if not consent_by:
            errors.add(line, "consent_by", _("No recorded consent: enter who signed."))
        elif len(consent_by) > 50:
            errors.add(line, "consent_by", _("At most 50 characters."))
        if errors.count == before:
            parsed.append((line, number, team, chosen, start, consent_by))
            numbers.add(number)
    report.rows = len(data)

    residents: dict[str, Resident] = {}
    for chunk in _chunks(numbers):
        for resident in Resident.objects.filter(id_number__in=chunk):
            residents[resident.id_number] = resident
    active: dict[int, Contract] = {}
    for chunk in _chunks([r.pk for r in residents.values()]):
        for contract in Contract.objects.filter(resident_id__in=chunk, status=Contract.Status.ACTIVE):
            active[contract.resident_id] = contract
    rows, first_line = [], {}
    for line, number, team, chosen, start, consent_by in parsed:
        resident = residents.get(number)
        if resident is None:
            errors.add(line, "id_number", _("No resident with this ID number is registered."))
            continue
        if resident.clinic_id != clinic.pk:
            errors.add(line, "id_number", _("This resident is registered with another clinic."))
            continue
        if number in first_line:
            errors.add(line, "id_number", _("The same ID number is already on row %(row)s of this file.") % {
                "row": first_line[number]})
            continue
        first_line[number] = line
        current = active.get(resident.pk)
        unchanged = current is not None and current.team_id == team.pk and current.start == start
        if current is not None and not unchanged:
            errors.add(line, "id_number", _("This resident already has an active contract; renew or terminate it "
                                            "first."))
            continue
        rows.append(ContractRow(line, resident, team, chosen, start, consent_by, unchanged))

    report.errors, report.more_errors = errors.items, max(0, errors.count - len(errors.items))
    if report.ok:
        for row in rows:
            if row.unchanged:
                report.unchanged += 1
            else:
                report.new += 1
            if len(report.preview) < PREVIEW_ROWS:
                report.preview.append({
                    "line": row.line, "name": row.resident.name, "id_number": mask_id(row.resident.id_number),
                    "team": row.team.name, "packages": "、".join(p.name for p in row.packages),
                    "start": row.start, "consent_by": row.consent_by,
                    "status": _("unchanged") if row.unchanged else _("new"),
                })
    return rows, report


def apply_contracts(user, rows: list[ContractRow], report: ContractImportReport, *, origin=None,
                    progress: Callable[..., None] | None = None) -> ContractImportReport:
    """Sign every new row in one transaction, in bulk; a contract signed meanwhile saves nothing."""
    if not report.ok:
        return report
    new = [row for row in rows if not row.unchanged]
    try:
        with transaction.atomic():
            written = 0
            for batch in _chunks(new):
                _sign_batch(user, batch, origin)
                written += len(batch)
                if progress:
                    progress(written, len(new), phase="save")
    except IntegrityError:
        report.errors = [_("A resident of the file was signed while it was being imported; nothing was saved. "
                           "Check the file again.")]
    return report


def _sign_batch(user, batch: list[ContractRow], origin):
    """The writes of ``services_care.contract_sign`` for a batch of rows, a few queries in all."""
    by = user if user.is_authenticated else None
    contracts = [
        Contract(resident=row.resident, team=row.team, clinic_id=row.team.clinic_id, start=row.start,
                 end=one_year_from(row.start), consent=True, consent_by=row.consent_by.strip(), signed_by=by)
        for row in batch
    ]
    Contract.objects.bulk_create(contracts)
    Link = Contract.packages.through
    Link.objects.bulk_create([Link(contract_id=contract.pk, servicepackage_id=package.pk)
                              for contract, row in zip(contracts, batch, strict=True) for package in row.packages])
    ContractEvent.objects.bulk_create([ContractEvent(contract=contract, kind=ContractEvent.Kind.SIGNED,
                                                     on=contract.start, by=by) for contract in contracts])
    paths = {row.team.clinic_id: row.team.clinic.region.path for row in batch}
    audit.record_many(user, audit.Action.CREATE, contracts, origin=origin,
                      region_path_of=lambda contract: paths[contract.clinic_id])
    coverage_changed({*paths, *(row.resident.clinic_id for row in batch)})


def import_contracts(user, clinic, content: bytes, *, commit: bool, origin=None, today=None,
                     progress=None) -> ContractImportReport:
    """Check the file; with ``commit`` and no error, sign every new row. The worker job calls this."""
    started = time.perf_counter()
    rows, report = plan_contracts(user, clinic, content, today=today, progress=progress)
    if commit:
        apply_contracts(user, rows, report, origin=origin, progress=progress)
    report.seconds = time.perf_counter() - started
    return report


def template_xlsx() -> bytes:
    """An empty sheet with the header row; the ID column is formatted as text."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Contracts")[:31])
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, [zh for zh, _en, _a in COLUMNS], head)
    sheet.set_column(0, len(COLUMNS) - 1, 20, text)
    book.close()
    return out.getvalue()
