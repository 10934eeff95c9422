"""Writes of referrals: create (idempotent by client_key), the steps of the state machine, the
down-referral and its follow-up task, and the escalation of unanswered referrals.

Every write checks who may do it (``Referral.check_transition``), validates, saves in one
transaction, writes a ReferralEvent and an audit row (a referral is a resident's personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.core import audit
from yilian.core.scoping import CHANGE, scope_for
from yilian.familydoctor.models import Resident
from yilian.notices.services import notify

from . import icd10
from .models import (
    FOLLOW_UP_DAYS,
    Attachment,
    Department,
    DutyShift,
    FollowUpTask,
    GreenChannelType,
    Referral,
    ReferralEvent,
)

MAX_ATTACHMENT_BYTES = getattr(settings, "YILIAN_REFERRAL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
MAX_ATTACHMENTS = 10
MAGIC = {  # extension -> (content type, leading bytes)
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


@dataclass
class Result:
    obj: Referral
    created: bool


# ----------------------------------------------------------------------------- checks


def check_icd(code: str) -> str:
    code = icd10.normalise(code)
    if not code:
        raise ValidationError({"icd_code": _("Give the ICD-10 code of the working diagnosis.")})
    if not icd10.is_well_formed(code):
        raise ValidationError({"icd_code": _("%(code)s is not an ICD-10 code (e.g. I21.0, I10).") % {"code": code}})
    if icd10.name_of(code) is None:
        raise ValidationError({"icd_code": _("%(code)s is not in the list of referral diagnoses.") % {"code": code}})
    return code


def check_attachment(upload) -> str:
    """The content type of an upload whose content matches its extension and size limit."""
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in MAGIC:
        raise ValidationError({"attachments": _("%(name)s: only PDF, JPEG and PNG files are accepted.") % {
            "name": name}})
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"attachments": _("%(name)s is larger than %(limit)s MB.") % {
            "name": name, "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type, signatures = MAGIC[ext]
    if not any(head.startswith(sig) for sig in signatures):
        raise ValidationError({"attachments": _("%(name)s is not a %(kind)s file.") % {
            "name": name, "kind": ext.upper()}})
    return content_type


def acting_institution(user, institution_ids: set[int]) -> int | None:
    """The institution among ``institution_ids`` the user acts for; None for an administrator."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    mine = (scope.hospital_ids | scope.doctor_institution_ids | scope.clinic_ids) & institution_ids
    if not mine:
        raise Http404
    return min(mine)


def _event(referral, kind, by, at, note=""):
    ReferralEvent.objects.create(referral=referral, kind=kind, by=by, at=at, note=note[:255])


def _replayed(client_key, by) -> Referral | None:
    if not client_key:
        return None
    row = Referral.objects.filter(client_key=client_key).first()
    if row is not None and row.created_by_id != by.pk:
        raise ValidationError({"client_key": _("This form was already used; reload the page and try again.")})
    return row


# ----------------------------------------------------------------------------- up-referral


