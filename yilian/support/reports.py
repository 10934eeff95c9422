"""Figures from the ledger: the monthly workload report (对口支援工作量月报) and the year's figures.

Aggregation is pure: scoped querysets in, plain dataclasses out, in six GROUP BY queries whatever
the number of clinics, doctors or ledger entries. The writers below turn a report into Excel
(XlsxWriter: a summary sheet, then one sheet per clinic) and PDF (WeasyPrint, CJK font embedded).
Writers translate with the active language: wrap them in ``translation.override``.
"""

from __future__ import annotations

import functools
import gc
import io
import multiprocessing
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import xlsxwriter
from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yilian.network.models import Institution

from .models import Doctor, Title, Visit, WorkItem

KINDS = [k.value for k in WorkItem.Kind]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_CONTENT_TYPE = "application/pdf"

# Short column heads: (the work, what its count counts). Translators: 专家门诊/诊疗人次, 教学查房/参加人次,
# 病例讨论/参加人次, 专题讲座/听课人次, 手术·操作/例数, 义诊/服务人次, 健康教育/受众人次, 远程指导/例数,
# 转诊/人次, 带教徒弟/人数.
KIND_HEADS = {
    WorkItem.Kind.CLINIC_SESSION: (gettext_lazy("Specialist clinics"), gettext_lazy("patients")),
    WorkItem.Kind.TEACHING_ROUND: (gettext_lazy("Teaching rounds"), gettext_lazy("participants")),
    WorkItem.Kind.CASE_DISCUSSION: (gettext_lazy("Case discussions"), gettext_lazy("participants")),
    WorkItem.Kind.LECTURE: (gettext_lazy("Lectures"), gettext_lazy("attendance")),
    WorkItem.Kind.PROCEDURE: (gettext_lazy("Operations / procedures"), gettext_lazy("cases")),
    WorkItem.Kind.FREE_CLINIC: (gettext_lazy("Free clinics"), gettext_lazy("people served")),
    WorkItem.Kind.HEALTH_TALK: (gettext_lazy("Health-education talks"), gettext_lazy("attendance")),
    WorkItem.Kind.REMOTE_GUIDANCE: (gettext_lazy("Remote guidance"), gettext_lazy("cases")),
    WorkItem.Kind.REFERRAL: (gettext_lazy("Referrals arranged"), gettext_lazy("patients")),
    WorkItem.Kind.APPRENTICE: (gettext_lazy("Apprentices taught"), gettext_lazy("people")),
}


# ---------------------------------------------------------------------------- figures


@dataclass
class Tally:
    """The figures of one doctor, one clinic or a whole report."""

    presence_days: int = 0  # days with at least one expert at the clinic (a doctor: days served)
    doctors: int = 0
    visits: int = 0
    confirmed: int = 0  # confirmed by the clinic (受援单位日常考核)
    pending: int = 0  # checked in or out, not yet confirmed
    disputed: int = 0
    items: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))  # ledger entries of each kind
    counts: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))  # patients, attendance … of each kind

    def add_visits(self, status: str, n: int):
        self.visits += n
        if status == Visit.Status.CONFIRMED:
            self.confirmed += n
        elif status == Visit.Status.DISPUTED:
            self.disputed += n
        else:
            self.pending += n

    def add_work(self, kind: str, items: int, total: int):
        self.items[kind] += items
        self.counts[kind] += total

    def kind_rows(self):
        """(kind, label, unit, items, count) for each kind of work, in the order of WorkItem.Kind."""
        return [(k, str(KIND_HEADS[k][0]), str(KIND_HEADS[k][1]), self.items[k], self.counts[k]) for k in KINDS]

    def kind_pairs(self):
        """The kind rows two by two, for a compact two-column table on paper."""
        rows = self.kind_rows()
        return [rows[i:i + 2] for i in range(0, len(rows), 2)]


@dataclass
class DoctorRow:
    doctor_id: int
    name: str
    hospital: str
    department: str
    title: str
    tally: Tally


@dataclass
class ClinicReport:
    clinic_id: int
    name: str
    hospitals: list[str]
    tally: Tally
    doctors: list[DoctorRow]


