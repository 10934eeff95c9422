"""Bulk import of institutions from Excel (django-import-export), all rows or none.

The workbook's first sheet has a header row; columns may be named in Chinese or English.
Rows are matched by institution name, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import tablib
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from yilian.core.scoping import CHANGE, VIEW

from .models import Institution, Region

# column key → (Chinese header, English header, model attribute)
COLUMNS = [
    ("名称", "name", "name"),
    ("简称", "short name", "short_name"),
    ("类别", "kind", "kind"),
    ("上级机构", "parent institution", "parent"),
    ("所在区域", "region", "region"),
    ("地址", "address", "address"),
    ("纬度", "latitude", "latitude"),
    ("经度", "longitude", "longitude"),
    ("服务人口", "population served", "population_served"),
    ("基层行标准", "capability standard", "standard"),
    ("达标年份", "year standard reached", "standard_year"),
    ("电话", "phone", "phone"),
]
REQUIRED = {"name", "kind", "region"}
HEADER_TO_ATTR = {h.lower(): attr for zh, en, attr in COLUMNS for h in (zh, en)}


class ChoiceWidget(widgets.Widget):
    """Accepts a choice's code, its full label, or the Chinese name inside the label's brackets."""

    def __init__(self, choices, blank=None):
        super().__init__()
        self.lookup = {}
        for value, label in choices:
            label = str(label)
            self.lookup[value.lower()] = value
            self.lookup[label.lower()] = value
            if "(" in label:
                self.lookup[label.split("(")[-1].rstrip(")").lower()] = value
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().lower()
        if not text:
            return self.blank
        if text not in self.lookup:
            raise ValueError(_("“%(value)s” is not a known value.") % {"value": value})
        return self.lookup[text]


class ScopedNameWidget(widgets.ForeignKeyWidget):
    """Finds a related row by name among those the importing user may use."""

    def __init__(self, model, queryset):
        super().__init__(model, field="name")
        self._queryset = queryset

    def get_queryset(self, value, row, *args, **kwargs):
        return self._queryset

    def clean(self, value, row=None, **kwargs):
        if not str(value or "").strip():
            return None
        matches = list(self._queryset.filter(name=str(value).strip())[:2])
        if not matches:
            raise ValueError(_("“%(value)s” was not found among the ones you may use.") % {"value": value})
        if len(matches) > 1:
            raise ValueError(_("“%(value)s” is ambiguous: several have this name.") % {"value": value})
        return matches[0]


def institution_resource(user) -> resources.ModelResource:
    class InstitutionResource(resources.ModelResource):
        kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Institution.Kind.choices))
        standard = fields.Field(
            attribute="standard", column_name="standard",
            widget=ChoiceWidget(Institution.Standard.choices, blank=Institution.Standard.NONE),
        )
        region = fields.Field(
            attribute="region", column_name="region",
            widget=ScopedNameWidget(Region, Region.objects.for_user(user, CHANGE)),
        )
        parent = fields.Field(
            attribute="parent", column_name="parent",
            widget=ScopedNameWidget(Institution, Institution.objects.for_user(user, VIEW)),
        )

        class Meta:
            model = Institution
            fields = [attr for _zh, _en, attr in COLUMNS]
            import_id_fields = ["name"]
            clean_model_instances = True
            skip_unchanged = True
            use_transactions = True

        def get_queryset(self):
            return Institution.objects.for_user(user, CHANGE)

    return InstitutionResource()


@dataclass
class ImportReport:
    errors: list[str] = field(default_factory=list)  # "row 3, 纬度: …"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_workbook(content: bytes) -> tuple[tablib.Dataset | None, list[str]]:
    """The first sheet as a dataset with the model's attribute names as headers, or the header errors."""
    try:
        sheet = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
    except Exception:  # noqa: BLE001 — any unreadable upload gets the same answer
        return None, [_("The file could not be read as an Excel workbook.")]
    headers = [str(h or "").strip() for h in (sheet.headers or [])]
    errors = [
        _("Unknown column “%(column)s”. Expected columns: %(expected)s.")
        % {"column": h, "expected": "、".join(zh for zh, _en, _a in COLUMNS)}
        for h in headers if h and h.lower() not in HEADER_TO_ATTR
    ]
    attrs = [HEADER_TO_ATTR.get(h.lower(), h) for h in headers]
    missing = REQUIRED - set(attrs)
    errors += [
        _("Missing column “%(column)s”.") % {"column": next(zh for zh, _e, a in COLUMNS if a == attr)}
        for attr in sorted(missing)
    ]
    if errors:
        return None, errors
    sheet.headers = attrs
    return sheet, []


def import_institutions(user, content: bytes, *, commit: bool) -> ImportReport:
    """Validate every row; with ``commit`` and no error, save them all in one transaction."""
    dataset, header_errors = read_workbook(content)
    if header_errors:
        return ImportReport(errors=header_errors)
    resource = institution_resource(user)
    result = resource.import_data(dataset, dry_run=True, raise_errors=False, use_transactions=True)
    report = _report(result)
    if commit and report.ok:
        result = resource.import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
        report = _report(result)
    return report


def _label(attr: str) -> str:
    return next((zh for zh, _en, a in COLUMNS if a == attr), attr)


def _report(result) -> ImportReport:
    report = ImportReport()
    for number, errors in result.row_errors():
        report.errors += [_("Row %(row)s: %(error)s") % {"row": number + 1, "error": e.error} for e in errors]
    for invalid in result.invalid_rows:
        for attr, messages in invalid.error_dict.items():
            for message in messages:
                report.errors.append(_("Row %(row)s, %(column)s: %(error)s") % {
                    "row": invalid.number + 1, "column": _label(attr), "error": message})
    for base_error in result.base_errors:
        report.errors.append(str(base_error.error))
    totals = result.totals
    report.new, report.updated, report.unchanged = totals["new"], totals["update"], totals["skip"]
    return report


def template_xlsx() -> bytes:
    """An empty workbook whose first row holds the expected headers, as the importer reads it."""
    dataset = tablib.Dataset(headers=[zh for zh, _en, _a in COLUMNS])
    return dataset.export("xlsx")
