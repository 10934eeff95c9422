"""The monthly workload report: every figure of the Excel file read back and compared with direct
database counts; the PDF's text and embedded CJK font; scope; direct downloads."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from tests.support import test_reports_fixtures
from tests.support.test_reports_fixtures import OCTOBER, client_for, expected, month_visits, pdf_text_and_fonts
from yilian.support import reports
from yilian.support import services_reports as services
from yilian.support.models import Visit, WorkItem
from yilian.support.synthetic import generate_ledger, workdays

KINDS = WorkItem.Kind.values

city = test_reports_fixtures.city  # the shared fixture


def _build(user, scope, language="en"):
    with translation.override(language):
        report = services.monthly_report(user, scope, *OCTOBER)
        xlsx = reports.monthly_xlsx(report, prepared_on=date(2026, 11, 2))
    return report, openpyxl.load_workbook(io.BytesIO(xlsx))


def _figures_of_row(cells: list) -> dict:
    """Summary row → figures, in the column order of reports.summary_heads() and the kinds after it."""
    days, doctors, visits, confirmed, pending, disputed = cells[3:9]
    kinds = cells[9:]
    return {"days": days, "doctors": doctors, "visits": visits, "confirmed": confirmed, "pending": pending,
            "disputed": disputed, "items": dict(zip(KINDS, kinds[0::2], strict=True)),
            "counts": dict(zip(KINDS, kinds[1::2], strict=True))}


def _summary_rows(sheet) -> dict:
    rows = {}
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if isinstance(row[0], int):
            rows[row[1]] = _figures_of_row(list(row))
        elif row[0] == "Total":
            rows["Total"] = _figures_of_row(list(row))
    return rows


def _clinic_sheet_figures(sheet) -> dict:
    """The overview values (row 7) and the work table (label → times, number) of a clinic sheet."""
    values = [c.value for c in sheet[7]]
    overview = dict(zip(["days", "doctors", "visits", "confirmed", "pending", "disputed"], values[0:12:2], strict=True))
    work = {}
    for row in sheet.iter_rows(min_row=11, max_row=10 + len(KINDS), values_only=True):
        work[row[1]] = (row[5], row[6])
    return {**overview, "work": work}


def test_city_report_excel_matches_the_database(city):
    report, book = _build(city["supervisor"], services.ReportScope(region=city["city"]))
    assert book.sheetnames[0] == "Summary"
    summary = book["Summary"]
    assert summary["A1"].value == "October 2026 monthly workload report of counterpart support"
    assert "Reporting unit: 测试市" in summary["A2"].value
    rows = _summary_rows(summary)
    assert set(rows) == {c.name for c in city["clinics"]} | {"Total"}
    for clinic in city["clinics"]:
        want = expected(month_visits(pairing__clinic=clinic))
        got = rows[clinic.name]
        for key in ("visits", "confirmed", "pending", "disputed", "doctors", "days", "items", "counts"):
            assert got[key] == want[key], (clinic.name, key)
    everything = expected(month_visits(pairing__in=city["pairings"]))
    total = rows["Total"]
    for key in ("visits", "confirmed", "pending", "disputed", "doctors", "items", "counts"):
        assert total[key] == everything[key], key
    assert total["days"] == sum(rows[c.name]["days"] for c in city["clinics"])
    assert everything["visits"] >= 20 and everything["disputed"] == 1  # the data set is not trivial


def test_each_clinic_sheet_matches_the_database(city):
    report, book = _build(city["supervisor"], services.ReportScope(region=city["city"]))
    assert len(book.sheetnames) == 1 + len(city["clinics"])
    for clinic, name in zip(report.clinics, book.sheetnames[1:], strict=True):
        sheet = book[name]
        assert clinic.name in sheet["A2"].value
        got = _clinic_sheet_figures(sheet)
        want = expected(month_visits(pairing__clinic_id=clinic.clinic_id))
        for key in ("days", "doctors", "visits", "confirmed", "pending", "disputed"):
            assert got[key] == want[key], (name, key)
        for kind, label in zip(KINDS, got["work"], strict=True):
            assert got["work"][label] == (want["items"][kind], want["counts"][kind]), (name, kind)
        doctor_rows = [r for r in sheet.iter_rows(min_row=24, values_only=True) if isinstance(r[0], int)]
        assert sum(r[5] for r in doctor_rows) == want["visits"]  # days served add up to the visits


def test_hospital_report_counts_only_its_own_visits(city):
    h1 = city["hospitals"][0]
    report, book = _build(city["coordinator"], services.ReportScope(institution=h1))
    rows = _summary_rows(book["Summary"])
    assert set(rows) == {"东山社区卫生服务中心", "西湖社区卫生服务中心", "Total"}
    shared = city["clinics"][0]  # also supported by the second hospital: its visits are not counted here
    assert rows[shared.name]["visits"] == month_visits(pairing__clinic=shared, pairing__hospital=h1).count()
    assert rows["Total"]["visits"] == month_visits(pairing__hospital=h1).count()
    assert rows["Total"]["visits"] < month_visits(pairing__in=city["pairings"]).count()


def test_chinese_title_and_clinic_without_visits(city):
    quiet = city["pairings"][1]
    Visit.objects.filter(pairing=quiet).delete()
    report, book = _build(city["supervisor"], services.ReportScope(region=city["city"]), language="zh-hans")
    assert book.worksheets[0]["A1"].value.startswith("2026年10月")
    row = next(c for c in report.clinics if c.clinic_id == quiet.clinic_id)
    assert row.tally.visits == 0 and row.doctors == []  # still listed, with zeros


def test_pdf_has_the_clinics_totals_and_an_embedded_cjk_font(city):
    with translation.override("en"):
        report = services.monthly_report(city["supervisor"], services.ReportScope(region=city["city"]), *OCTOBER)
        content = reports.monthly_pdf(report, prepared_on=date(2026, 11, 2))
    assert content.startswith(b"%PDF-")
    text, fonts = pdf_text_and_fonts(content)
    for clinic in city["clinics"]:
        assert clinic.name in text
    assert "October 2026 monthly workload report of counterpart support" in text
    assert f"Total {report.total.presence_days} {report.total.doctors} {report.total.visits}" in " ".join(text.split())
    assert any("CJK" in name for name in fonts), fonts


def test_direct_download_is_scoped(city):
    h1, h2 = city["hospitals"]
    client = client_for(city["coordinator"])
    url = reverse("report-monthly-file", args=["xlsx"])
    response = client.get(url, {"scope": f"institution:{h1.pk}", "month": "2026-10"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert _summary_rows(book["Summary"])["Total"]["visits"] == month_visits(pairing__hospital=h1).count()
    assert client.get(url, {"scope": f"institution:{h2.pk}", "month": "2026-10"}).status_code == 404
    assert client.get(url, {"scope": f"region:{city['city'].pk}", "month": "2026-10"}).status_code == 404
    doc = reverse("report-monthly-file", args=["doc"])
    assert client.get(doc, {"scope": f"institution:{h1.pk}", "month": "2026-10"}).status_code == 404
    bad = client.get(url, {"scope": f"institution:{h1.pk}", "month": "2026-13"}, follow=True)
    assert "Give the month as YYYY-MM" in bad.content.decode()


def test_report_page_lists_the_scopes_of_the_role(city):
    page = client_for(city["supervisor"]).get(reverse("report-monthly")).content.decode()
    assert f'value="region:{city["city"].pk}"' in page and f'value="region:{city["district"].pk}"' in page
    staff_page = client_for(city["clinic_staff"]).get(reverse("report-monthly")).content.decode()
    assert f'value="institution:{city["clinics"][1].pk}"' in staff_page
    assert "region:" not in staff_page and f'institution:{city["hospitals"][0].pk}"' not in staff_page


def test_month_bounds():
    assert services.month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    for bad in ("", "2026-00", "26-1", "2999-01"):
        with pytest.raises(ValidationError) as error:
            services.month_bounds(bad)
        assert "month" in error.value.message_dict
    assert services.previous_month(date(2026, 1, 15)) == "2025-12"
    assert services.previous_month(date(2026, 11, 23)) == "2026-10"


def test_synthetic_ledger_is_deterministic_on_working_days(city):
    visits = list(month_visits(pairing__in=city["pairings"]).values_list("doctor_id", "date"))
    allowed = set(workdays(*OCTOBER))
    assert all(day in allowed for _doctor, day in visits)
    assert date(2026, 10, 1) not in allowed  # 国庆节
    assert len(visits) == len(set(visits))  # one place a day
    again = generate_ledger(city["agreements"], date(2026, 9, 1), date(2026, 9, 30), seed=7,
                            visits_per_clinic_month=5, items_per_visit=3)
    assert again["visits"] == Visit.objects.filter(date__month=9).count() > 0


def test_pdf_laid_out_in_parallel_parts_equals_one_document(city, monkeypatch):
    """A city's PDF is laid out by two processes and bound: same pages, numbered across, outline kept."""
    monkeypatch.setattr(reports, "PARALLEL_MIN_CLINICS", 2)  # the small city is enough to split
    with translation.override("en"):
        report = services.monthly_report(city["supervisor"], services.ReportScope(region=city["city"]), *OCTOBER)
        single = reports.monthly_pdf(report, prepared_on=date(2026, 11, 2), processes=1)
        bound = reports.monthly_pdf(report, prepared_on=date(2026, 11, 2), processes=2)
    one, _fonts = pdf_text_and_fonts(single)
    two, fonts = pdf_text_and_fonts(bound)
    reader = PdfReader(io.BytesIO(bound))
    pages = len(reader.pages)
    assert pages == len(PdfReader(io.BytesIO(single)).pages) == 1 + len(city["clinics"])
    assert [f"Page {n} / {pages}" in page.extract_text() for n, page in enumerate(reader.pages, 1)] == [True] * pages
    # the same text, page numbers included (extraction may order the footer's words differently)
    assert sorted("".join(one.split())) == sorted("".join(two.split()))
    assert [item.title for item in reader.outline] == ["Summary", *[c.name for c in report.clinics]]
    assert any("CJK" in name for name in fonts)