@dataclass
class PeriodReport:
    start: date
    end: date
    unit: str  # the reporting unit (填报单位): a hospital, a clinic or a region
    clinics: list[ClinicReport]
    total: Tally


def _institution_names(ids) -> dict[int, tuple[str, str, str]]:
    """id → (region path, full name, short name)."""
    rows = Institution.objects.filter(pk__in=ids).values_list("pk", "region__path", "name", "short_name")
    return {pk: (path, name, short or name) for pk, path, name, short in rows}


def _doctor_rows(ids) -> dict[int, DoctorRow]:
    titles = dict(Title.choices)
    rows = Doctor.objects.filter(pk__in=ids).values_list(
        "pk", "name", "hospital__name", "hospital__short_name", "department", "title")
    return {pk: DoctorRow(pk, name, short or hospital, dept, str(titles.get(title, title)), Tally())
            for pk, name, hospital, short, dept, title in rows}


def period_report(visits, pairings, start: date, end: date, *, unit: str) -> PeriodReport:
    """The figures of every clinic of ``pairings`` (zeros included) and of every clinic in ``visits``.

    Both querysets must already be scoped (``for_user``) and filtered to the report's scope.
    """
    visits = visits.filter(date__range=(start, end))
    clinic_hospitals = defaultdict(set)
    for clinic_id, hospital_id in pairings.overlapping(start, end).values_list("clinic_id", "hospital_id"):
        clinic_hospitals[clinic_id].add(hospital_id)
    visit_rows = list(visits.order_by().values_list("pairing__clinic_id", "pairing__hospital_id", "doctor_id", "status")
                      .annotate(n=Count("id")))
    for clinic_id, hospital_id, *_rest in visit_rows:
        clinic_hospitals[clinic_id].add(hospital_id)
    days = dict(visits.order_by().values_list("pairing__clinic_id").annotate(n=Count("date", distinct=True)))
    work = (WorkItem.objects.filter(visit__in=visits.values("pk")).order_by()
            .values_list("visit__pairing__clinic_id", "visit__doctor_id", "kind")
            .annotate(items=Count("id"), total=Sum("count")))
    names = _institution_names(set(clinic_hospitals) | {h for hs in clinic_hospitals.values() for h in hs})
    doctors = _doctor_rows({row[2] for row in visit_rows})
    return _assemble(start, end, unit, clinic_hospitals, names, doctors, visit_rows, days, work)


def _assemble(start, end, unit, clinic_hospitals, names, doctors, visit_rows, days, work) -> PeriodReport:
    per_clinic = {c: Tally(presence_days=days.get(c, 0)) for c in clinic_hospitals}
    per_doctor = {}  # (clinic, doctor) → DoctorRow with its own tally
    total = Tally()
    for clinic_id, _hospital, doctor_id, status, n in visit_rows:
        row = per_doctor.setdefault((clinic_id, doctor_id), _copy_row(doctors[doctor_id]))
        for tally in (per_clinic[clinic_id], row.tally, total):
            tally.add_visits(status, n)
        row.tally.presence_days += n  # one visit per doctor and day
    for clinic_id, doctor_id, kind, items, count in work:
        for tally in (per_clinic[clinic_id], per_doctor[(clinic_id, doctor_id)].tally, total):
            tally.add_work(kind, items, count)
    clinics = []
    for clinic_id in sorted(per_clinic, key=lambda c: names[c][:2]):
        rows = sorted((r for (c, _d), r in per_doctor.items() if c == clinic_id), key=lambda r: (r.hospital, r.name))
        per_clinic[clinic_id].doctors = len(rows)
        hospitals = sorted(names[h][1] for h in clinic_hospitals[clinic_id])
        clinics.append(ClinicReport(clinic_id, names[clinic_id][1], hospitals, per_clinic[clinic_id], rows))
    total.presence_days = sum(c.tally.presence_days for c in clinics)
    total.doctors = len({d for _c, d in per_doctor})
    return PeriodReport(start, end, unit, clinics, total)


