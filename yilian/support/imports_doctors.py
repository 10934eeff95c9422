"""Bulk import of a hospital's doctor roster from Excel (django-import-export), all rows or none.

The first sheet has a header row: 姓名, 科室, 专业, 职称, 执业证书编码, 电话 (English headers accepted).
Rows are matched by licence number within the hospital, so importing the same file twice changes
nothing. A licence number twice in the file, or already held by a doctor of another hospital, is an
error of that row.
"""

from __future__ import annotations

import io

import tablib
import xlsxwriter
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from yilian.network.imports import ImportReport

from .models import Doctor, Title

# (Chinese header, English header, model attribute)
COLUMNS = [
    ("姓名", "name", "name"),
    ("科室", "department", "department"),
    ("专业", "specialty", "specialty"),
    ("职称", "title", "title"),
    ("执业证书编码", "licence number", "licence_number"),
    ("电话", "phone", "phone"),
]
REQUIRED = {"name", "department", "specialty", "title", "licence_number"}
HEADER_TO_ATTR = {h.lower(): attr for zh, en, attr in COLUMNS for h in (zh, en)}
HEADER_TO_ATTR["license number"] = "licence_number"

# What rosters write in the title column: the grade (初级…), the code, or the usual post names.
TITLE_WORDS = {
    "初级": Title.JUNIOR, "中级": Title.INTERMEDIATE, "副高": Title.ASSOCIATE, "正高": Title.SENIOR,
    "副高级": Title.ASSOCIATE, "正高级": Title.SENIOR,
    "医师": Title.JUNIOR, "住院医师": Title.JUNIOR, "主治医师": Title.INTERMEDIATE,
    "副主任医师": Title.ASSOCIATE, "主任医师": Title.SENIOR,
    **{code: code for code in Title.values},
}


def _label(attr: str) -> str:
    return next((zh for zh, _en, a in COLUMNS if a == attr), attr)


class TextWidget(widgets.CharWidget):
    """Excel stores 13800000000 as a number; read it back as the digits, not as 13800000000.0."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()


class TitleWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if text.lower() in TITLE_WORDS:
            return TITLE_WORDS[text.lower()]
        raise ValueError(_("“%(value)s” is not a title: write 初级, 中级, 副高 or 正高.") % {"value": text})


def doctor_resource(user, hospital) -> resources.ModelResource:
    class DoctorResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
        department = fields.Field(attribute="department", column_name="department", widget=TextWidget())
        specialty = fields.Field(attribute="specialty", column_name="specialty", widget=TextWidget())
        title = fields.Field(attribute="title", column_name="title", widget=TitleWidget())
        licence_number = fields.Field(attribute="licence_number", column_name="licence_number", widget=TextWidget())
        phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())

        class Meta:
            model = Doctor
            fields = [attr for _zh, _en, attr in COLUMNS]
            import_id_fields = ["licence_number"]
            clean_model_instances = True
            skip_unchanged = True
            use_transactions = True

        def get_queryset(self):
            return Doctor.objects.filter(hospital=hospital)

        def import_instance(self, instance, row, **kwargs):
            instance.hospital = hospital
            super().import_instance(instance, row, **kwargs)

        def before_save_instance(self, instance, row, **kwargs):
            instance._history_user = user

    return DoctorResource()


def read_workbook(content: bytes) -> tuple[tablib.Dataset | None, list[str]]:
    """The first sheet with the model's attribute names as headers, or the header errors."""
    try:
        sheet = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
    except Exception:  # noqa: BLE001 — any unreadable upload gets the same answer
        return None, [_("The file could not be read as an Excel workbook.")]
    headers = [str(h or "").strip() for h in (sheet.headers or [])]
    expected = "、".join(zh for zh, _en, _a in COLUMNS)
    errors = [_("Unknown column “%(column)s”. Expected columns: %(expected)s.") % {"column": h, "expected": expected}
              for h in headers if h and h.lower() not in HEADER_TO_ATTR]
    attrs = [HEADER_TO_ATTR.get(h.lower(), h) for h in headers]
    errors += [_("Missing column “%(column)s”.") % {"column": _label(attr)} for attr in sorted(REQUIRED - set(attrs))]
    if errors:
        return None, errors
    sheet.headers = attrs
    while len(sheet) and not any(str(v or "").strip() for v in sheet[-1]):
        del sheet[-1]  # trailing blank rows Excel keeps after deleting data
    return sheet, []


def _licence(value) -> str:
    return TextWidget().clean(value)


def licence_errors(dataset: tablib.Dataset, hospital) -> list[tuple[int, str, str]]:
    """A licence number twice in the file, or held by another hospital's doctor (row = Excel row)."""
    numbers = [_licence(v) for v in dataset["licence_number"]]
    errors, first_row = [], {}
    for index, number in enumerate(numbers):
        row = index + 2  # the header is row 1
        if number and number in first_row:
            errors.append((row, "licence_number", _("%(number)s is already on row %(first)s of this file.") % {
                "number": number, "first": first_row[number]}))
        first_row.setdefault(number, row)
    elsewhere = set(Doctor.objects.filter(licence_number__in=[n for n in numbers if n])
                    .exclude(hospital=hospital).values_list("licence_number", flat=True))
    errors += [
        (index + 2, "licence_number", _("%(number)s is registered to a doctor of another hospital.") % {
            "number": number})
        for index, number in enumerate(numbers) if number in elsewhere
    ]
    return errors


def import_doctors(user, hospital, content: bytes, *, commit: bool) -> ImportReport:
    """Validate every row; with ``commit`` and no error, save them all in one transaction."""
    dataset, header_errors = read_workbook(content)
    if header_errors:
        return ImportReport(errors=header_errors)
    resource = doctor_resource(user, hospital)
    result = resource.import_data(dataset, dry_run=True, raise_errors=False, use_transactions=True)
    own = licence_errors(dataset, hospital)
    flagged = {(row, attr) for row, attr, _message in own}
    # our licence message replaces the model's generic "already exists" for the same cell
    errors = own + [e for e in _row_errors(result) if (e[0], e[1]) not in flagged]
    report = _report(result, errors)
    if commit and report.ok:
        with transaction.atomic():
            result = resource.import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
            report = _report(result, _row_errors(result))
    return report


def _row_errors(result) -> list[tuple[int, str, str]]:
    """(Excel row, attribute or "", message) of every row the dry run refused."""
    errors = [(number + 1, "", str(e.error)) for number, row_errors in result.row_errors() for e in row_errors]
    errors += [(invalid.number + 1, attr, message)
               for invalid in result.invalid_rows
               for attr, messages in invalid.error_dict.items() for message in messages]
    return errors


def _report(result, errors) -> ImportReport:
    report = ImportReport()
    for row, attr, message in sorted(errors, key=lambda e: e[0]):
        if attr and attr != "__all__":
            report.errors.append(_("Row %(row)s, %(column)s: %(error)s") % {
                "row": row, "column": _label(attr), "error": message})
        else:
            report.errors.append(_("Row %(row)s: %(error)s") % {"row": row, "error": message})
    report.errors += [str(e.error) for e in result.base_errors]
    totals = result.totals
    report.new, report.updated, report.unchanged = totals["new"], totals["update"], totals["skip"]
    return report


def template_xlsx() -> bytes:
    """An empty roster: the header row on row 1, as the import reads it."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Doctors")[:31])
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})  # licence numbers and phones stay text
    sheet.write_row(0, 0, [zh for zh, _en, _a in COLUMNS], head)
    sheet.set_column(0, len(COLUMNS) - 1, 18, text)
    book.close()
    return out.getvalue()
