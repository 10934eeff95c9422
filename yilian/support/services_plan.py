"""Writes on programmes, the working-day calendar, agreements, doctors and the dispatch plan.

Each service checks scope (out of scope is Http404), validates, saves in a transaction and records
who did it. The dispatch rules live in ``assignment_rule_errors`` so that the month view, the demo
loader and the tests share one definition of a valid plan.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from yilian.core.scoping import CHANGE, VIEW, any_of, ids_in, scope_for, under_regions
from yilian.core.services import save_validated
from yilian.network.models import Institution, Pairing, Region

from . import calendar
from .models import Agreement, AgreementTarget, Assignment, CalendarDay, Doctor, Programme, Title

PROGRAMME_FIELDS = ("name", "region", "year", "min_title", "period", "min_days", "max_days",
                    "yearly_report_due", "source")
AGREEMENT_FIELDS = ("pairing", "programme", "start", "end", "baseline_findings", "goals", "measures",
                    "responsible_persons", "required_specialties", "status", "signed_on")
DOCTOR_FIELDS = ("hospital", "user", "name", "department", "specialty", "title", "licence_number", "phone", "active")
CALENDAR_FIELDS = ("date", "is_workday", "name")

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# magic bytes → (kind, extensions it may carry)
DOCUMENT_SIGNATURES = [
    (b"%PDF-", "pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "png", (".png",)),
    (b"\xff\xd8\xff", "jpeg", (".jpg", ".jpeg")),
]


def _apply(obj, data: dict, allowed: tuple[str, ...]):
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name, value in data.items():
        setattr(obj, name, value)
    return obj


def _require_in(queryset, obj, field: str):
    """A related object the user picks must be one they may use; otherwise it 'does not exist'."""
    if obj is not None and not queryset.filter(pk=obj.pk).exists():
        raise ValidationError({field: _("Select a valid choice. That choice is not one of the available choices.")})


def _require_change(model, by, obj):
    if not model.objects.for_user(by, CHANGE).filter(pk=obj.pk).exists():
        raise Http404


# ------------------------------------------------------------------------- calendar


def may_edit_calendar(user) -> bool:
    """The official calendar is one for the whole country: commission supervisors keep it."""
    return scope_for(user).is_supervisor


def _require_calendar_editor(by):
    if not may_edit_calendar(by):
        raise Http404


def calendar_day_save(*, by, day: CalendarDay | None = None, **data) -> CalendarDay:
    _require_calendar_editor(by)
    return save_validated(_apply(day or CalendarDay(), data, CALENDAR_FIELDS), by)


def calendar_day_delete(*, by, day: CalendarDay):
    _require_calendar_editor(by)
    day._history_user = by
    day.delete()


@transaction.atomic
def calendar_range_set(*, by, start: date, end: date, is_workday: bool, name: str = "") -> int:
    """Enter a run of days at once (e.g. the seven days of the 2027 Spring Festival). Returns the count."""
    _require_calendar_editor(by)
    if end < start:
        raise ValidationError({"end": _("The period ends before it starts.")})
    if (end - start).days > 366:
        raise ValidationError({"end": _("Enter at most one year at a time.")})
    day, count = start, 0
    while day <= end:
        entry = CalendarDay.objects.filter(date=day).first() or CalendarDay(date=day)
        calendar_day_save(by=by, day=entry, date=day, is_workday=is_workday, name=name)
        day += timedelta(days=1)
        count += 1
    return count


# ------------------------------------------------------------------------ programmes


def programme_save(*, by, programme: Programme | None = None, **data) -> Programme:
    programme = programme or Programme()
    if programme.pk:
        _require_change(Programme, by, programme)
    _apply(programme, data, PROGRAMME_FIELDS)
    _require_in(Region.objects.for_user(by, CHANGE), programme.region if programme.region_id else None, "region")
    return save_validated(programme, by)


# ------------------------------------------------------------------------ agreements


def agreement_pairings(user):
    """Pairings the user may write an agreement for: the hospital's coordinator, or a supervisor of the clinic."""
    scope = scope_for(user)
    pairings = Pairing.objects.for_user(user, VIEW)
    if scope.is_admin:
        return pairings
    return pairings.filter(any_of([under_regions(scope.region_paths, "clinic__region__path"),
                                   ids_in(scope.hospital_ids, "hospital_id")]))