def _copy_row(row: DoctorRow) -> DoctorRow:
    return DoctorRow(row.doctor_id, row.name, row.hospital, row.department, row.title, Tally())


def monthly_series(visits, start: date, end: date) -> list[dict]:
    """Visits and confirmed visits of each month: the rhythm of the year, for the yearly summary."""
    rows = (visits.filter(date__range=(start, end)).order_by().annotate(month=TruncMonth("date"))
            .values_list("month", "status").annotate(n=Count("id")))
    months = defaultdict(Tally)
    for month, status, n in rows:
        months[month.strftime("%Y-%m")].add_visits(status, n)
    return [{"month": m, "visits": t.visits, "confirmed": t.confirmed} for m, t in sorted(months.items())]


def figures_dict(report: PeriodReport, months: list[dict]) -> dict:
    """A JSON-ready copy of the figures, stored with the yearly report so that it does not move later."""
    return {
        "start": report.start.isoformat(), "end": report.end.isoformat(), "unit": report.unit,
        "total": asdict(report.total),
        "clinics": [{"name": c.name, "hospitals": c.hospitals, "tally": asdict(c.tally)} for c in report.clinics],
        "months": months,
    }


# ---------------------------------------------------------------------------- labels


def period_label(start: date, end: date) -> str:
    """"2026年11月" / "November 2026" for a calendar month, else "start – end"."""
    last_day = (end + timedelta(days=1)).day == 1
    if start.day == 1 and last_day and (start.year, start.month) == (end.year, end.month):
        return date_format(start, "YEAR_MONTH_FORMAT")
    return f"{date_format(start, 'DATE_FORMAT')} – {date_format(end, 'DATE_FORMAT')}"


def monthly_title(report: PeriodReport) -> str:
    # Translators: the official name of the form is 对口支援工作量月报, e.g. "2026年11月 对口支援工作量月报"
    return _("%(period)s monthly workload report of counterpart support") % {
        "period": period_label(report.start, report.end)}


def summary_heads() -> list[str]:
    """The columns of the summary sheet before the kinds of work (the tests read the file by them)."""
    return [_("No."), _("Supported institution"), _("Assisting hospital"), _("Days of expert presence"),
            _("Doctors"), _("Visits"), _("Confirmed"), _("Awaiting confirmation"), _("Disputed")]


def _tally_cells(t: Tally) -> list[int]:
    cells = [t.presence_days, t.doctors, t.visits, t.confirmed, t.pending, t.disputed]
    for kind in KINDS:
        cells += [t.items[kind], t.counts[kind]]
    return cells


def summary_rows(report: PeriodReport) -> list[list]:
    rows = [[n, c.name, "、".join(c.hospitals), *_tally_cells(c.tally)] for n, c in enumerate(report.clinics, 1)]
    return rows


def doctor_heads() -> list[str]:
    return [_("No."), _("Name"), _("Hospital"), _("Department"), _("Professional title"), _("Days served"),
            _("Confirmed"), *[f"{KIND_HEADS[k][0]} ({KIND_HEADS[k][1]})" for k in KINDS]]


def doctor_cells(n: int, row: DoctorRow) -> list:
    return [n, row.name, row.hospital, row.department, row.title, row.tally.presence_days, row.tally.confirmed,
            *[row.tally.counts[k] for k in KINDS]]


# ---------------------------------------------------------------------------- Excel

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: list[str], reserved: set[str]) -> list[str]:
    """Excel sheet names: 31 characters at most, no []:*?/\\, unique regardless of case."""
    taken = {r.lower() for r in reserved}
    result = []
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name)[:31] or "_"
        candidate, n = base, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"({n})"
            candidate = base[: 31 - len(suffix)] + suffix
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _formats(book) -> dict:
    base = {"border": 1, "valign": "vcenter", "align": "center", "text_wrap": True, "font_name": "宋体",
            "font_size": 10}
    return {
        "title": book.add_format({"bold": True, "font_size": 18, "align": "center", "valign": "vcenter",
                                  "font_name": "方正小标宋简体"}),
        "meta": book.add_format({"font_name": "宋体", "font_size": 11, "valign": "vcenter"}),
        "meta_right": book.add_format({"font_name": "宋体", "font_size": 11, "align": "right", "valign": "vcenter"}),
        "section": book.add_format({"font_name": "黑体", "bold": True, "font_size": 12}),
        "head": book.add_format({**base, "bold": True, "bg_color": "#F2F2F2"}),
        "text": book.add_format({**base, "align": "left"}),
        "num": book.add_format(base),
        "total": book.add_format({**base, "bold": True}),
        "sign": book.add_format({"font_name": "宋体", "font_size": 11}),
    }


