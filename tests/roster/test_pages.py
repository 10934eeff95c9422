"""The coordinator's pages over HTTP, on the Guiyang demo: state, solve, follow, adjust, re-plan, approve."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.roster.conftest import MONTH
from yilian.network.models import Institution, Region
from yilian.roster import checker, services
from yilian.roster.models import Absence, RosterRule, RosterRun
from yilian.support.models import Assignment, CalendarDay, Doctor, Programme

pytestmark = pytest.mark.usefixtures("demo", "immediate_tasks")


def login(client, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    return user


def first_hospital_key() -> str:
    return f"hospital:{Institution.objects.get(name='贵阳市第一人民医院').pk}"


def solve(client, **extra):
    programme = Programme.objects.get()
    response = client.post("/roster/start/", {"programme": programme.pk, "month": "2026-02", "scope": extra.pop(
        "scope", first_hospital_key()), "time_limit": 3, **extra})
    assert response.status_code == 302, response.content[:500]
    return RosterRun.objects.latest("pk")


def test_month_page_then_one_click_solves_and_explains_unmet_needs(client):
    user = login(client, "sy1_coordinator")
    page = client.get("/roster/?month=2026-02").content.decode()
    assert "全科 × 2" in page and 'id="roster-doctors"' in page and 'id="solve"' in page
    doctor = Doctor.objects.filter(hospital__name="贵阳市第一人民医院", title="senior").first()
    response = client.post("/roster/absences/add/", {"doctor": doctor.pk, "start": "2026-02-02", "end": "2026-02-06",
                                                     "reason": "leave"})
    assert response.status_code == 302 and Absence.objects.filter(doctor=doctor, reason="leave").count() == 1
    client.post("/roster/absences/add/", {"doctor": doctor.pk, "start": "2026-02-06", "end": "2026-02-02",
                                          "reason": "leave"})  # ends before it starts: refused, nothing saved
    assert Absence.objects.filter(doctor=doctor).count() == 1
    run = solve(client)
    assert run.status == RosterRun.Status.DONE and run.hospital.name == "贵阳市第一人民医院"
    assert run.best_unmet >= run.bound >= 0 and run.demand > 0
    month = services.build_month(run)
    roster = [services.model.Assignment(a["doctor"], a["clinic"], services.date.fromisoformat(a["day"]))
              for a in run.result["assignments"]]
    assert checker.check(month.problem, roster, unmet_days=run.best_unmet) == []
    page = client.get(f"/roster/runs/{run.pk}/").content.decode()
    assert 'id="run-unmet-needs"' in page
    assert "150" in page  # the measured travel time beyond the limit is named
    # the fragment htmx polls
    fragment = client.get(f"/roster/runs/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="run"') and "hx-trigger" not in fragment
    assert user.pk == run.requested_by_id


def test_pin_then_resolve_keeps_the_pin(client):
    login(client, "sy1_coordinator")
    run = solve(client)
    first = run.result["assignments"][0]
    other_day = next(d for d in services.build_month(run).problem.days if d.isoformat() != first["day"])
    response = client.post(f"/roster/runs/{run.pk}/rules/", {"kind": "pin", "doctor": first["doctor"],
                                                             "clinic": first["clinic"], "day": other_day})
    assert response.status_code == 302
    assert RosterRule.objects.filter(kind="pin", day=other_day).count() == 1
    client.post(f"/roster/runs/{run.pk}/rules/", {"kind": "pin", "doctor": first["doctor"],
                                                 "clinic": first["clinic"], "day": other_day})  # a retry
    assert RosterRule.objects.count() == 1
    client.post(f"/roster/runs/{run.pk}/again/")
    again = RosterRun.objects.latest("pk")
    assert again.pk != run.pk and again.status == RosterRun.Status.DONE
    assert {"doctor": first["doctor"], "clinic": first["clinic"], "day": other_day.isoformat()} in [
        {k: a[k] for k in ("doctor", "clinic", "day")} for a in again.result["assignments"]]
    # a junior doctor pinned: the rule in conflict is named, no silent empty plan
    junior = Doctor.objects.get(hospital=run.hospital, title="junior")
    clinic = run.result["assignments"][0]["clinic"]
    client.post(f"/roster/runs/{run.pk}/rules/", {"kind": "pin", "doctor": f"d{junior.pk}", "clinic": clinic,
                                                 "day": run.result["assignments"][0]["day"]})
    client.post(f"/roster/runs/{run.pk}/again/")
    again = RosterRun.objects.latest("pk")
    assert again.status == RosterRun.Status.CONFLICT and again.result["assignments"] == []
    page = client.get(f"/roster/runs/{again.pk}/").content.decode()
    assert junior.name in page and ("minimum title" in page or "最低职称" in page)


def test_cancel_a_doctor_replans_with_few_changes_then_approve(client):
    login(client, "sy1_coordinator")
    run = solve(client)
    doctor = run.result["assignments"][0]["doctor"]
    response = client.post(f"/roster/runs/{run.pk}/cancel/", {"doctor": doctor, "from": "2026-02-01"})
    assert response.status_code == 302
    replan = RosterRun.objects.latest("pk")
    assert replan.kind == RosterRun.Kind.REPLAN and replan.status == RosterRun.Status.DONE
    assert not any(a["doctor"] == doctor for a in replan.result["assignments"])
    changed = replan.result["changed"]
    assert changed["must"] == sum(a["doctor"] == doctor for a in run.result["assignments"])
    assert replan.result["measures"]["seconds"] <= 5
    assert Absence.objects.filter(doctor_id=int(doctor[1:]), reason="cancelled").exists()
    page = client.get(f"/roster/runs/{replan.pk}/").content.decode()
    assert 'id="run-changed"' in page
    # approving the re-planned roster writes it into the support dispatch plan
    run = replan
    response = client.post(f"/roster/runs/{run.pk}/approve/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RosterRun.Status.APPROVED
    planned = Assignment.objects.filter(status="planned", date__range=(MONTH, MONTH.replace(day=28)),
                                        agreement__pairing__hospital=run.hospital)
    assert planned.count() == len(run.result["assignments"])
    assert client.post(f"/roster/runs/{run.pk}/approve/").status_code == 302  # a second click changes nothing
    assert planned.count() == len(run.result["assignments"])
    # the support plan page of the hospital shows it
    page = client.get(f"/support/plan/hospital/{run.hospital.pk}/?month=2026-02").content.decode()
    first = planned.select_related("doctor").first()
    assert first.doctor.name in page


def test_a_doctor_who_cancels_takes_his_pins_with_him(client):
    login(client, "sy1_coordinator")
    run = solve(client)
    first = run.result["assignments"][0]
    client.post(f"/roster/runs/{run.pk}/rules/", {"kind": "pin", "doctor": first["doctor"], "clinic": first["clinic"],
                                                 "day": first["day"]})
    client.post(f"/roster/runs/{run.pk}/again/")
    pinned = RosterRun.objects.latest("pk")
    assert pinned.status == RosterRun.Status.DONE
    client.post(f"/roster/runs/{pinned.pk}/cancel/", {"doctor": first["doctor"], "from": "2026-02-01"})
    replan = RosterRun.objects.latest("pk")
    assert replan.kind == RosterRun.Kind.REPLAN and replan.status == RosterRun.Status.DONE, replan.result
    assert not any(a["doctor"] == first["doctor"] for a in replan.result["assignments"])
    assert not RosterRule.objects.filter(kind="pin").exists()  # void: he is not coming
    assert client.post(f"/roster/runs/{replan.pk}/approve/").status_code == 302
    replan.refresh_from_db()
    assert replan.status == RosterRun.Status.APPROVED


def test_out_of_scope_is_404(client):
    login(client, "sy1_coordinator")
    run = solve(client)
    login(client, "sy2_coordinator")
    assert client.get(f"/roster/runs/{run.pk}/").status_code == 404
    assert client.post(f"/roster/runs/{run.pk}/approve/").status_code == 404
    assert client.post(f"/roster/runs/{run.pk}/cancel/", {"doctor": "d1"}).status_code == 404
    other = Doctor.objects.filter(hospital=run.hospital).first()
    assert client.post("/roster/absences/add/", {"doctor": other.pk, "start": "2026-02-02", "end": "2026-02-03",
                                                 "reason": "leave"}).status_code == 404
    login(client, "gy_supervisor")  # the supervisor of the city sees the hospital's roster
    assert client.get(f"/roster/runs/{run.pk}/").status_code == 200
    # and plans the whole region
    run = solve(client, scope=services.roster_scopes(get_user_model().objects.get(username="gy_supervisor"))[0].key,
                time_limit=5)
    assert run.region is not None and run.status == RosterRun.Status.DONE
    names = run.result["names"]["doctors"]
    assert len({names[a["doctor"]]["hospital"] for a in run.result["assignments"]}) > 5


def test_bad_month_scope_and_calendar_are_refused(client):
    login(client, "sy1_coordinator")
    programme = Programme.objects.get()
    response = client.post("/roster/start/", {"programme": programme.pk, "month": "2026-13",
                                              "scope": first_hospital_key()},
                           follow=True)
    assert "YYYY-MM" in response.content.decode()
    city = Region.objects.get(name="贵阳市")  # a coordinator does not plan the region
    client.post("/roster/start/", {"programme": programme.pk, "month": "2026-02", "scope": f"region:{city.pk}"})
    assert RosterRun.objects.count() == 0
    # a month without working days
    for day in range(1, 29):
        CalendarDay.objects.create(date=MONTH.replace(day=day), is_workday=False, name="测试")
    run = solve(client)
    assert run.status == RosterRun.Status.CONFLICT
    assert run.result["conflicts"][0]["rule"] == "no_working_days"
