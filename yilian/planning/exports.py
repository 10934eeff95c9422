"""Exports of a finished scenario: Excel per community, GeoJSON of uncovered cells and proposed sites,
and the rows of the side-by-side comparison."""

from __future__ import annotations

import io
import json
import re

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_name(title: str) -> str:
    """Excel forbids the characters [ ] : * ? / and backslash in sheet names (街道/乡镇); 31 at most."""
    return re.sub(r"[\[\]:*?/\\]", "·", str(title))[:31]


def scenario_xlsx(scenario) -> bytes:
    r = scenario.results
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    pct = book.add_format({"num_format": "0.0%"})
    whole = book.add_format({"num_format": "#,##0"})
    for level, title in (("community", pgettext("planning", "community")),
                         ("subdistrict", pgettext("planning", "subdistrict")),
                         ("district", pgettext("planning", "district"))):
        sheet = book.add_worksheet(_sheet_name(title))
        sheet.write_row(0, 0, [title, _("People"), _("Within %(min)s minutes") % {
            "min": f"{scenario.threshold_min:g}"}, _("Share covered")], bold)
        for i, row in enumerate(r["levels"][level], start=1):
            sheet.write(i, 0, row["name"])
            sheet.write_number(i, 1, row["people"], whole)
            sheet.write_number(i, 2, row["covered"], whole)
            if row["share"] is not None:
                sheet.write_number(i, 3, row["share"], pct)
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 3, 16)
    sheet = book.add_worksheet(_sheet_name(_("Facilities")))
    sheet.write_row(0, 0, [_("Facility"), _("Kind"), _("Subdistrict"), _("Catchment (people)"),
                           _("30 000–100 000 rule")], bold)
    verdicts = {"below": _("below"), "within": _("within"), "above": _("above")}
    for i, f in enumerate(r["facilities"], start=1):
        sheet.write_row(i, 0, [f["name"], f["kind_label"], f["subdistrict"]])
        sheet.write_number(i, 3, f["catchment"], whole)
        sheet.write(i, 4, verdicts[f["verdict"]])
    sheet.set_column(0, 2, 26)
    sheet = book.add_worksheet(_sheet_name(_("Proposed sites")))
    sheet.write_row(0, 0, [_("Longitude"), _("Latitude"), _("Name")], bold)
    for i, p in enumerate(r.get("proposed") or [], start=1):
        sheet.write_row(i, 0, [p["lon"], p["lat"], p.get("name", "")])
    book.close()
    return buffer.getvalue()


def _collection(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def uncovered_geojson(scenario) -> bytes:
    features = []
    for cell in scenario.results.get("uncovered_cells", []):
        ring = [[lng, lat] for lat, lng in cell["boundary"]]
        features.append({"type": "Feature", "properties": {"h3": cell["cell"], "people": round(cell["people"], 1)},
                         "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}})
    return _collection(features)


def sites_geojson(scenario) -> bytes:
    features = [{"type": "Feature", "properties": {"rank": i, "name": p.get("name", "")},
                 "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]}}
                for i, p in enumerate(scenario.results.get("proposed") or [], start=1)]
    return _collection(features)


def comparison_rows(scenarios) -> list[tuple[str, list]]:
    """(label, [value per scenario]) rows for the side-by-side table."""
    def get(s, *path):
        value = s.results
        for key in path:
            value = (value or {}).get(key) if isinstance(value, dict) else None
        return value

    rows = [
        (_("Area"), [s.region.name for s in scenarios]),
        (_("Walking speed (km/h)"), [s.speed_kmh for s in scenarios]),
        (_("Threshold (minutes)"), [s.threshold_min for s in scenarios]),
        (_("People"), [f"{get(s, 'summary', 'people'):,.0f}" for s in scenarios]),
        (_("Share covered"), [f"{100 * s.covered_share:.1f} %" for s in scenarios]),
        (_("Facilities"), [get(s, "summary", "facilities") for s in scenarios]),
        (_("People far from any road"), [f"{get(s, 'summary', 'far_people'):,.0f}" for s in scenarios]),
        (_("Network islands"), [get(s, "summary", "island_count") or 0 for s in scenarios]),
        (_("Proposed new sites"), [len(get(s, "proposed") or []) for s in scenarios]),
        (_("Share with the proposed sites"), [
            f"{100 * get(s, 'plan', 'share_after'):.1f} %" if get(s, "plan") else "—" for s in scenarios]),
        (_("Subdistricts without a centre"), [len(get(s, "subdistricts_without_centre") or []) for s in scenarios]),
    ]
    return rows
