"""Ledgers through their pages: entries, a date in the future refused, scope, retries, Excel, quotas."""

import io
from datetime import timedelta

import openpyxl
from django.utils import timezone

from yilian.indicators.models_ledgers import HealthCabin, HealthEducationActivity, StaffTraining, TcmManagement


def _lecture(clinic, day, **extra):
    return {"institution": clinic.pk, "date": day.isoformat(), "kind": "lecture", "topic": "高血压防治",
            "quantity": "0", "attendance": "35", **extra}


def test_clinic_records_a_lecture_and_it_is_listed(client, town):
    client.force_login(town.clinic_staff)
    response = client.post("/indicators/ledgers/health-education/new/", _lecture(town.clinics[0], timezone.localdate()))
    assert response.status_code == 302
    assert HealthEducationActivity.objects.get().recorded_by == town.clinic_staff
    page = client.get("/indicators/ledgers/health-education/").content.decode()
    assert "高血压防治" in page and "35" in page


def test_an_entry_in_the_future_is_refused_with_a_clear_message(client, town):
    client.force_login(town.clinic_staff)
    tomorrow = timezone.localdate() + timedelta(days=1)
    url = "/indicators/ledgers/health-education/new/"
    page = client.post(url, _lecture(town.clinics[0], tomorrow)).content.decode()
    assert f"{tomorrow.isoformat()} is in the future" in page
    assert not HealthEducationActivity.objects.exists()
    page = client.post("/indicators/ledgers/training/new/", {
        "institution": town.clinics[0].pk, "person": "张医生", "kind": "further_study", "host": "市一医",
        "start": tomorrow.isoformat()}).content.decode()
    assert "is in the future" in page and not StaffTraining.objects.exists()


def test_other_rules_of_the_ledgers(client, town):
    client.force_login(town.clinic_staff)
    today = timezone.localdate().isoformat()
    page = client.post("/indicators/ledgers/tcm/new/", {"institution": town.clinics[0].pk, "as_of": today,
                                                          "group": "elderly_65", "eligible": "10", "managed": "12"})
    assert "More people managed" in page.content.decode() and not TcmManagement.objects.exists()
    page = client.post("/indicators/ledgers/health-education/new/", {**_lecture(town.clinics[0], timezone.localdate()),
                                                                      "kind": "leaflet"})
    assert "Name the leaflet" in page.content.decode()


def test_a_clinic_cannot_record_for_another_clinic(client, town):
    client.force_login(town.clinic_staff)
    page = client.post("/indicators/ledgers/health-education/new/", _lecture(town.clinics[2], timezone.localdate()))
    assert page.status_code == 200 and not HealthEducationActivity.objects.exists()


def test_a_retried_form_is_one_entry(client, town):
    client.force_login(town.clinic_staff)
    data = _lecture(town.clinics[0], timezone.localdate(), client_key="k-123")
    client.post("/indicators/ledgers/health-education/new/", data)
    client.post("/indicators/ledgers/health-education/new/", data)
    assert HealthEducationActivity.objects.count() == 1


def test_lists_are_scoped_and_exported_to_excel(client, town):
    today = timezone.localdate()
    HealthCabin.objects.create(institution=town.clinics[0], name="甲小屋", opened_on=today, manager="王", team="一队")
    HealthCabin.objects.create(institution=town.clinics[2], name="乙小屋", opened_on=today)
    client.force_login(town.district_supervisor)
    page = client.get("/indicators/ledgers/health-cabins/").content.decode()
    assert "甲小屋" in page and "乙小屋" not in page
    response = client.get("/indicators/ledgers/health-cabins/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["甲小屋"]
    assert client.get("/indicators/ledgers/nothing/").status_code == 404


def test_quota_page_checks_wuhai_quotas_per_clinic(client, town):
    today = timezone.localdate()
    for month in range(1, today.month + 1):
        day = today.replace(month=month, day=1)
        HealthEducationActivity.objects.create(institution=town.clinics[0], date=day, kind="lecture", topic="讲座")
        for board in ("一号", "二号"):
            HealthEducationActivity.objects.create(institution=town.clinics[0], date=day, kind="board",
                                                   topic="更新", material=board)
    client.force_login(town.clinic_staff)
    page = client.get("/indicators/ledgers/health-education/quotas/").content.decode()
    assert f"{today.month} / {today.month}" in page and "2 / 2" in page
