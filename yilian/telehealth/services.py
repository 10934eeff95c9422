"""Writes of remote reading and consultation: send a study (idempotent by client_key), claim, sign the
report (a critical finding alerts the sending clinic), the green-channel referral from a report, the
escalation of studies about to miss their turnaround target, and the consultation steps.

Every write checks who may do it, validates everything before the transaction, saves in one
transaction and writes an audit row (studies and reports are a resident's personal data).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.accounts.models import Membership
from yilian.core import audit
from yilian.core.scoping import CHANGE, scope_for
from yilian.familydoctor.models import Resident
from yilian.network.models import Alliance, Institution, Pairing
from yilian.notices.services import notify
from yilian.referrals.models import Department, DutyShift, GreenChannelType

from . import intake
from .models import ESCALATE_AT_SHARE, Consultation, Report, Study, StudyFile, Urgency, target_minutes

DEFAULT_MEETING_URL_TEMPLATE = "https://meet.jit.si/yilian-{room}"


@dataclass
class Result:
    obj: object
    created: bool


# ----------------------------------------------------------------------------- who is who


# which alliance's hub reads a clinic's studies when it belongs to several: the telemedicine network first
ALLIANCE_PREFERENCE = [Alliance.Kind.TELEMEDICINE, Alliance.Kind.COUNTY_COMMUNITY, Alliance.Kind.URBAN_GROUP,
                       Alliance.Kind.SPECIALTY]


def default_centre(clinic: Institution) -> Institution | None:
    """The reading centre of a clinic: the lead hospital of its alliance, else the hospital supporting it."""
    preference = Case(*[When(kind=kind, then=Value(n)) for n, kind in enumerate(ALLIANCE_PREFERENCE)],
                      default=Value(len(ALLIANCE_PREFERENCE)))
    alliance = (Alliance.objects.filter(members=clinic, lead__kind__in=Institution.HOSPITAL_KINDS)
                .select_related("lead").order_by(preference, "pk").first())
    if alliance is not None:
        return alliance.lead
    pairing = (Pairing.all_rows.active_on(timezone.localdate()).filter(clinic=clinic).select_related("hospital")
               .order_by("start", "pk").first())
    return pairing.hospital if pairing else None


def reading_institutions(user) -> set[int]:
    scope = scope_for(user)
    return set(scope.hospital_ids | scope.doctor_institution_ids)


def _require_reader(by, study: Study):
    if not scope_for(by).is_admin and study.centre_id not in reading_institutions(by):
        raise Http404


def clinic_users(clinic_id: int) -> list[int]:
    return list(Membership.objects.filter(institution_id=clinic_id, role=Membership.Role.CLINIC_STAFF)
                .values_list("user_id", flat=True))


def _leaders(hub_id: int, now) -> set[int]:
    """The hub's duty leader now; without a roster, its coordinators."""
    users = set(DutyShift.on_duty(hub_id, DutyShift.Role.LEADER, now).values_list("user_id", flat=True))
    if not users:
        users = set(Membership.objects.filter(institution_id=hub_id, role=Membership.Role.COORDINATOR)
                    .values_list("user_id", flat=True))
    return users


def _readers_on_duty(hub_id: int, now) -> set[int]:
    users = set(DutyShift.on_duty(hub_id, DutyShift.Role.DESK, now).values_list("user_id", flat=True))
    return users or _leaders(hub_id, now)


# ----------------------------------------------------------------------------- sending


def _replayed(model, client_key, by, owner_field):
    if not client_key:
        return None
    row = model.objects.filter(client_key=client_key).first()
    if row is not None and getattr(row, owner_field) != by.pk:
        raise ValidationError({"client_key": _("This form was already used; reload the page and try again.")})
    return row