def _page_setup(sheet, head_rows: tuple[int, int] | None = None):
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.center_horizontally()
    if head_rows:
        sheet.repeat_rows(*head_rows)
    sheet.set_footer(_("&CPage &P of &N"))


def _header_block(sheet, fmt, title: str, last_col: int, left: str, right: str):
    sheet.merge_range(0, 0, 0, last_col, title, fmt["title"])
    sheet.set_row(0, 36)
    middle = last_col // 2
    sheet.merge_range(1, 0, 1, middle, left, fmt["meta"])
    sheet.merge_range(1, middle + 1, 1, last_col, right, fmt["meta_right"])
    sheet.set_row(1, 22)


def _signature(sheet, fmt, row: int, last_col: int, prepared_on: date):
    text = _("Prepared by: ____________    Checked by: ____________    Head of unit: ____________    "
             "(seal)    Date: %(date)s") % {"date": date_format(prepared_on, "DATE_FORMAT")}
    sheet.merge_range(row, 0, row, last_col, text, fmt["sign"])


def _summary_sheet(book, fmt, report: PeriodReport, prepared_on: date):
    sheet = book.add_worksheet(_("Summary")[:31])
    heads = summary_heads()
    last_col = len(heads) + 2 * len(KINDS) - 1
    _header_block(sheet, fmt, monthly_title(report), last_col,
                  _("Reporting unit: %(unit)s") % {"unit": report.unit},
                  _("Period: %(start)s – %(end)s    Prepared on: %(date)s") % {
                      "start": report.start.isoformat(), "end": report.end.isoformat(),
                      "date": prepared_on.isoformat()})
    for col, head in enumerate(heads):
        sheet.merge_range(2, col, 3, col, head, fmt["head"])
    for i, kind in enumerate(KINDS):
        col = len(heads) + 2 * i
        sheet.merge_range(2, col, 2, col + 1, str(KIND_HEADS[kind][0]), fmt["head"])
        sheet.write(3, col, _("times"), fmt["head"])
        sheet.write(3, col + 1, str(KIND_HEADS[kind][1]), fmt["head"])
    row = 4
    for cells in summary_rows(report):
        sheet.write_number(row, 0, cells[0], fmt["num"])
        sheet.write_string(row, 1, cells[1], fmt["text"])
        sheet.write_string(row, 2, cells[2], fmt["text"])
        sheet.write_row(row, 3, cells[3:], fmt["num"])
        row += 1
    sheet.merge_range(row, 0, row, 2, _("Total"), fmt["total"])
    sheet.write_row(row, 3, _tally_cells(report.total), fmt["total"])
    _signature(sheet, fmt, row + 2, last_col, prepared_on)
    sheet.set_row(2, 30)
    sheet.set_row(3, 30)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 2, 20)
    sheet.set_column(3, last_col, 8)
    sheet.freeze_panes(4, 2)
    _page_setup(sheet, (2, 3))