@transaction.atomic
def agreement_save(*, by, agreement: Agreement | None = None, targets: list[dict] | None = None,
                   document=None, **data) -> Agreement:
    """Create or change an agreement; ``targets`` replaces its targets, ``document`` its signed copy."""
    agreement = agreement or Agreement()
    if agreement.pk:
        _require_change(Agreement, by, agreement)
    _apply(agreement, data, AGREEMENT_FIELDS)
    _require_in(agreement_pairings(by), agreement.pairing if agreement.pairing_id else None, "pairing")
    _require_in(Programme.objects.for_user(by, VIEW), agreement.programme if agreement.programme_id else None,
                "programme")
    if document:
        agreement.full_clean()  # a refused agreement leaves no file behind
        _store_document(agreement, document)
    save_validated(agreement, by)
    if targets is not None:
        _set_targets(agreement, targets)
    return agreement


def _set_targets(agreement: Agreement, targets: list[dict]):
    """Replace the agreement's targets with ``targets`` ({kind, quantity, per}); all or none."""
    seen = set()
    for number, target in enumerate(targets, start=1):
        key = (target["kind"], target["per"])
        if key in seen:
            raise ValidationError(_("Target %(number)s repeats a target with the same kind and period.") % {
                "number": number})
        seen.add(key)
    agreement.targets.all().delete()
    for target in targets:
        row = AgreementTarget(agreement=agreement, **target)
        row.full_clean()
        row.save()


def validate_document(upload) -> str:
    """A signed agreement is a PDF, JPEG or PNG of at most 10 MB, judged by its content, not its name."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    head = upload.read(16)
    upload.seek(0)
    kind = next((k for magic, k, _exts in DOCUMENT_SIGNATURES if head.startswith(magic)), None)
    extensions = next((exts for _magic, k, exts in DOCUMENT_SIGNATURES if k == kind), ())
    if kind is None or not upload.name.lower().endswith(extensions):
        raise ValidationError(_("Upload the signed agreement as a PDF, JPEG or PNG file."), code="file_type")
    if kind in ("png", "jpeg"):
        _verify_image(upload)
    return kind


def _verify_image(upload):
    try:
        with Image.open(upload) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError(_("The image could not be read; scan the document again."), code="file_type") from exc
    finally:
        upload.seek(0)


def _store_document(agreement: Agreement, upload):
    try:
        validate_document(upload)
    except ValidationError as exc:
        raise ValidationError({"signed_document": exc.messages}) from exc
    agreement.signed_document.save(upload.name, upload, save=False)


@transaction.atomic
def agreement_attach_document(*, by, agreement: Agreement, upload) -> Agreement:
    """Attach the signed copy (e.g. from the API or a phone scan) without touching anything else."""
    _require_change(Agreement, by, agreement)
    _store_document(agreement, upload)
    return save_validated(agreement, by)


# --------------------------------------------------------------------------- doctors


def doctor_hospitals(user):
    """Hospitals whose doctors the user may add and edit."""
    return Institution.objects.for_user(user, CHANGE).filter(kind__in=Institution.HOSPITAL_KINDS)


def doctor_save(*, by, doctor: Doctor | None = None, **data) -> Doctor:
    doctor = doctor or Doctor()
    if doctor.pk:
        _require_change(Doctor, by, doctor)
    _apply(doctor, data, DOCTOR_FIELDS)
    _require_in(doctor_hospitals(by), doctor.hospital if doctor.hospital_id else None, "hospital")
    return save_validated(doctor, by)


# ---------------------------------------------------------------------- dispatch plan


def planned(queryset=None):
    return (queryset if queryset is not None else Assignment.objects.all()).filter(status=Assignment.Status.PLANNED)


def clinic_days_in_period(agreement: Agreement, day: date) -> set[date]:
    """Days already planned at the agreement's clinic under its programme, in the period of ``day``."""
    first, last = calendar.period_bounds(day, agreement.programme.period)
    return set(planned().filter(
        agreement__pairing__clinic_id=agreement.pairing.clinic_id, agreement__programme_id=agreement.programme_id,
        date__range=(first, last)).values_list("date", flat=True))


def _one_place_message(doctor: Doctor, day: date, clinic_name: str) -> str:
    return _("Rule “one place a day”: %(doctor)s is already planned at %(clinic)s on %(day)s.") % {
        "doctor": doctor.name, "clinic": clinic_name, "day": day}


