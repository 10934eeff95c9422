"""The yearly summary and self-evaluation (年度总结自评): prefilled figures, editing, submission by
the deadline (late allowed and flagged), the commission's submitted / not submitted list, scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegionFactory, user_with_role
from tests.support import test_reports_fixtures
from tests.support.test_reports_fixtures import client_for, expected, pdf_text_and_fonts
from yilian.accounts.models import Membership
from yilian.support.models import Visit, YearlyReport

TEXT = {"summary": "全年派出专家下沉服务。", "achievements": "开设专家门诊。", "problems": "人手不足。",
        "plans": "增加儿科专家。", "self_score": "88"}

city = test_reports_fixtures.city  # the shared fixture


def _open(client, city, institution):
    return client.post(reverse("yearly-open"), {"programme": city["programme"].pk, "institution": institution.pk})


@pytest.fixture
def h1_report(city):
    client = client_for(city["coordinator"])
    response = _open(client, city, city["hospitals"][0])
    report = YearlyReport.objects.get()
    assert response["Location"] == reverse("yearly-detail", args=[report.pk])
    return client, report


def test_report_is_prefilled_with_the_years_figures(city, h1_report):
    _client, report = h1_report
    h1 = city["hospitals"][0]
    want = expected(Visit.objects.filter(pairing__hospital=h1, date__year=2026))
    total = report.figures["total"]
    for key in ("visits", "confirmed", "doctors", "items", "counts"):
        assert total[key] == want[key], key
    assert want["visits"] > 10  # October's ledger and the November visit
    assert {c["name"] for c in report.figures["clinics"]} == {"东山社区卫生服务中心", "西湖社区卫生服务中心"}
    assert sum(m["visits"] for m in report.figures["months"]) == want["visits"]
    # opening again returns the same report
    _open(client_for(city["coordinator"]), city, h1)
    assert YearlyReport.objects.count() == 1


def test_edit_then_submit_locks_the_report(city, h1_report):
    client, report = h1_report
    url = reverse("yearly-detail", args=[report.pk])
    assert client.post(url, {**TEXT, "self_score": "101"}).status_code == 200  # form shown again
    assert YearlyReport.objects.get().self_score is None
    client.post(url, TEXT)
    report.refresh_from_db()
    assert (report.summary, report.self_score, report.status) == (TEXT["summary"], 88, "draft")
    client.post(reverse("yearly-submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_by == city["coordinator"] and not report.is_late
    page = client.post(url, {**TEXT, "summary": "改了"}, follow=True).content.decode()
    assert "can no longer be changed" in page
    assert YearlyReport.objects.get().summary == TEXT["summary"]
    submitted_at = report.submitted_at
    client.post(reverse("yearly-submit", args=[report.pk]))  # a retried submission changes nothing
    assert YearlyReport.objects.get().submitted_at == submitted_at


def test_submission_needs_a_summary_and_a_score(city, h1_report):
    client, report = h1_report
    page = client.post(reverse("yearly-submit", args=[report.pk]), follow=True).content.decode()
    assert "Write the summary" in page and "self-evaluation score" in page
    assert YearlyReport.objects.get().status == "draft"


def test_late_submission_is_accepted_and_flagged(city, h1_report):
    client, report = h1_report
    programme = city["programme"]
    programme.yearly_report_due = timezone.localdate() - timedelta(days=3)
    programme.save()
    client.post(reverse("yearly-detail", args=[report.pk]), TEXT)
    client.post(reverse("yearly-submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.is_submitted and report.is_late
    status = client_for(city["supervisor"]).get(reverse("yearly-status", args=[programme.pk])).content.decode()
    assert 'id="count-late">1<' in status and "3 days overdue" in status


def test_commission_sees_who_has_and_has_not_submitted(city, h1_report):
    client, report = h1_report
    client.post(reverse("yearly-detail", args=[report.pk]), TEXT)
    client.post(reverse("yearly-submit", args=[report.pk]))
    staff = client_for(city["clinic_staff"])
    _open(staff, city, city["clinics"][1])  # a draft, not submitted
    programme = city["programme"]
    programme.yearly_report_due = timezone.localdate() + timedelta(days=7)
    programme.save()
    supervisor = client_for(city["supervisor"])
    page = supervisor.get(reverse("yearly-status", args=[programme.pk])).content.decode()
    participants = [*city["hospitals"], *city["clinics"]]
    for institution in participants:
        assert f'data-institution="{institution.pk}"' in page
    assert 'id="count-submitted">1 / 5<' in page and "7 days left" in page
    h1, h2 = city["hospitals"]
    assert f'data-institution="{h1.pk}" class="submitted"' in page
    assert f'data-institution="{h2.pk}" class="missing"' in page
    listing = supervisor.get(reverse("yearly-list")).content.decode()
    assert "1 / 5" in listing and reverse("yearly-status", args=[programme.pk]) in listing
    # the supervisor reads the submitted report but cannot edit it, nor start one
    detail = supervisor.get(reverse("yearly-detail", args=[report.pk])).content.decode()
    assert TEXT["summary"] in detail and 'id="yearly-form"' not in detail
    assert _open(supervisor, city, h2).status_code == 404


def test_reports_of_other_institutions_are_404(city, h1_report):
    _client, report = h1_report
    outsider = client_for(user_with_role(Membership.Role.SUPERVISOR, RegionFactory()))
    for user in (city["other_coordinator"],):
        client = client_for(user)
        assert client.get(reverse("yearly-detail", args=[report.pk])).status_code == 404
        assert client.get(reverse("yearly-pdf", args=[report.pk])).status_code == 404
        assert client.post(reverse("yearly-submit", args=[report.pk])).status_code == 404
        assert client.post(reverse("yearly-detail", args=[report.pk]), TEXT).status_code == 404
    assert outsider.get(reverse("yearly-detail", args=[report.pk])).status_code == 404
    assert outsider.get(reverse("yearly-status", args=[city["programme"].pk])).status_code == 404
    # nor can a coordinator open a report in another hospital's name
    assert _open(client_for(city["other_coordinator"]), city, city["hospitals"][0]).status_code == 404
    assert YearlyReport.objects.get().summary == ""


def test_yearly_pdf(city, h1_report):
    client, report = h1_report
    client.post(reverse("yearly-detail", args=[report.pk]), TEXT)
    response = client.get(reverse("yearly-pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    text, fonts = pdf_text_and_fonts(response.content)
    assert "第一人民医院" in text and TEXT["plans"] in text and "东山社区卫生服务中心" in text
    assert str(report.figures["total"]["visits"]) in text
    assert any("CJK" in f for f in fonts)
