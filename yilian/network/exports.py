"""Excel exports in the layouts officials already use (annex 1 and annex 2 of the Guiyang notice)."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils.translation import gettext as _

from .selectors import DistrictBlock, row_spans

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _formats(book):
    base = {"border": 1, "valign": "vcenter", "text_wrap": True, "font_name": "宋体", "font_size": 11}
    return {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "font_name": "方正小标宋简体"}),
        "head": book.add_format({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"}),
        "cell": book.add_format(base),
        "center": book.add_format({**base, "align": "center"}),
        "note": book.add_format({"italic": True, "font_size": 9, "font_color": "#666666"}),
    }


def _merge_or_write(sheet, first, last, col, value, fmt):
    if last > first:
        sheet.merge_range(first, col, last, col, value, fmt)
    else:
        sheet.write(first, col, value, fmt)


def responsibility_xlsx(blocks: list[DistrictBlock], *, title: str, note: str = "") -> bytes:
    """Annex 1: 序号 | 区(市、县) | 申报建设单位 | 提供服务的基层医疗机构 | 帮扶责任单位, merged like the original."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    fmt = _formats(book)
    sheet = book.add_worksheet(_("Responsibility table")[:31])
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 36)
    sheet.set_column(3, 3, 34)
    sheet.set_column(4, 4, 18)
    sheet.merge_range(0, 0, 0, 4, title, fmt["title"])
    sheet.set_row(0, 30)
    headers = [_("No."), _("District (city, county)"), _("Applying pilot community"),
               _("Grassroots institution serving it"), _("Assisting hospital")]
    sheet.write_row(1, 0, headers, fmt["head"])
    row = 2
    for number, block in enumerate(blocks, start=1):
        first = row
        clinics = [r.clinics_text for r in block.rows]
        hospitals = [r.hospitals_text or _("(unpaired)") for r in block.rows]
        for i, table_row in enumerate(block.rows):
            sheet.write(row + i, 2, f"{table_row.pilot.sequence or i + 1}. {table_row.pilot.name}", fmt["cell"])
        for col, values in ((3, clinics), (4, hospitals)):
            for i, span in enumerate(row_spans(values)):
                if span:
                    _merge_or_write(sheet, row + i, row + i + span - 1, col, values[i], fmt["cell"])
        row += len(block.rows)
        _merge_or_write(sheet, first, row - 1, 0, number, fmt["center"])
        _merge_or_write(sheet, first, row - 1, 1, block.name, fmt["center"])
    if note:
        sheet.write(row + 1, 0, note, fmt["note"])
    book.close()
    return out.getvalue()


def table_xlsx(sheet_name: str, title: str, headers: list[str], rows: list[list]) -> bytes:
    """A plain titled table, e.g. annex 2 (帮扶医院联络员信息表) or the institution list."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    fmt = _formats(book)
    sheet = book.add_worksheet(sheet_name[:31])
    sheet.merge_range(0, 0, 0, max(len(headers) - 1, 1), title, fmt["title"])
    sheet.write_row(1, 0, headers, fmt["head"])
    for i, values in enumerate(rows, start=2):
        sheet.write_row(i, 0, ["" if v is None else v for v in values], fmt["cell"])
    for col, header in enumerate(headers):
        width = max([len(str(header))] + [len(str(r[col] or "")) for r in rows[:200]]) + 4
        sheet.set_column(col, col, min(width * 1.6, 60))
    book.close()
    return out.getvalue()