def assignment_rule_errors(doctor: Doctor, agreement: Agreement, day: date) -> list[ValidationError]:
    """Every dispatch rule the assignment (doctor → agreement's clinic on ``day``) would break."""
    programme, pairing = agreement.programme, agreement.pairing
    errors = []

    def broken(code, message):
        errors.append(ValidationError(message, code=code))

    if not doctor.meets(programme.min_title):
        broken("min_title", _("Rule “minimum title”: %(doctor)s is %(title)s; %(programme)s requires at least "
                              "%(min)s.") % {"doctor": doctor.name, "title": doctor.get_title_display(),
                                             "programme": programme.name, "min": Title(programme.min_title).label})
    if doctor.hospital_id != pairing.hospital_id:
        broken("own_hospital", _("Rule “own hospital”: %(doctor)s works for %(hospital)s, not for %(signer)s, "
                                 "which signed this agreement.") % {
            "doctor": doctor.name, "hospital": doctor.hospital.name, "signer": pairing.hospital.name})
    if not doctor.active:
        broken("inactive", _("Rule “active doctors”: %(doctor)s is marked inactive.") % {"doctor": doctor.name})
    if agreement.status == Agreement.Status.ENDED:
        broken("agreement_ended", _("Rule “current agreement”: this agreement has ended."))
    if not agreement.start <= day <= agreement.end:
        broken("agreement_period", _("Rule “agreement period”: %(day)s is outside the agreement "
                                     "(%(start)s – %(end)s).") % {
            "day": day, "start": agreement.start, "end": agreement.end})
    info = calendar.day_info(day)
    if not info.workday:
        broken("workday", _("Rule “working days”: %(day)s is not a working day (%(reason)s).") % {
            "day": day, "reason": calendar.not_workday_reason(info)})
    elsewhere = planned().filter(doctor=doctor, date=day).select_related("agreement__pairing__clinic").first()
    if elsewhere:
        broken("one_place", _one_place_message(doctor, day, elsewhere.agreement.pairing.clinic.name))
    days = clinic_days_in_period(agreement, day)
    if day not in days and len(days) >= programme.max_days:
        broken("max_days", _("Rule “maximum days”: %(clinic)s already has %(count)s days planned in %(period)s; "
                             "%(programme)s allows at most %(max)s.") % {
            "clinic": pairing.clinic.name, "count": len(days), "programme": programme.name,
            "period": calendar.period_label(day, programme.period), "max": programme.max_days})
    return errors


def _plannable_agreement(by, agreement: Agreement):
    """Planning belongs to the hospital's coordinator and the supervisors of the hospital's region."""
    if not Agreement.objects.for_user(by, VIEW).filter(pk=agreement.pk).exists():
        raise Http404
    if not Institution.objects.for_user(by, CHANGE).filter(pk=agreement.pairing.hospital_id).exists():
        raise Http404


def assignment_create(*, by, doctor: Doctor, agreement: Agreement, date: date, note: str = "") -> Assignment:
    _plannable_agreement(by, agreement)
    if not Doctor.objects.for_user(by, VIEW).filter(pk=doctor.pk).exists():
        raise Http404
    return plan_day(doctor=doctor, agreement=agreement, day=date, note=note, by=by)


def plan_day(*, doctor: Doctor, agreement: Agreement, day: date, note: str = "", by=None) -> Assignment:
    """Check every rule and save; the same day planned again is the same assignment (a retry)."""
    same = planned().filter(doctor=doctor, agreement=agreement, date=day).first()
    if same:
        return same
    errors = assignment_rule_errors(doctor, agreement, day)
    if errors:
        raise ValidationError(errors)
    assignment = Assignment(doctor=doctor, agreement=agreement, date=day, note=note)
    assignment.full_clean(validate_constraints=False)
    assignment._history_user = by
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:
        # another coordinator planned the doctor elsewhere between our check and our save
        raise ValidationError(_one_place_message(doctor, day, _("another clinic")), code="one_place") from exc
    return assignment


def assignment_cancel(*, by, assignment: Assignment) -> Assignment:
    _require_change(Assignment, by, assignment)
    if assignment.status == Assignment.Status.CANCELLED:
        return assignment
    if Assignment.objects.filter(pk=assignment.pk, visit__isnull=False).exists():
        raise ValidationError(_("The doctor has already checked in for this day; it can no longer be cancelled."))
    assignment.status = Assignment.Status.CANCELLED
    return save_validated(assignment, by)