def study_create(*, by, resident: Resident, modality: str, urgency: int, question: str, files,
                 centre: Institution | None = None, client_key: str | None = None, now=None) -> Result:
    """Clinic staff send an ECG or imaging study of a resident of their clinic to a reading centre."""
    earlier = _replayed(Study, client_key, by, "sent_by_id")
    if earlier is not None:
        return Result(earlier, created=False)
    if not Resident.objects.for_user(by, CHANGE).filter(pk=resident.pk).exists():
        raise Http404
    now = now or timezone.now()
    errors = {}
    if modality not in Study.Modality.values:
        errors["modality"] = _("Choose ECG or imaging.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if not (question or "").strip():
        errors["question"] = _("State the clinical question.")
    centre = centre or default_centre(resident.clinic)
    if centre is None or not centre.is_hospital:
        errors["centre"] = _("No reading centre: the clinic belongs to no alliance; choose a hospital.")
    checked = []
    if "modality" not in errors:
        try:
            checked = intake.inspect_all(files, modality)
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    study = Study(resident=resident, clinic=resident.clinic, centre=centre, modality=modality, urgency=urgency,
                  question=question.strip(), sent_by=by, sent_at=now, due_at=now + timedelta(
                      minutes=target_minutes(urgency)), summary=_summary(checked), client_key=client_key or None)
    study.full_clean(exclude=["client_key", "summary"])
    stored = []
    try:
        with transaction.atomic():
            study.save()
            for item in checked:
                row = StudyFile(study=study, name=item.name, kind=item.kind, size=item.size, sha256=item.sha256)
                item.upload.seek(0)
                row.file.save("upload.bin", File(item.upload), save=False)
                stored.append(row.file)
                row.save()
            audit.record(by, audit.Action.CREATE, study)
            if urgency != Urgency.ROUTINE:
                notify(_readers_on_duty(centre.pk, now), kind="telehealth.study",
                       text=_("%(urgency)s %(modality)s from %(clinic)s") % {
                           "urgency": study.get_urgency_display(), "modality": study.get_modality_display(),
                           "clinic": study.clinic.name}, url=f"/telehealth/studies/{study.pk}/",
                       dedupe_key=f"telehealth.study.{study.pk}")
    except BaseException as exc:
        for file in stored:  # the rows were rolled back: no file may outlive them
            file.storage.delete(file.name)
        if not isinstance(exc, IntegrityError):
            raise
        earlier = _replayed(Study, client_key, by, "sent_by_id")
        if earlier is None:
            raise
        return Result(earlier, created=False)
    return Result(study, created=True)


def _summary(checked) -> dict:
    """What the worklist shows without opening a file: the first DICOM header, the ECG's leads."""
    summary = {"files": len(checked)}
    for item in checked:
        for key, value in item.summary.items():
            summary.setdefault(key, value)
    return summary


# ----------------------------------------------------------------------------- reading


def study_claim(*, by, study: Study, now=None) -> Study:
    """An expert of the reading centre takes a waiting study; two experts cannot both take it."""
    now = now or timezone.now()
    _require_reader(by, study)
    with transaction.atomic():
        changed = Study.objects.filter(pk=study.pk, status=Study.Status.SENT).update(
            status=Study.Status.CLAIMED, claimed_by=by, claimed_at=now)
        if not changed:
            raise ValidationError({"status": _("This study is no longer waiting; someone else took it.")})
        study.refresh_from_db()
        audit.record(by, audit.Action.UPDATE, study, reason="claim")
    return study


def study_cancel(*, by, study: Study, now=None) -> Study:
    """The sending clinic withdraws a study nobody has started reading (sent twice, wrong patient)."""
    if not scope_for(by).is_admin and study.clinic_id not in scope_for(by).clinic_ids:
        raise Http404
    with transaction.atomic():
        changed = Study.objects.filter(pk=study.pk, status=Study.Status.SENT).update(
            status=Study.Status.CANCELLED, reported_at=None)
        if not changed:
            raise ValidationError({"status": _("Only a study still waiting to be read can be withdrawn.")})
        study.refresh_from_db()
        audit.record(by, audit.Action.UPDATE, study, reason="cancel")
    return study


def study_release(*, by, study: Study) -> Study:
    _require_reader(by, study)
    with transaction.atomic():
        changed = Study.objects.filter(pk=study.pk, status=Study.Status.CLAIMED, claimed_by=by).update(
            status=Study.Status.SENT, claimed_by=None, claimed_at=None)
        if not changed:
            raise ValidationError({"status": _("You are not reading this study.")})
        study.refresh_from_db()
        audit.record(by, audit.Action.UPDATE, study, reason="release")
    return study


def report_sign(*, by, study: Study, findings: str, conclusion: str, critical: bool, recommendation: str,
                now=None) -> Report:
    """Sign the report: final at once. A critical finding alerts everyone at the sending clinic."""
    now = now or timezone.now()
    _require_reader(by, study)
    errors = {}
    if not (findings or "").strip():
        errors["findings"] = _("Describe the findings.")
    if not (conclusion or "").strip():
        errors["conclusion"] = _("Give a conclusion.")
    if recommendation not in Report.Recommendation.values:
        errors["recommendation"] = _("Choose a recommendation.")
    if study.status == Study.Status.CLAIMED and study.claimed_by_id != by.pk:
        errors["status"] = _("%(user)s is reading this study.") % {"user": study.claimed_by}
    elif study.status not in Study.OPEN_STATES:
        errors["status"] = _("This study is already reported.")
    if errors:
        raise ValidationError(errors)
    minutes = max(0, int((now - study.sent_at).total_seconds() // 60))
    with transaction.atomic():
        changed = Study.objects.filter(pk=study.pk, status=study.status, claimed_by_id=study.claimed_by_id).update(
            status=Study.Status.REPORTED, reported_at=now, turnaround_minutes=minutes, claimed_by=by,
            claimed_at=study.claimed_at or now)
        if not changed:
            raise ValidationError({"status": _("Someone else changed this study meanwhile; reload the page.")})
        report = Report.objects.create(study=study, findings=findings.strip(), conclusion=conclusion.strip(),
                                       critical=critical, recommendation=recommendation, signed_by=by,
                                       signed_at=now)
        study.refresh_from_db()
        audit.record(by, audit.Action.CREATE, report)
        _tell_clinic(report)
    return report


def _tell_clinic(report: Report):
    study = report.study
    url = f"/telehealth/studies/{study.pk}/"
    if report.critical:
        text = _("CRITICAL finding on study %(number)s from %(centre)s: %(conclusion)s — %(advice)s") % {
            "number": study.pk, "centre": study.centre.name, "conclusion": report.conclusion[:200],
            "advice": report.get_recommendation_display()}
        notify(clinic_users(study.clinic_id) + [study.sent_by_id], kind="telehealth.critical", text=text, url=url,
               essential=True, dedupe_key=f"telehealth.critical.{study.pk}")
    else:
        text = _("Report ready for study %(number)s: %(conclusion)s") % {
            "number": study.pk, "conclusion": report.conclusion[:200]}
        notify([study.sent_by_id], kind="telehealth.report", text=text, url=url, essential=False,
               dedupe_key=f"telehealth.report.{study.pk}")


# ----------------------------------------------------------------------------- green channel


def green_channel_defaults(report: Report) -> dict:
    """What the one-click referral is prefilled with: the hub's cardiology (for an ECG), chest pain."""
    study = report.study
    departments = Department.objects.filter(hospital=study.centre, takes_referrals=True)
    preferred = "心内科" if study.modality == Study.Modality.ECG else ""
    department = departments.filter(name=preferred).first() if preferred else None
    kinds = GreenChannelType.objects.filter(hub=study.centre, active=True)
    channel = kinds.filter(kind=GreenChannelType.Kind.CHEST_PAIN).first() if study.modality == "ecg" else None
    return {"department": department or departments.first(), "green_channel": channel or kinds.first(),
            "icd_code": "I21.9" if study.modality == Study.Modality.ECG else "",
            "diagnosis": report.conclusion[:200],
            "reason": f"{study.question}\n{_('Remote reading')}: {report.conclusion}"[:2000]}


def green_channel_referral(*, by, report: Report, department: Department | None = None, icd_code: str | None = None,
                           consent: bool = True, now=None):
    """The sending clinic refers the patient up through the hub's green channel, prefilled from the study.

    Goes through the referral service (its checks, its duty-desk alert); one report makes at most one
    referral, so a double click or a retry returns the first."""
    from yilian.referrals import services as referrals

    study = report.study
    if not Study.objects.for_user(by, CHANGE).filter(pk=study.pk, clinic_id__in=scope_for(by).clinic_ids).exists() \
            and not scope_for(by).is_admin:
        raise Http404
    if report.referral_id:
        return Result(report.referral, created=False)
    defaults = green_channel_defaults(report)
    department = department or defaults["department"]
    result = referrals.referral_create(
        by=by, resident=study.resident, hospital=study.centre, department=department, reason=defaults["reason"],
        icd_code=icd_code or defaults["icd_code"], diagnosis=defaults["diagnosis"], urgency=Urgency.EMERGENCY,
        consent=consent, green_channel=defaults["green_channel"], client_key=f"telehealth-report-{report.pk}",
        now=now)
    with transaction.atomic():
        Report.objects.filter(pk=report.pk, referral__isnull=True).update(referral=result.obj)
        audit.record(by, audit.Action.UPDATE, study, reason="green channel referral")
    report.referral = result.obj
    return result


# ----------------------------------------------------------------------------- turnaround


def about_to_miss(now):
    """Open studies past ``ESCALATE_AT_SHARE`` of their target that nobody escalated yet."""
    rows = []
    for urgency in Urgency.values:
        lead = timedelta(minutes=target_minutes(urgency) * (1 - ESCALATE_AT_SHARE))
        rows.append(Q(urgency=urgency, due_at__lte=now + lead))
    return (Study.objects.filter(status__in=Study.OPEN_STATES, escalated_at__isnull=True)
            .filter(rows[0] | rows[1] | rows[2]).select_related("clinic", "centre"))


def escalate_studies(now=None) -> int:
    """Tell the centre's duty leader about every study about to miss its target; once per study."""
    now = now or timezone.now()
    count = 0
    for study in about_to_miss(now):
        with transaction.atomic():
            if not Study.objects.filter(pk=study.pk, escalated_at__isnull=True,
                                        status__in=Study.OPEN_STATES).update(escalated_at=now):
                continue
            left = int((study.due_at - now).total_seconds() // 60)
            text = _("%(urgency)s study %(number)s from %(clinic)s: %(minutes)s min left of its target.") % {
                "urgency": study.get_urgency_display(), "number": study.pk, "clinic": study.clinic.name,
                "minutes": left} if left >= 0 else _(
                "%(urgency)s study %(number)s from %(clinic)s is %(minutes)s min past its target.") % {
                "urgency": study.get_urgency_display(), "number": study.pk, "clinic": study.clinic.name,
                "minutes": -left}
            notify(_leaders(study.centre_id, now), kind="telehealth.escalation", text=text,
                   url=f"/telehealth/studies/{study.pk}/", dedupe_key=f"telehealth.escalation.{study.pk}")
            count += 1
    return count


# ----------------------------------------------------------------------------- consultation


def meeting_url(consultation: Consultation) -> str:
    template = (getattr(settings, "YILIAN_MEETING_URL_TEMPLATE", "")
                or os.environ.get("YILIAN_MEETING_URL_TEMPLATE", "") or DEFAULT_MEETING_URL_TEMPLATE)
    room = secrets.token_urlsafe(12)
    try:
        return template.format(room=room, id=consultation.pk)
    except (KeyError, IndexError, ValueError):  # a mistyped template must not stop the consultation
        return DEFAULT_MEETING_URL_TEMPLATE.format(room=room, id=consultation.pk)


def consultation_request(*, by, resident: Resident, department: Department, requested_for, question: str,
                         studies=(), client_key: str | None = None, now=None) -> Result:
    earlier = _replayed(Consultation, client_key, by, "requested_by_id")
    if earlier is not None:
        return Result(earlier, created=False)
    if not Resident.objects.for_user(by, CHANGE).filter(pk=resident.pk).exists():
        raise Http404
    now = now or timezone.now()
    errors = {}
    if department is None or not department.hospital.is_hospital:
        errors["department"] = _("Choose a hospital department.")
    if requested_for is None or requested_for < now - timedelta(minutes=5):
        errors["requested_for"] = _("The requested time is in the past.")
    if not (question or "").strip():
        errors["question"] = _("State the question for the consultation.")
    studies = list(studies)
    if any(s.resident_id != resident.pk for s in studies):
        errors["studies"] = _("Attach only studies of this resident.")
    if errors:
        raise ValidationError(errors)
    row = Consultation(resident=resident, clinic=resident.clinic, department=department,
                       hospital=department.hospital, requested_for=requested_for, question=question.strip(),
                       requested_by=by, requested_at=now, client_key=client_key or None)
    try:
        with transaction.atomic():
            row.save()
            row.studies.set(studies)
            audit.record(by, audit.Action.CREATE, row)
            notify(Membership.objects.filter(institution_id=department.hospital_id,
                                             role=Membership.Role.COORDINATOR).values_list("user_id", flat=True),
                   kind="telehealth.consultation", text=_("Consultation requested by %(clinic)s for %(dept)s") % {
                       "clinic": row.clinic.name, "dept": department.name},
                   url=f"/telehealth/consultations/{row.pk}/", dedupe_key=f"telehealth.consultation.{row.pk}")
    except IntegrityError:
        earlier = _replayed(Consultation, client_key, by, "requested_by_id")
        if earlier is None:
            raise
        return Result(earlier, created=False)
    return Result(row, created=True)


def _require_hospital(by, consultation):
    if not scope_for(by).is_admin and consultation.hospital_id not in reading_institutions(by):
        raise Http404


def consultation_confirm(*, by, consultation: Consultation, slot, now=None) -> Consultation:
    """The department confirms a slot; the meeting link comes from the city's URL template."""
    _require_hospital(by, consultation)
    if consultation.status != Consultation.Status.REQUESTED:
        raise ValidationError({"status": _("This consultation is not waiting for confirmation.")})
    if slot is None or slot < (now or timezone.now()) - timedelta(minutes=5):
        raise ValidationError({"slot": _("Choose a slot that is not in the past.")})
    with transaction.atomic():
        consultation.slot, consultation.status, consultation.confirmed_by = slot, Consultation.Status.CONFIRMED, by
        consultation.meeting_url = meeting_url(consultation)
        consultation.save(update_fields=["slot", "status", "confirmed_by", "meeting_url"])
        audit.record(by, audit.Action.UPDATE, consultation, reason="confirm")
        notify([consultation.requested_by_id], kind="telehealth.consultation",
               text=_("Consultation %(number)s confirmed for %(slot)s") % {
                   "number": consultation.pk, "slot": timezone.localtime(slot).strftime("%Y-%m-%d %H:%M")},
               url=f"/telehealth/consultations/{consultation.pk}/",
               dedupe_key=f"telehealth.consultation.confirmed.{consultation.pk}")
    return consultation


def consultation_opinion(*, by, consultation: Consultation, opinion: str, now=None) -> Consultation:
    """The consultant's opinion joins the resident's record."""
    _require_hospital(by, consultation)
    if consultation.status != Consultation.Status.CONFIRMED:
        raise ValidationError({"status": _("Record the opinion after the consultation has been confirmed.")})
    if not (opinion or "").strip():
        raise ValidationError({"opinion": _("Write the consultation opinion.")})
    with transaction.atomic():
        consultation.opinion, consultation.opinion_by = opinion.strip(), by
        consultation.opinion_at, consultation.status = now or timezone.now(), Consultation.Status.DONE
        consultation.save(update_fields=["opinion", "opinion_by", "opinion_at", "status"])
        audit.record(by, audit.Action.UPDATE, consultation, reason="opinion")
        notify([consultation.requested_by_id], kind="telehealth.consultation",
               text=_("Consultation opinion recorded for consultation %(number)s") % {"number": consultation.pk},
               url=f"/telehealth/consultations/{consultation.pk}/",
               dedupe_key=f"telehealth.consultation.opinion.{consultation.pk}")
    return consultation
