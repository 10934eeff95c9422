"""Rules of the referral services: bad input saves nothing, the state machine, idempotency, escalation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.referrals.factories import JPEG, PDF, PNG, make_net, referral_kwargs, upload
from yilian.core.models import AuditEntry
from yilian.notices.models import Notice
from yilian.referrals import icd10, services
from yilian.referrals.models import Attachment, FollowUpTask, Referral, ReferralEvent

pytestmark = pytest.mark.django_db


def create(net, **overrides):
    return services.referral_create(**referral_kwargs(net, **overrides)).obj


def test_icd_list():
    assert icd10.name_of("i21.0") == "急性心肌梗死"
    assert icd10.name_of("J18.9") == "肺炎"
    assert icd10.name_of("J18.1") is None
    assert not icd10.is_well_formed("I2")
    assert icd10.is_well_formed("O72.1")


def test_create_records_event_audit_and_attachments(net):
    referral = create(net, attachments=[upload(), upload("ct.png", PNG, "image/png"),
                                        upload("lab.JPG", JPEG, "image/jpeg")])
    assert referral.status == Referral.Status.SENT
    assert referral.diagnosis == "急性心肌梗死"
    assert referral.from_institution == net.clinic
    assert [a.content_type for a in referral.attachments.all()] == ["application/pdf", "image/png", "image/jpeg"]
    event = referral.events.get()
    assert (event.kind, event.by) == (ReferralEvent.Kind.CREATED, net.clinic_user)
    entry = AuditEntry.all_rows.get(object_type="referrals.referral", object_id=referral.pk)
    assert entry.action == AuditEntry.Action.CREATE and "*" in entry.summary


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"icd_code": "X99.9"}, "icd_code", "not in the list"),
    ({"icd_code": "心梗"}, "icd_code", "is not an ICD-10 code"),
    ({"icd_code": ""}, "icd_code", "Give the ICD-10 code"),
    ({"consent": False}, "consent", "consent is required"),
    ({"attachments": [upload("ecg.pdf", PNG)]}, "attachments", "is not a PDF file"),
    ({"attachments": [upload("ecg.png", PDF)]}, "attachments", "is not a PNG file"),
    ({"attachments": [upload("ecg.exe", b"MZ")]}, "attachments", "only PDF, JPEG and PNG"),
])
def test_bad_input_saves_nothing(net, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        create(net, **overrides)
    assert message in " ".join(exc.value.message_dict[field])
    assert not Referral.objects.exists() and not Attachment.objects.exists()
    assert not ReferralEvent.objects.exists()


def test_attachment_too_big(net, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    with pytest.raises(ValidationError, match="larger than"):
        create(net, attachments=[upload()])
    assert not Referral.objects.exists()


def test_department_not_taken(net):
    other = make_net("外")
    for department in (net.closed_department, other.cardiology):
        with pytest.raises(ValidationError, match="does not take referrals"):
            create(net, department=department)
    assert not Referral.objects.exists()


def test_other_clinics_resident_is_404(net):
    other = make_net("外")
    with pytest.raises(Http404):
        create(net, resident=other.resident)


def test_idempotent_replay(net):
    first = services.referral_create(**referral_kwargs(net, client_key="k1"))
    again = services.referral_create(**referral_kwargs(net, client_key="k1"))
    assert first.created and not again.created
    assert again.obj.pk == first.obj.pk
    assert Referral.objects.count() == 1


def test_state_machine(net):
    referral = create(net)
    with pytest.raises(ValidationError, match="not possible while the referral is Sent"):
        services.referral_advance(by=net.desk_user, referral=referral, action="admit")
    with pytest.raises(ValidationError, match="Only .* can take this step"):
        services.referral_advance(by=net.clinic_user, referral=referral, action="accept", bed="3-12")
    with pytest.raises(ValidationError, match="appointment time or a bed"):
        services.referral_advance(by=net.desk_user, referral=referral, action="accept")
    outsider = make_net("外")
    with pytest.raises(Http404):
        services.referral_advance(by=outsider.desk_user, referral=referral, action="accept", bed="1")
    referral = services.referral_advance(by=net.desk_user, referral=referral, action="accept", bed="3-12")
    accepted = Notice.objects.get(kind="referral.accepted")  # the sending clinic learns it in its inbox
    assert accepted.recipient == referral.created_by and "3-12" in accepted.text
    referral = services.referral_advance(by=net.desk_user, referral=referral, action="arrive")
    referral = services.referral_advance(by=net.desk_user, referral=referral, action="admit")
    assert referral.status == Referral.Status.ADMITTED
    assert [e.kind for e in referral.events.all()] == ["created", "accepted", "arrived", "admitted"]
    assert all(e.by == net.desk_user for e in referral.events.all()[1:])


def test_decline_needs_reason_and_closes(net):
    referral = create(net)
    with pytest.raises(ValidationError, match="Say why"):
        services.referral_advance(by=net.desk_user, referral=referral, action="decline")
    referral = services.referral_advance(by=net.desk_user, referral=referral, action="decline",
                                         decline_reason="无床位", alternative="市第一医院")
    assert referral.is_closed
    with pytest.raises(ValidationError, match="closed"):
        services.referral_advance(by=net.clinic_user, referral=referral, action="cancel")


def test_green_channel_notifies_desk_and_forces_emergency(net):
    referral = create(net, green_channel=net.chest_pain)
    assert referral.urgency == Referral.Urgency.EMERGENCY
    assert Notice.objects.filter(recipient=net.desk_user, url=f"/referrals/{referral.pk}/").exists()


def test_escalation_timing(net):
    t0 = timezone.now()
    emergency = create(net, green_channel=net.chest_pain, now=t0)
    routine = create(net, now=t0)
    assert services.escalate_overdue(t0 + timedelta(minutes=4)) == 0
    assert services.escalate_overdue(t0 + timedelta(minutes=5)) == 1
    emergency.refresh_from_db()
    assert emergency.escalated_at == t0 + timedelta(minutes=5)
    assert Notice.objects.filter(recipient=net.leader, url=f"/referrals/{emergency.pk}/").count() == 1
    assert services.escalate_overdue(t0 + timedelta(minutes=6)) == 0  # once only
    assert services.escalate_overdue(t0 + timedelta(minutes=119)) == 0
    assert services.escalate_overdue(t0 + timedelta(minutes=120)) == 1
    routine.refresh_from_db()
    assert routine.escalated_at is not None
    assert routine.events.filter(kind=ReferralEvent.Kind.ESCALATED).exists()


def test_accepted_referral_is_not_escalated(net):
    t0 = timezone.now()
    referral = create(net, now=t0, green_channel=net.chest_pain)
    services.referral_advance(by=net.desk_user, referral=referral, action="accept", now=t0 + timedelta(minutes=2))
    assert services.escalate_overdue(t0 + timedelta(hours=3)) == 0


def test_down_referral_loop(net):
    referral = create(net, green_channel=net.chest_pain)
    for action in ("accept", "arrive", "admit"):
        referral = services.referral_advance(by=net.desk_user, referral=referral, action=action)
    with pytest.raises(ValidationError, match="discharge summary"):
        services.referral_refer_down(by=net.desk_user, referral=referral, discharge_summary="", medication="",
                                     follow_up_instructions="")
    down = services.referral_refer_down(by=net.desk_user, referral=referral, discharge_summary="PCI 术后",
                                        medication="阿司匹林", follow_up_instructions="一周复查")
    assert (down.from_institution, down.to_institution) == (net.hospital, net.clinic)
    with pytest.raises(ValidationError, match="Only"):
        services.down_referral_accept(by=net.desk_user, referral=down)
    task = services.down_referral_accept(by=net.clinic_user, referral=down)
    assert task.due == timezone.localdate() + timedelta(days=7)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFERRED_DOWN  # not closed before the loop is
    services.follow_up_done(by=net.clinic_user, task=task, note="血压稳定")
    referral.refresh_from_db()
    down.refresh_from_db()
    assert referral.status == down.status == Referral.Status.CLOSED
    assert FollowUpTask.objects.get().done_in_time
    from yilian.referrals.selectors import monthly_stats

    now = timezone.localtime()
    month = monthly_stats(net.supervisor, now.year)[now.month - 1]
    assert (month["up"], month["down"], month["follow_ups"], month["follow_up_share"]) == (1, 1, 1, 100)
    with pytest.raises(ValidationError, match="already"):
        services.follow_up_done(by=net.clinic_user, task=task)


def test_scope(net):
    referral = create(net)
    other = make_net("外")
    assert Referral.objects.for_user(net.clinic_user).count() == 1
    assert Referral.objects.for_user(net.desk_user).count() == 1
    assert Referral.objects.for_user(net.supervisor).count() == 1
    assert not Referral.objects.for_user(net.supervisor, "change").exists()
    for user in (other.clinic_user, other.desk_user, other.supervisor):
        assert not Referral.objects.for_user(user).filter(pk=referral.pk).exists()