def referral_create(*, by, resident: Resident, hospital, department: Department | None, reason: str,
                    icd_code: str, diagnosis: str, urgency: int, consent: bool,
                    green_channel: GreenChannelType | None = None, attachments=(), client_key: str | None = None,
                    now=None) -> Result:
    """上转: clinic staff refer a resident of their clinic to a hospital department."""
    earlier = _replayed(client_key, by)
    if earlier is not None:
        return Result(earlier, created=False)
    if not Resident.objects.for_user(by, CHANGE).filter(pk=resident.pk).exists():
        raise Http404
    now = now or timezone.now()
    errors = {}
    if not consent:
        errors["consent"] = _("The patient's consent is required for a referral.")
    if hospital is None or not hospital.is_hospital:
        errors["hospital"] = _("Choose a hospital to refer to.")
    elif department is None or department.hospital_id != hospital.pk or not department.takes_referrals:
        errors["department"] = _("%(hospital)s does not take referrals to this department.") % {
            "hospital": hospital.name}
    if green_channel is not None:
        if hospital is None or green_channel.hub_id != hospital.pk or not green_channel.active:
            errors["green_channel"] = _("%(hospital)s runs no green channel of this type.") % {
                "hospital": getattr(hospital, "name", "")}
        urgency = Referral.Urgency.EMERGENCY
    try:
        icd_code = check_icd(icd_code)
    except ValidationError as exc:
        errors |= exc.message_dict
    types = []
    for upload in list(attachments)[:MAX_ATTACHMENTS + 1]:
        try:
            types.append(check_attachment(upload))
        except ValidationError as exc:
            errors.setdefault("attachments", []).extend(exc.message_dict["attachments"])
    if len(types) > MAX_ATTACHMENTS:
        errors["attachments"] = _("At most %(count)s attachments.") % {"count": MAX_ATTACHMENTS}
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        direction=Referral.Direction.UP, resident=resident, from_institution=resident.clinic, to_institution=hospital,
        department=department, reason=reason, icd_code=icd_code, diagnosis=diagnosis or icd10.name_of(icd_code),
        urgency=urgency, green_channel=green_channel, consent=True, created_by=by, created_at=now,
        client_key=client_key or None)
    referral.full_clean(exclude=["client_key"])
    try:
        with transaction.atomic():
            referral.save()
            for upload, content_type in zip(attachments, types, strict=True):
                Attachment.objects.create(referral=referral, file=upload, name=upload.name[:150],
                                          content_type=content_type, size=upload.size)
            _event(referral, ReferralEvent.Kind.CREATED, by, now)
            if green_channel is not None:
                _notify_desk(referral, now)
            audit.record(by, audit.Action.CREATE, referral)
    except IntegrityError:
        earlier = _replayed(client_key, by)
        if earlier is None:
            raise
        return Result(earlier, created=False)
    return Result(referral, created=True)


def _notify_desk(referral, now):
    """A green-channel case alerts everyone on the hub's duty desk at once."""
    text = _("Green channel: %(kind)s from %(clinic)s") % {
        "kind": referral.green_channel.get_kind_display(), "clinic": referral.from_institution.name}
    desk = DutyShift.on_duty(referral.to_institution_id, DutyShift.Role.DESK, now).values_list("user_id", flat=True)
    notify(list(desk), kind="referral.green-channel", text=text, url=_link(referral),
           dedupe_key=f"referral.green-channel:{referral.pk}")


def _link(referral) -> str:
    return reverse("referral-detail", args=[referral.pk])


def _notify_accepted(referral, by):
    """The clinic that sent the patient learns the hospital's answer in its inbox (and e-mail)."""
    when = timezone.localtime(referral.appointment_at).strftime("%Y-%m-%d %H:%M") if referral.appointment_at else ""
    text = _("Referral %(number)s accepted by %(hospital)s. %(when)s %(bed)s") % {
        "number": referral.pk, "hospital": referral.to_institution.name, "when": when, "bed": referral.bed}
    notify([referral.created_by_id], kind="referral.accepted", text=text.strip(), url=_link(referral),
           dedupe_key=f"referral.accepted:{referral.pk}")


# ----------------------------------------------------------------------------- steps


EVENT_OF = {
    Referral.Status.ACCEPTED: ReferralEvent.Kind.ACCEPTED,
    Referral.Status.DECLINED: ReferralEvent.Kind.DECLINED,
    Referral.Status.CANCELLED: ReferralEvent.Kind.CANCELLED,
    Referral.Status.ARRIVED: ReferralEvent.Kind.ARRIVED,
    Referral.Status.ADMITTED: ReferralEvent.Kind.ADMITTED,
    Referral.Status.REFERRED_DOWN: ReferralEvent.Kind.REFERRED_DOWN,
    Referral.Status.CLOSED: ReferralEvent.Kind.CLOSED,
}


ADVANCE_FIELDS = ["status", "closed_at", "accepted_at", "appointment_at", "bed", "accept_minutes", "decline_reason",
                  "alternative", "arrived_at", "admitted_at", "admission_minutes"]