def _clinic_sheet(book, fmt, name: str, report: PeriodReport, clinic: ClinicReport, prepared_on: date):
    sheet = book.add_worksheet(name)
    heads = doctor_heads()
    last_col = len(heads) - 1
    _header_block(sheet, fmt, monthly_title(report), last_col,
                  _("Supported institution: %(clinic)s") % {"clinic": clinic.name},
                  _("Assisting hospital: %(hospitals)s") % {"hospitals": "、".join(clinic.hospitals) or "—"})
    sheet.merge_range(2, 0, 2, last_col, _("Period: %(start)s – %(end)s    Prepared on: %(date)s") % {
        "start": report.start.isoformat(), "end": report.end.isoformat(), "date": prepared_on.isoformat()},
        fmt["meta"])
    t = clinic.tally
    sheet.write(4, 0, _("1. Overview"), fmt["section"])
    overview = [(_("Days of expert presence"), t.presence_days), (_("Doctors"), t.doctors), (_("Visits"), t.visits),
                (_("Confirmed"), t.confirmed), (_("Awaiting confirmation"), t.pending), (_("Disputed"), t.disputed)]
    for i, (label, value) in enumerate(overview):
        sheet.merge_range(5, 2 * i, 5, 2 * i + 1, label, fmt["head"])
        sheet.merge_range(6, 2 * i, 6, 2 * i + 1, value, fmt["num"])
    sheet.write(8, 0, _("2. Work done"), fmt["section"])
    sheet.write(9, 0, _("No."), fmt["head"])
    sheet.merge_range(9, 1, 9, 4, _("Work"), fmt["head"])
    sheet.write(9, 5, _("Times"), fmt["head"])
    sheet.merge_range(9, 6, 9, 7, _("Number"), fmt["head"])
    for i, (_kind, label, unit, items, count) in enumerate(t.kind_rows()):
        sheet.write(10 + i, 0, i + 1, fmt["num"])
        sheet.merge_range(10 + i, 1, 10 + i, 4, f"{label} ({unit})", fmt["text"])
        sheet.write(10 + i, 5, items, fmt["num"])
        sheet.merge_range(10 + i, 6, 10 + i, 7, count, fmt["num"])
    row = 11 + len(KINDS)
    sheet.write(row, 0, _("3. Experts on duty"), fmt["section"])
    sheet.write_row(row + 1, 0, heads, fmt["head"])
    sheet.set_row(row + 1, 45)
    for n, doctor in enumerate(clinic.doctors, 1):
        cells = doctor_cells(n, doctor)
        sheet.write_row(row + 1 + n, 0, cells[:1], fmt["num"])
        sheet.write_row(row + 1 + n, 1, cells[1:5], fmt["text"])
        sheet.write_row(row + 1 + n, 5, cells[5:], fmt["num"])
    if not clinic.doctors:
        sheet.merge_range(row + 2, 0, row + 2, last_col, _("No expert visited in this period."), fmt["text"])
    _signature(sheet, fmt, row + 3 + max(len(clinic.doctors), 1), last_col, prepared_on)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 4, 11)
    sheet.set_column(5, last_col, 9)
    _page_setup(sheet)


