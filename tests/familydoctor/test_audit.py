"""Privacy: every read and reveal is audited; the audit log is append-only, searchable by
supervisors, and only the purge command (≥ 180 days) ever deletes from it."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.familydoctor.conftest import client_for
from tests.familydoctor.test_residents import FULL_ID, FULL_PHONE
from yilian.core import audit
from yilian.core.models import AuditEntry, AuditLogIsAppendOnly


def test_every_detail_read_writes_an_audit_row(world, resident_a):
    client = client_for(world.staff_a)
    for _ in range(3):
        assert client.get(f"/residents/{resident_a.pk}/", REMOTE_ADDR="10.1.2.3").status_code == 200
    reads = AuditEntry.objects.filter(action="read", object_type="familydoctor.resident", object_id=resident_a.pk)
    assert reads.count() == 3
    entry = reads.first()
    assert (entry.user, entry.username, entry.ip) == (world.staff_a, world.staff_a.username, "10.1.2.3")
    assert len(entry.request_id) == 32 and entry.summary == "张* 5201**********1236"
    assert len({e.request_id for e in reads}) == 3


def test_a_404_is_not_audited(world, resident_a):
    client_for(world.staff_b).get(f"/residents/{resident_a.pk}/")
    assert not AuditEntry.objects.exists()


def test_the_proxys_request_id_is_kept(world, resident_a):
    client_for(world.staff_a).get(f"/residents/{resident_a.pk}/", HTTP_X_REQUEST_ID="req-42")
    assert AuditEntry.objects.get().request_id == "req-42"


def test_reveal_requires_a_reason_and_writes_an_audit_row(world, resident_a):
    client = client_for(world.staff_a, "en")
    url = f"/residents/{resident_a.pk}/reveal/"
    for reason in ("", "  ", "abc", " a  b "):
        response = client.post(url, {"field": "id_number", "reason": reason})
        assert response.status_code == 200 and FULL_ID not in response.content.decode()
        assert "reason" in response.context["form"].errors
    assert not AuditEntry.objects.filter(action="reveal").exists()

    response = client.post(url, {"field": "id_number", "reason": "核对签约信息"})
    html = response.content.decode()
    assert FULL_ID in html and FULL_PHONE not in html
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.user, entry.reason, entry.object_id) == (world.staff_a, "核对签约信息", resident_a.pk)
    assert FULL_ID not in entry.summary

    response = client.post(url, {"field": "phone", "reason": "电话随访"}, HTTP_HX_REQUEST="true")
    assert FULL_PHONE in response.content.decode() and "<html" not in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal").count() == 2
    # the next view of the record is masked again
    assert FULL_ID not in client.get(f"/residents/{resident_a.pk}/").content.decode()


def test_who_may_reveal(world, resident_a):
    data = {"field": "id_number", "reason": "核对身份信息"}
    assert FULL_ID in client_for(world.supervisor_a).post(f"/residents/{resident_a.pk}/reveal/", data).content.decode()
    for user in (world.staff_b, world.supervisor_b, world.coordinator_a, world.doctor_a):
        assert client_for(user).post(f"/residents/{resident_a.pk}/reveal/", data).status_code == 404
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def _entry(**kwargs):
    return audit.record(None, "read", object_type="test", object_id=1, **kwargs)


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(db):
    entry = _entry(summary="x")
    entry.summary = "changed"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="changed")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.all_rows.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.bulk_update([entry], ["summary"])
    assert AuditEntry.objects.get().summary == "x"


def test_the_database_refuses_updates_too(db):
    entry = _entry(summary="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET summary = 'changed' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get().summary == "x"


def test_no_change_or_delete_permission_exists(db):
    from django.contrib.auth.models import Permission

    codenames = set(Permission.objects.filter(content_type__model="auditentry").values_list("codename", flat=True))
    assert codenames == {"view_auditentry"}


def test_purge_refuses_less_than_180_days(db):
    with pytest.raises(CommandError, match="180"):
        call_command("purge_audit", "--days", "179")
    with pytest.raises(ValueError, match="180"):
        AuditEntry.all_rows.purge_older_than(30)


def test_purge_deletes_only_rows_older_than_the_retention(db):
    now = timezone.now()
    old = _entry(at=now - timedelta(days=400))
    middle = _entry(at=now - timedelta(days=200))
    recent = _entry(at=now - timedelta(days=10))
    out = io.StringIO()
    call_command("purge_audit", "--days", "365", "--dry-run", stdout=out)
    assert "1 audit entries" in out.getvalue() and AuditEntry.objects.count() == 3
    call_command("purge_audit", "--days", "365", stdout=io.StringIO())
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {middle.pk, recent.pk}
    call_command("purge_audit", stdout=io.StringIO())  # default 180 days
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {recent.pk}
    assert old.pk not in AuditEntry.objects.values_list("pk", flat=True)


# ------------------------------------------------------------------------ the audit page


@pytest.fixture
def trail(world, resident_a, resident_b):
    """Reads of A by staff A, a reveal by supervisor A, a read of B by staff B."""
    client_for(world.staff_a).get(f"/residents/{resident_a.pk}/")
    client_for(world.staff_a).get(f"/residents/{resident_a.pk}/")
    client_for(world.supervisor_a).post(f"/residents/{resident_a.pk}/reveal/",
                                        {"field": "phone", "reason": "联系家属确认"})
    client_for(world.staff_b).get(f"/residents/{resident_b.pk}/")
    return world


def _rows(client, **params):
    return list(client.get("/residents/audit/", params).context["page"])


def test_only_supervisors_see_the_audit_page(trail):
    for user in (trail.staff_a, trail.coordinator_a, trail.doctor_a):
        assert client_for(user).get("/residents/audit/").status_code == 404
        assert client_for(user).get("/residents/audit/export.xlsx").status_code == 404


def test_supervisors_see_the_entries_of_their_region(trail, resident_a, resident_b):
    assert {e.object_id for e in _rows(client_for(trail.supervisor_a))} == {resident_a.pk}
    assert {e.object_id for e in _rows(client_for(trail.supervisor_b))} == {resident_b.pk}
    assert len(_rows(client_for(trail.supervisor_city))) == 4


def test_search_by_resident_user_action_and_date(trail, resident_a):
    client = client_for(trail.supervisor_city)
    assert len(_rows(client, resident="张三")) == 3
    assert len(_rows(client, resident=FULL_ID.lower())) == 3
    assert len(_rows(client, resident_id=resident_a.pk)) == 3
    assert len(_rows(client, user=trail.staff_a.username)) == 2
    reveal = _rows(client, action="reveal")
    assert len(reveal) == 1 and reveal[0].reason == "联系家属确认"
    today = timezone.localdate()
    assert len(_rows(client, date_from=today.isoformat(), date_to=today.isoformat())) == 4
    assert _rows(client, date_to=(today - timedelta(days=1)).isoformat()) == []


def test_who_read_this_record_shows_names_not_numbers(trail, resident_a):
    html = client_for(trail.supervisor_a).get("/residents/audit/", {"resident_id": resident_a.pk}).content.decode()
    assert trail.staff_a.username in html and "联系家属确认" in html
    assert FULL_ID not in html and FULL_PHONE not in html


def test_audit_export_is_masked_and_itself_audited(trail):
    client = client_for(trail.supervisor_city)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/residents/audit/export.xlsx").content))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert any("联系家属确认" in c for c in cells)
    assert not any(FULL_ID in c or FULL_PHONE in c for c in cells)
    assert AuditEntry.objects.filter(action="export", object_type="core.auditentry").count() == 1


def test_audit_pages_paginate(world, settings, resident_a):
    settings.YILIAN_PAGE_SIZE = 2
    client = client_for(world.staff_a)
    for _ in range(5):
        client.get(f"/residents/{resident_a.pk}/")
    page = client_for(world.supervisor_a).get("/residents/audit/", {"page": 2}).context["page"]
    assert page.paginator.num_pages == 3 and len(page) == 2


def test_the_record_links_to_the_residents_referrals_and_remote_readings(client, world, resident_a):
    client.force_login(world.staff_a)
    page = client.get(f"/residents/{resident_a.pk}/").content.decode()
    assert f"/referrals/resident/{resident_a.pk}/" in page and f"/telehealth/resident/{resident_a.pk}/" in page
    assert client.get(f"/telehealth/resident/{resident_a.pk}/").status_code == 200