def referral_advance(*, by, referral: Referral, action: str, now=None, appointment_at=None, bed: str = "",
                     decline_reason: str = "", alternative: str = "", note: str = "") -> Referral:
    """Take one step (accept, decline, cancel, arrive, admit, complete, close) on a referral.

    Checks run before the write transaction; the write is a compare-and-set on the status it was
    checked against, so two desks accepting at once cannot both succeed and the database lock is
    held only for the few statements that write."""
    now = now or timezone.now()
    referral = Referral.objects.for_user(by, CHANGE).filter(pk=referral.pk).first()
    if referral is None:
        raise Http404
    institution = acting_institution(by, {referral.from_institution_id, referral.to_institution_id})
    checked_status = referral.status
    target = referral.check_transition(action, institution)
    _apply(referral, action, now, appointment_at=appointment_at, bed=bed, decline_reason=decline_reason,
           alternative=alternative)
    referral.status = target
    if target in Referral.CLOSED_STATES:
        referral.closed_at = now
    with transaction.atomic():
        changed = Referral.objects.filter(pk=referral.pk, status=checked_status).update(
            **{field: getattr(referral, field) for field in ADVANCE_FIELDS})
        if not changed:
            raise ValidationError({"status": _("Someone else changed this referral meanwhile; reload the page.")})
        _event(referral, EVENT_OF[target], by, now, note or decline_reason or bed)
        audit.record(by, audit.Action.UPDATE, referral, reason=action)
        if action == "accept" and referral.created_by_id != by.pk:
            _notify_accepted(referral, by)
    return referral


def _apply(referral, action, now, *, appointment_at, bed, decline_reason, alternative):
    if action == "accept":
        if referral.direction == Referral.Direction.UP and not (appointment_at or bed or referral.green_channel_id):
            raise ValidationError({"appointment_at": _("Give an appointment time or a bed.")})
        referral.accepted_at, referral.appointment_at, referral.bed = now, appointment_at, bed
        referral.accept_minutes = referral.minutes_between(referral.created_at, now)
    elif action == "decline":
        if not decline_reason.strip():
            raise ValidationError({"decline_reason": _("Say why the referral is declined.")})
        referral.decline_reason, referral.alternative = decline_reason, alternative
    elif action == "arrive":
        referral.arrived_at = now
    elif action == "admit":
        referral.admitted_at = now
        referral.admission_minutes = referral.minutes_between(referral.created_at, now)
        if bed:
            referral.bed = bed


def referral_refer_down(*, by, referral: Referral, discharge_summary: str, medication: str,
                        follow_up_instructions: str, now=None) -> Referral:
    """下转: the hospital sends the patient of an up-referral back to their clinic."""
    now = now or timezone.now()
    if not discharge_summary.strip():
        raise ValidationError({"discharge_summary": _("A discharge summary is required.")})
    with transaction.atomic():
        up = Referral.objects.select_for_update().for_user(by, CHANGE).filter(pk=referral.pk).first()
        if up is None:
            raise Http404
        institution = acting_institution(by, {up.from_institution_id, up.to_institution_id})
        target = up.check_transition("refer_down", institution)
        up.status = target
        up.save()
        _event(up, ReferralEvent.Kind.REFERRED_DOWN, by, now)
        down = Referral.objects.create(
            direction=Referral.Direction.DOWN, parent=up, resident=up.resident, from_institution=up.to_institution,
            to_institution=up.resident.clinic, reason=follow_up_instructions, icd_code=up.icd_code,
            diagnosis=up.diagnosis, urgency=Referral.Urgency.ROUTINE, consent=up.consent,
            discharge_summary=discharge_summary, medication=medication,
            follow_up_instructions=follow_up_instructions, created_by=by, created_at=now)
        _event(down, ReferralEvent.Kind.CREATED, by, now)
        audit.record(by, audit.Action.CREATE, down)
    return down


