"""The assistance ledger (帮扶工作台账) of a pairing: selectors, totals and the Excel export.

The page lists visits (a page at a time, work items prefetched); the totals per kind are one
aggregate query over the same filters; the export writes one row per work item.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import xlsxwriter
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from yilian.network.models import Pairing

from .models import Doctor, Visit, WorkItem


@dataclass
class LedgerFilters:
    date_from: date | None = None
    date_to: date | None = None
    doctor: Doctor | None = None
    kind: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, params, doctors) -> LedgerFilters:
        """Read the filters from a query string; what does not parse (or is not visible) is ignored."""
        doctor_id = params.get("doctor", "")
        return cls(
            date_from=_date(params.get("from")),
            date_to=_date(params.get("to")),
            doctor=doctors.filter(pk=int(doctor_id)).first() if doctor_id.isdigit() else None,
            kind=params.get("kind", "") if params.get("kind") in WorkItem.Kind.values else "",
            status=params.get("status", "") if params.get("status") in Visit.Status.values else "",
        )


def _date(raw):
    try:
        return parse_date(raw or "")
    except ValueError:
        return None


def _visit_q(filters: LedgerFilters, prefix: str = "") -> Q:
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{prefix}date__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{prefix}date__lte": filters.date_to})
    if filters.doctor:
        q &= Q(**{f"{prefix}doctor": filters.doctor})
    if filters.status:
        q &= Q(**{f"{prefix}status": filters.status})
    return q


def ledger_visits(user, pairing: Pairing, filters: LedgerFilters):
    """The pairing's visits under the filters, newest first, with the work items of the chosen kind."""
    items = WorkItem.objects.order_by("created_at", "pk")
    visits = (Visit.objects.for_user(user).filter(pairing=pairing).filter(_visit_q(filters))
              .select_related("doctor", "confirmed_by").order_by("-date", "doctor__name", "pk"))
    if filters.kind:
        items = items.filter(kind=filters.kind)
        # EXISTS rather than a join + DISTINCT: the count and the page stay index lookups
        visits = visits.filter(Exists(WorkItem.objects.filter(visit=OuterRef("pk"), kind=filters.kind)))
    return visits.prefetch_related(Prefetch("work_items", queryset=items))


def ledger_items(user, pairing: Pairing, filters: LedgerFilters):
    """One row per work item (the export's rows)."""
    items = (WorkItem.objects.filter(visit__in=Visit.objects.for_user(user).filter(pairing=pairing))
             .filter(_visit_q(filters, "visit__"))
             .select_related("visit__doctor", "visit__confirmed_by", "visit__pairing__clinic")
             .order_by("visit__date", "visit__doctor__name", "visit_id", "created_at", "pk"))
    return items.filter(kind=filters.kind) if filters.kind else items


def ledger_totals(user, pairing: Pairing, filters: LedgerFilters) -> list[dict]:
    """Per kind: entries and the sum of counts, in the order of WorkItem.Kind (one query)."""
    rows = (ledger_items(user, pairing, filters).order_by().values("kind")
            .annotate(entries=Count("pk"), total=Sum("count")))
    by_kind = {r["kind"]: r for r in rows}
    return [{"kind": kind, "label": label, "entries": by_kind[kind]["entries"], "total": by_kind[kind]["total"]}
            for kind, label in WorkItem.Kind.choices if kind in by_kind]


# ------------------------------------------------------------------------------ export

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_headers() -> list[str]:
    return [_("Visit date"), _("Doctor"), _("Title"), _("Department"), _("Clinic"), _("Kind of work"), _("Number"),
            _("Topic"), _("Checked in"), _("Checked out"), _("Status"), _("Reviewed by"), _("Reviewed at"),
            _("Clinic's comment")]


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _export_row(item: WorkItem | None, visit: Visit) -> list:
    doctor = visit.doctor
    reviewer = visit.confirmed_by
    return [
        visit.date, doctor.name, doctor.get_title_display(), doctor.department, visit.pairing.clinic.display_name,
        item.get_kind_display() if item else "", item.count if item else None, item.topic if item else "",
        _local(visit.check_in_at), _local(visit.check_out_at), visit.get_status_display(),
        (reviewer.get_full_name() or reviewer.username) if reviewer else "", _local(visit.confirmed_at),
        visit.clinic_comment,
    ]


def ledger_xlsx(user, pairing: Pairing, filters: LedgerFilters) -> bytes:
    """The ledger as a workbook: one row per work item (or per visit without any), then the totals per kind."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    base = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 11}
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 16, "font_name": "方正小标宋简体"}),
        "head": book.add_format({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"}),
        "cell": book.add_format(base),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
        "time": book.add_format({**base, "num_format": "yyyy-mm-dd hh:mm"}),
    }
    sheet = book.add_worksheet(_("Ledger")[:31])
    for col, width in enumerate([12, 10, 14, 12, 24, 30, 8, 30, 17, 17, 14, 14, 17, 30]):
        sheet.set_column(col, col, width)
    sheet.write(0, 0, _("Assistance ledger: %(pairing)s") % {"pairing": pairing}, fmt["title"])
    sheet.write_row(1, 0, export_headers(), fmt["head"])
    row = 2
    visits = (ledger_visits(user, pairing, filters).select_related("pairing__clinic")
              .order_by("date", "doctor__name", "pk"))
    for visit in visits.iterator(chunk_size=1000):
        # A day without logged work still counts as a day of presence: it gets a row with no kind.
        for item in list(visit.work_items.all()) or [None]:
            _write_row(sheet, row, _export_row(item, visit), fmt)
            row += 1
    _write_totals(book, user, pairing, filters, fmt)
    book.close()
    return out.getvalue()


def _write_row(sheet, row: int, values: list, fmt):
    for col, value in enumerate(values):
        if isinstance(value, date) and not hasattr(value, "hour"):
            sheet.write_datetime(row, col, value, fmt["date"])
        elif hasattr(value, "hour"):
            sheet.write_datetime(row, col, value, fmt["time"])
        elif value is None:
            sheet.write_blank(row, col, None, fmt["cell"])
        else:
            sheet.write(row, col, value, fmt["cell"])


def _write_totals(book, user, pairing, filters, fmt):
    sheet = book.add_worksheet(_("Totals")[:31])
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 2, 12)
    sheet.write_row(0, 0, [_("Kind of work"), _("Entries"), _("Number")], fmt["head"])
    for row, total in enumerate(ledger_totals(user, pairing, filters), start=1):
        sheet.write_row(row, 0, [str(total["label"]), total["entries"], total["total"]], fmt["cell"])
