"""The referral pages through HTTP: send, desk, steps, down-referral, follow-up, history, stats, FHIR."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.referrals.factories import PNG, make_net, referral_kwargs, upload
from yilian.core.models import AuditEntry
from yilian.notices.models import Notice
from yilian.referrals import services
from yilian.referrals.models import Attachment, FollowUpTask, Referral

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def form_data(net, **overrides):
    data = {"resident": net.resident.pk, "department": net.cardiology.pk, "urgency": 3, "green_channel": "",
            "icd_code": "I21.0", "diagnosis": "", "reason": "胸痛", "consent": "on", "client_key": "key-1"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_send_page_creates_once(client, net):
    login(client, net.clinic_user)
    assert client.get(reverse("referral-new")).status_code == 200
    data = form_data(net, attachments=upload())
    response = client.post(reverse("referral-new"), data)
    referral = Referral.objects.get()
    assert response.url == reverse("referral-detail", args=[referral.pk])
    response = client.post(reverse("referral-new"), form_data(net))  # a retry of the same form
    assert Referral.objects.count() == 1 and Attachment.objects.count() == 1
    page = client.get(reverse("referral-detail", args=[referral.pk]))
    assert page.status_code == 200 and net.resident.masked_id in page.content.decode()
    assert net.resident.id_number not in page.content.decode()
    assert AuditEntry.all_rows.filter(object_type="referrals.referral", action="read").exists()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"consent": None}, "consent is required"),
    ({"icd_code": "Q99.9"}, "not in the list"),
    ({"attachments": "png"}, "is not a PDF file"),
])
def test_send_page_bad_input(client, net, overrides, message):
    login(client, net.clinic_user)
    if overrides.get("attachments") == "png":
        overrides["attachments"] = upload("ecg.pdf", PNG)
    response = client.post(reverse("referral-new"), form_data(net, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Referral.objects.exists()


def test_department_not_taken_is_refused(client, net):
    login(client, net.clinic_user)
    response = client.post(reverse("referral-new"), form_data(net, department=net.closed_department.pk))
    assert response.status_code == 200 and not Referral.objects.exists()


def test_green_channel_path_through_pages(client, net):
    login(client, net.clinic_user)
    client.post(reverse("referral-new"), form_data(net, green_channel=net.chest_pain.pk))
    referral = Referral.objects.get()
    assert referral.urgency == 1
    client.logout()
    login(client, net.desk_user)
    desk = client.get(reverse("referral-desk-queue"))
    assert f'href="/referrals/{referral.pk}/"' in desk.content.decode()
    assert client.get(reverse("referral-desk")).status_code == 200
    for action in ("accept", "arrive", "admit"):
        client.post(reverse("referral-step", args=[referral.pk, action]))
    referral.refresh_from_db()
    assert referral.status == "admitted" and referral.within_target
    page = client.get(reverse("referral-detail", args=[referral.pk])).content.decode()
    assert "admitted within 60 min" in page
    client.post(reverse("referral-down", args=[referral.pk]),
                {"discharge_summary": "PCI", "medication": "阿司匹林", "follow_up_instructions": "一周复查"})
    down = Referral.objects.get(direction="down")
    client.logout()
    login(client, net.clinic_user)
    client.post(reverse("referral-step", args=[down.pk, "accept"]))
    task = FollowUpTask.objects.get()
    listing = client.get(reverse("referral-follow-ups")).content.decode()
    assert reverse("referral-follow-up-done", args=[task.pk]) in listing
    # the family doctor's day page shows the task too, and "done" there returns to it
    day = client.get(reverse("fd-visit-day")).content.decode()
    assert reverse("referral-follow-up-done", args=[task.pk]) in day[day.index('id="follow-ups"'):]
    response = client.post(reverse("referral-follow-up-done", args=[task.pk]),
                           {"note": "稳定", "next": reverse("fd-visit-day")})
    assert response["Location"] == reverse("fd-visit-day")
    referral.refresh_from_db()
    assert referral.status == "closed"


def test_the_desk_shows_the_most_urgent_a_page_at_a_time(client, net, monkeypatch):
    from yilian.referrals import views

    monkeypatch.setattr(views, "DESK_PAGE_SIZE", 2)
    routine = [services.referral_create(**referral_kwargs(net, client_key=f"r{i}")).obj for i in range(2)]
    urgent = services.referral_create(**referral_kwargs(net, urgency=2, client_key="u")).obj
    login(client, net.desk_user)
    first = client.get(reverse("referral-desk")).content.decode()
    assert f'href="/referrals/{urgent.pk}/"' in first and f'href="/referrals/{routine[0].pk}/"' in first
    assert f'href="/referrals/{routine[1].pk}/"' not in first and "3 records" in first
    assert "?page=1" in first  # the queue refreshes the page the desk is on
    second = client.get(reverse("referral-desk-queue") + "?page=2").content.decode()
    assert f'href="/referrals/{routine[1].pk}/"' in second and f'href="/referrals/{urgent.pk}/"' not in second


def test_invalid_step_shows_message_and_changes_nothing(client, net):
    referral = services.referral_create(**referral_kwargs(net)).obj
    login(client, net.desk_user)
    response = client.post(reverse("referral-step", args=[referral.pk, "admit"]), follow=True)
    assert "not possible while the referral is" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_out_of_scope_is_404(client, net):
    referral = services.referral_create(**referral_kwargs(net)).obj
    other = make_net("外")
    for user in (other.clinic_user, other.desk_user, other.supervisor):
        client.logout()
        login(client, user)
        assert client.get(reverse("referral-detail", args=[referral.pk])).status_code == 404
        assert client.post(reverse("referral-step", args=[referral.pk, "accept"]), {"bed": "1"}).status_code == 404
        assert client.get(reverse("referral-resident-history", args=[net.resident.pk])).status_code == 404
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_lists_history_and_stats(client, net):
    referral = services.referral_create(**referral_kwargs(net)).obj
    login(client, net.clinic_user)
    sent = client.get(reverse("referral-list") + "?tab=sent").content.decode()
    assert f'href="/referrals/{referral.pk}/"' in sent
    history = client.get(reverse("referral-resident-history", args=[net.resident.pk]))
    assert history.status_code == 200
    assert AuditEntry.all_rows.filter(object_type="familydoctor.resident", object_id=net.resident.pk,
                                      action="read").exists()
    assert client.get(reverse("referral-stats")).status_code == 404
    client.logout()
    login(client, net.desk_user)
    pending = client.get(reverse("referral-list") + "?tab=pending").content.decode()
    assert f'href="/referrals/{referral.pk}/"' in pending
    client.logout()
    login(client, net.supervisor)
    stats = client.get(reverse("referral-stats")).content.decode()
    assert "stats-table" in stats


def test_stats_numbers(net):
    t0 = timezone.now().replace(hour=12)
    referral = services.referral_create(**referral_kwargs(net, green_channel=net.chest_pain, now=t0)).obj
    for minutes, action in ((3, "accept"), (30, "arrive"), (50, "admit")):
        referral = services.referral_advance(by=net.desk_user, referral=referral, action=action,
                                             now=t0 + timedelta(minutes=minutes))
    from yilian.referrals.selectors import monthly_stats

    month = monthly_stats(net.supervisor, timezone.localtime(t0).year)[timezone.localtime(t0).month - 1]
    assert (month["up"], month["median_accept"], month["median_d2a"], month["green_within"]) == (1, 3, 50, 1)


def test_fhir_export_validates(client, net):
    referral = services.referral_create(**referral_kwargs(net)).obj
    login(client, net.clinic_user)
    bundle = client.get(reverse("referral-fhir", args=[referral.pk])).json()
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:4] == ["ServiceRequest", "Task", "Patient", "Practitioner"] and "Organization" in kinds
    request = bundle["entry"][0]["resource"]
    assert request["reasonCode"][0]["coding"][0]["code"] == "I21.0"
    assert AuditEntry.all_rows.filter(object_type="referrals.referral", action="export").exists()


def test_escalate_command(net):
    t0 = timezone.now() - timedelta(minutes=10)
    services.referral_create(**referral_kwargs(net, green_channel=net.chest_pain, now=t0))
    call_command("escalate_referrals")
    assert Notice.objects.filter(recipient=net.leader).exists()


def test_roster_page(client, net):
    client.force_login(net.desk_user)
    assert "roster-table" in client.get(reverse("referral-roster")).content.decode()
    start = timezone.localtime() + timedelta(days=2)
    data = {"hub": net.hospital.pk, "user": net.leader.pk, "role": "leader",
            "start": start.strftime("%Y-%m-%dT%H:%M"), "end": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")}
    assert client.post(reverse("referral-roster"), data).status_code == 302
    assert net.hospital.duty_shifts.count() == 3
    bad = client.post(reverse("referral-roster"), {**data, "end": data["start"]})
    assert "must end after it starts" in bad.content.decode()
    outsider = make_net("外")
    shown = client.post(reverse("referral-roster"), {**data, "user": outsider.leader.pk})
    assert shown.status_code == 200 and net.hospital.duty_shifts.count() == 3
    client.force_login(outsider.desk_user)
    assert f"<td>{net.hospital.display_name}</td>" not in client.get(reverse("referral-roster")).content.decode()


def test_notifications_page(client, net):
    services.referral_create(**referral_kwargs(net, green_channel=net.chest_pain))
    client.force_login(net.desk_user)
    page = client.get(reverse("referral-notifications"), follow=True).content.decode()  # now the one inbox
    assert "Chest pain" in page or "胸痛" in page
    assert not Notice.objects.filter(recipient=net.desk_user, read_at__isnull=True).exists()
    client.force_login(net.leader)
    assert "胸痛" not in client.get(reverse("referral-notifications"), follow=True).content.decode()