def down_referral_accept(*, by, referral: Referral, now=None, follow_up_days: int = FOLLOW_UP_DAYS) -> FollowUpTask:
    """The clinic takes the patient back; the resident's clinic gets a follow-up task."""
    now = now or timezone.now()
    referral = referral_advance(by=by, referral=referral, action="accept", now=now)
    task = FollowUpTask.objects.create(
        referral=referral, resident=referral.resident, clinic=referral.to_institution,
        due=timezone.localdate(now) + timedelta(days=follow_up_days))
    return task


def follow_up_done(*, by, task: FollowUpTask, note: str = "", now=None) -> FollowUpTask:
    """The loop is closed: the down-referral and its up-referral close with the task."""
    now = now or timezone.now()
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().for_user(by, CHANGE).filter(pk=task.pk).first()
        if task is None:
            raise Http404
        if task.done_at is not None:
            raise ValidationError({"done_at": _("This follow-up is already recorded as done.")})
        task.done_at, task.done_by, task.note = now, by, note[:255]
        task.save()
        referral_advance(by=by, referral=task.referral, action="close", now=now, note=note)
        up = task.referral.parent
        if up is not None and up.status == Referral.Status.REFERRED_DOWN:
            Referral.objects.filter(pk=up.pk).update(status=Referral.Status.CLOSED, closed_at=now)
            _event(up, ReferralEvent.Kind.CLOSED, by, now, _("Follow-up done at the clinic."))
    return task


# ----------------------------------------------------------------------------- escalation


def overdue(now):
    """Referrals still waiting for an answer past their escalation time, not yet escalated."""
    waiting = (Referral.objects.filter(status=Referral.Status.SENT, escalated_at__isnull=True,
                                       direction=Referral.Direction.UP,
                                       created_at__lte=now - timedelta(minutes=1))
               .select_related("green_channel", "to_institution"))
    return [r for r in waiting if r.created_at + r.escalate_after <= now]


def escalate_overdue(now=None) -> int:
    """Mark every overdue referral escalated and notify the hub's duty leader (or its coordinators)."""
    from yilian.accounts.models import Membership

    now = now or timezone.now()
    count = 0
    for referral in overdue(now):
        with transaction.atomic():
            if Referral.objects.filter(pk=referral.pk, escalated_at__isnull=True,
                                       status=Referral.Status.SENT).update(escalated_at=now) == 0:
                continue
            users = set(DutyShift.on_duty(referral.to_institution_id, DutyShift.Role.LEADER, now)
                        .values_list("user_id", flat=True))
            if not users:
                users = set(Membership.objects.filter(institution_id=referral.to_institution_id,
                                                      role=Membership.Role.COORDINATOR).values_list("user_id",
                                                                                                   flat=True))
            waited = int((now - referral.created_at).total_seconds() // 60)
            text = _("Referral %(number)s from %(clinic)s has waited %(minutes)s minutes without an answer.") % {
                "number": referral.pk, "clinic": referral.from_institution.name, "minutes": waited}
            notify(sorted(users), kind="referral.escalated", text=text, url=_link(referral),
                   dedupe_key=f"referral.escalated:{referral.pk}")
            _event(referral, ReferralEvent.Kind.ESCALATED, None, now, text)
            count += 1
    return count


# ----------------------------------------------------------------------------- duty roster


def duty_shift_add(*, by, hub, user, role: str, start, end) -> DutyShift:
    """A coordinator of the hub puts someone of the hub on the desk or as duty leader for a shift."""
    from yilian.accounts.models import Membership

    if not scope_for(by).is_admin and hub.pk not in scope_for(by).hospital_ids:
        raise Http404
    if not Membership.objects.filter(user=user, institution=hub).exists():
        raise ValidationError({"user": _("%(user)s is not a member of %(hub)s.") % {
            "user": user.get_username(), "hub": hub.name}})
    shift = DutyShift(hub=hub, user=user, role=role, start=start, end=end)
    shift.full_clean()
    with transaction.atomic():
        shift.save()
    return shift
