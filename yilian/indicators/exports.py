"""Excel and PDF: the ledgers, the health-education quota check and the annual assessment."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML

from .models_ledgers import HealthEducationActivity

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SKIP = {"id", "recorded_by", "client_key", "photo"}


def ledger_columns(model) -> list:
    """The entry's own fields first, when it was recorded last."""
    fields = [f for f in model._meta.fields if f.name not in SKIP]
    return sorted(fields, key=lambda f: f.name == "created_at")


def _cell(obj, field):
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    value = getattr(obj, field.name)
    if field.is_relation:
        return str(value) if value is not None else ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value if value is not None else ""


def _sheet(rows_of_cells, heads, title) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "border": 1})
    for col, head in enumerate(heads):
        sheet.write(0, col, str(head), bold)
        sheet.set_column(col, col, 16)
    for r, cells in enumerate(rows_of_cells, start=1):
        for c, value in enumerate(cells):
            sheet.write(r, c, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def ledger_xlsx(model, rows) -> bytes:
    columns = ledger_columns(model)
    heads = [str(f.verbose_name) for f in columns]
    return _sheet(([_cell(obj, f) for f in columns] for obj in rows.iterator()), heads,
                  str(model._meta.verbose_name_plural))


# --------------------------------------------------------------------------------- health-education quotas

K = HealthEducationActivity.Kind


def quota_rows(clinics, activities, as_of) -> list[dict]:
    """Per clinic: months with a lecture, leaflet and video kinds, boards updated every month so far."""
    months = set(range(1, as_of.month + 1))
    lecture_months, leaflets, videos = defaultdict(set), defaultdict(set), defaultdict(set)
    boards = defaultdict(lambda: defaultdict(set))
    attendance = defaultdict(int)
    for a in activities.values("institution_id", "kind", "material", "date", "attendance"):
        pk = a["institution_id"]
        attendance[pk] += a["attendance"]
        if a["kind"] in (K.LECTURE, K.CONSULTATION):
            lecture_months[pk].add(a["date"].month)
        elif a["kind"] == K.LEAFLET:
            leaflets[pk].add(a["material"])
        elif a["kind"] == K.VIDEO:
            videos[pk].add(a["material"])
        elif a["kind"] == K.BOARD:
            boards[pk][a["material"]].add(a["date"].month)
    need_leaflets, need_videos = -(-12 * as_of.month // 12), -(-6 * as_of.month // 12)
    rows = []
    for clinic in clinics:
        pk = clinic.pk
        full_boards = sum(1 for m in boards[pk].values() if months <= m)
        row = {"clinic": clinic, "lecture_months": len(lecture_months[pk] & months), "months": len(months),
               "leaflets": len(leaflets[pk]), "need_leaflets": need_leaflets, "videos": len(videos[pk]),
               "need_videos": need_videos, "boards": full_boards, "attendance": attendance[pk]}
        row["ok_lectures"] = row["lecture_months"] >= row["months"]
        row["ok_leaflets"] = row["leaflets"] >= need_leaflets
        row["ok_videos"] = row["videos"] >= need_videos
        row["ok_boards"] = full_boards >= 2
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------- assessment


def _fmt(value):
    return "" if value is None else value


def assessment_table(result) -> tuple[list, list]:
    heads = [_("institution or district"), _("score")] + [i.name_zh for i, _t in result.indicators]
    rows = []
    for kind, subjects in ((_("district"), result.districts), (_("institution"), result.institutions)):
        for s in subjects:
            cells = [f"{kind}: {s.obj}", _fmt(s.score)]
            for indicator, _target in result.indicators:
                part = s.parts.get(indicator.pk)
                cells.append("" if part is None or part.value is None else part.value)
            rows.append(cells)
    return heads, rows


def assessment_xlsx(result) -> bytes:
    heads, rows = assessment_table(result)
    return _sheet(rows, heads, _("Assessment %(year)s") % {"year": result.year})


def assessment_pdf(result) -> bytes:
    html = render_to_string("indicators/assessment_pdf.html", {"result": result})
    return HTML(string=html).write_pdf()
