"""Excel exports of the dispatch plan (a month grid plus the list of days) and of the service record."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils.translation import gettext as _

from yilian.network.exports import table_xlsx

from .selectors_plan import MonthPlan, ServiceRecord

WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


def _formats(book):
    base = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 10}
    return {
        "title": book.add_format({"bold": True, "font_size": 14, "font_name": "宋体"}),
        "head": book.add_format({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"}),
        "off": book.add_format({**base, "align": "center", "bg_color": "#D9D9D9"}),
        "cell": book.add_format({**base, "align": "center", "text_wrap": True}),
        "left": book.add_format({**base, "text_wrap": True}),
        "note": book.add_format({"font_color": "#A15C00", "font_size": 10}),
    }


def month_plan_xlsx(plan: MonthPlan, *, title: str, row_header: str, cell_text, assignments) -> bytes:
    """Sheet 1: the grid (rows × days, days off shaded). Sheet 2: one line per planned day."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    fmt = _formats(book)
    _grid_sheet(book, fmt, plan, title, row_header, cell_text)
    _list_sheet(book, fmt, assignments)
    book.close()
    return out.getvalue()


def _grid_sheet(book, fmt, plan: MonthPlan, title: str, row_header: str, cell_text):
    sheet = book.add_worksheet(_("Month plan")[:31])
    sheet.write(0, 0, title, fmt["title"])
    sheet.write(1, 0, row_header, fmt["head"])
    sheet.write(2, 0, "", fmt["head"])
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, len(plan.days), 7)
    for col, info in enumerate(plan.days, start=1):
        head = fmt["off"] if not info.workday else fmt["head"]
        sheet.write(1, col, info.day.day, head)
        sheet.write(2, col, info.name or WEEKDAYS[info.day.weekday()], head)
    for r, row in enumerate(plan.rows, start=3):
        sheet.write(r, 0, f"{row.label}\n{row.sublabel}", fmt["left"])
        sheet.set_row(r, 30)
        for col, cell in enumerate(row.cells, start=1):
            text = "\n".join(cell_text(a) for a in cell.assignments)
            sheet.write(r, col, text, fmt["cell"] if cell.info.workday else fmt["off"])
    note_row = len(plan.rows) + 4
    for i, message in enumerate([*plan.calendar_warnings, *map(str, plan.shortfalls)]):
        sheet.write(note_row + i, 0, message, fmt["note"])
    sheet.freeze_panes(3, 1)


def _list_sheet(book, fmt, assignments):
    sheet = book.add_worksheet(_("Days")[:31])
    headers = [_("Date"), _("Doctor"), _("Title"), _("Department"), _("Clinic"), _("Assisting hospital"),
               _("Programme"), _("Note")]
    sheet.write_row(0, 0, headers, fmt["head"])
    for r, a in enumerate(assignments, start=1):
        sheet.write_row(r, 0, [
            a.date.isoformat(), a.doctor.name, a.doctor.get_title_display(), a.doctor.department,
            a.agreement.pairing.clinic.name, a.agreement.pairing.hospital.name, str(a.agreement.programme), a.note,
        ], fmt["left"])
    for col, width in enumerate([12, 10, 16, 14, 30, 24, 30, 20]):
        sheet.set_column(col, col, width)


def service_record_xlsx(records: list[ServiceRecord], years: list[int], *, title: str) -> bytes:
    headers = [_("Doctor"), _("Title"), _("Department"), _("Licence number"), *[str(y) for y in years],
               _("Total days"), _("Required"), _("Completed")]
    rows = [
        [r.doctor.name, r.doctor.get_title_display(), r.doctor.department, r.doctor.licence_number,
         *[r.by_year.get(y, 0) for y in years], r.total, r.required, _("yes") if r.completed else _("no")]
        for r in records
    ]
    return table_xlsx(_("Service record"), title, headers, rows)