def monthly_xlsx(report: PeriodReport, *, prepared_on: date, progress=None) -> bytes:
    """The summary sheet first, then one sheet per clinic; laid out like the paper form, A4 landscape."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": monthly_title(report), "company": report.unit})
    fmt = _formats(book)
    summary_name = _("Summary")[:31]
    _summary_sheet(book, fmt, report, prepared_on)
    names = sheet_names([c.name for c in report.clinics], {summary_name})
    for i, (name, clinic) in enumerate(zip(names, report.clinics, strict=True)):
        _clinic_sheet(book, fmt, name, report, clinic, prepared_on)
        if progress:
            progress(i + 1, len(report.clinics))
    book.close()
    return out.getvalue()


# ---------------------------------------------------------------------------- PDF

PDF_DOCTOR_COLUMNS = 7
PARALLEL_MIN_CLINICS = 12  # below this a report renders faster in one process than forking


def render_pdf(template: str, context: dict, progress=None) -> bytes:
    """HTML template → PDF with WeasyPrint; fontconfig finds Noto CJK (Debian fonts-noto-cjk) and embeds a subset.

    ``progress(percent, message)`` hears about the two long steps: layout, then writing the file.
    """
    from weasyprint import CSS, HTML

    context = {"page_label": _("Page"), "footer_note": _("Generated by Yilian from the work ledger"),
               "numbered": True, "noted": True, **context}
    html = render_to_string(template, context)
    css = CSS(string=render_to_string("support/reports/print.css", context))
    # WeasyPrint makes a box per cell; pausing the cyclic GC while it works saves about a fifth of the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = HTML(string=html).render(stylesheets=[css])
        if progress:
            progress(75, _("Writing the PDF file (%(n)s pages)…") % {"n": len(document.pages)})
        return document.write_pdf()
    finally:
        if collecting:
            gc.enable()


def _monthly_context(report: PeriodReport, prepared_on: date) -> dict:
    return {
        "report": report, "title": monthly_title(report), "prepared_on": prepared_on,
        "summary_heads": summary_heads(), "kind_heads": [(str(KIND_HEADS[k][0]), str(KIND_HEADS[k][1])) for k in KINDS],
        "rows": summary_rows(report), "total_cells": _tally_cells(report.total),
        # on paper the experts' days only; their work by kind is in the Excel file
        "doctor_heads": doctor_heads()[:PDF_DOCTOR_COLUMNS],
        "clinics": [(c, [doctor_cells(n, d)[:PDF_DOCTOR_COLUMNS] for n, d in enumerate(c.doctors, 1)])
                    for c in report.clinics],
    }


def monthly_pdf(report: PeriodReport, *, prepared_on: date, progress=None, processes: int | None = None) -> bytes:
    """The summary page, then one page per clinic (overview, work by kind, experts), A4 landscape.

    A city's report is laid out in ``processes`` parts at once (default: settings.YILIAN_PDF_PROCESSES)
    and bound into one file: WeasyPrint uses one core, and a city has some forty pages.
    """
    context = _monthly_context(report, prepared_on)
    processes = settings.YILIAN_PDF_PROCESSES if processes is None else processes
    if processes < 2 or len(report.clinics) < PARALLEL_MIN_CLINICS:
        return render_pdf("support/reports/monthly_pdf.html", context, progress)
    return _parallel_pdf(context, processes, progress)


def _parts(context: dict, processes: int) -> list[dict]:
    """Contexts of ``processes`` consecutive parts of similar weight; the first one has the summary."""
    clinics = context["clinics"]
    weights = [3 + len(rows) for _clinic, rows in clinics]
    target = (sum(weights) + len(context["rows"])) / processes
    groups, current, load = [], [], len(context["rows"])  # the summary's rows go to the first part
    for clinic, weight in zip(clinics, weights, strict=True):
        if current and load + weight / 2 > target and len(groups) < processes - 1:
            groups.append(current)
            current, load = [], 0
        current.append(clinic)
        load += weight
    groups.append(current)
    return [{**context, "clinics": group, "clinics_only": n > 0, "numbered": False} for n, group in enumerate(groups)]


def _render_part(args) -> bytes:
    """In a worker process: one part of the report, in the language of the request."""
    context, language = args
    with translation.override(language):
        return render_pdf("support/reports/monthly_pdf.html", context)


@functools.cache
def _load_fonts():
    """Lay out a line of CJK text once in this process, so that forked children inherit loaded fonts."""
    render_pdf("support/reports/page_numbers.html", {"pages": range(1), "noted": True})


def _parallel_pdf(context: dict, processes: int, progress=None) -> bytes:
    _load_fonts()
    parts = _parts(context, processes)
    # fork: the children inherit Django, the templates and the fonts already loaded, and touch no database
    pool = multiprocessing.get_context("fork").Pool(len(parts))
    try:
        rendered = []
        for pdf in pool.imap(_render_part, [(part, translation.get_language()) for part in parts]):
            rendered.append(pdf)
            if progress:
                progress(80 * len(rendered) // len(parts), _("Laying out the PDF…"))
    finally:
        pool.close()
        pool.join()
    return bind_pdfs(rendered)


def bind_pdfs(parts: list[bytes]) -> bytes:
    """Parts → one PDF (outline kept), numbered "Page n / N" across all pages like a single document."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    total = len(writer.pages)
    numbers = PdfReader(io.BytesIO(render_pdf("support/reports/page_numbers.html",
                                              {"pages": range(total), "noted": False})))
    for page, number in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(number)
        page.compress_content_streams()  # merging leaves the page's content uncompressed
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
