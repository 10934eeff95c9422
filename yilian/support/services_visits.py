"""Visits of dispatched doctors: check-in, check-out, the work they log, the clinic's confirmation.

Every write checks who may do it, validates, saves in a transaction and records its author.
Check-ins and work items carry a ``client_key``: a phone on a flaky network sends the same form
again, and the second send returns what the first recorded instead of creating anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yilian.core.scoping import CHANGE, VIEW, scope_for
from yilian.core.services import save_validated
from yilian.network.models import Pairing

from .models import Agreement, Assignment, Doctor, Title, Visit, WorkItem

# Above these a count is a typing error (an extra zero), not a day's work at a grassroots clinic.
MAX_COUNT = {
    WorkItem.Kind.CLINIC_SESSION: 300,
    WorkItem.Kind.TEACHING_ROUND: 200,
    WorkItem.Kind.CASE_DISCUSSION: 200,
    WorkItem.Kind.LECTURE: 2000,
    WorkItem.Kind.PROCEDURE: 100,
    WorkItem.Kind.FREE_CLINIC: 3000,
    WorkItem.Kind.HEALTH_TALK: 3000,
    WorkItem.Kind.REMOTE_GUIDANCE: 200,
    WorkItem.Kind.REFERRAL: 100,
    WorkItem.Kind.APPRENTICE: 50,
}


@dataclass
class Result:
    """What a write recorded; ``created`` is False when a retry found the first send's row."""

    obj: object
    created: bool


def hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def doctor_of(user) -> Doctor | None:
    """The active doctor record linked to this login, if any."""
    if not user.is_authenticated:
        return None
    return Doctor.objects.filter(user=user, active=True).select_related("hospital").first()


# ------------------------------------------------------------------- where may I check in


def assignments_on(doctor: Doctor, day):
    return (Assignment.objects.filter(doctor=doctor, date=day, status=Assignment.Status.PLANNED)
            .select_related("agreement__pairing__clinic", "agreement__programme"))


def pairings_for(doctor: Doctor, day):
    """The clinics the doctor's hospital supports on ``day``: where an unplanned visit may happen."""
    return (Pairing.all_rows.filter(hospital_id=doctor.hospital_id).active_on(day)
            .select_related("clinic", "hospital").order_by("clinic__name"))


def current_agreement(pairing: Pairing, day) -> Agreement | None:
    """The pairing's agreement in force on ``day`` (a signed one first)."""
    agreements = (Agreement.objects.filter(pairing=pairing, start__lte=day, end__gte=day)
                  .exclude(status=Agreement.Status.ENDED).select_related("programme"))
    return agreements.order_by("-status", "-start").first()  # "signed" sorts after "draft"


def _min_title(agreement: Agreement | None) -> str:
    # Without an agreement there is no programme to read; the seeds' floor is 中级.
    return agreement.programme.min_title if agreement else Title.INTERMEDIATE


def _check_title(doctor: Doctor, agreement: Agreement | None):
    required = _min_title(agreement)
    if not doctor.meets(required):
        raise ValidationError({"target": _(
            "Your title (%(title)s) is below the minimum of the programme (%(required)s); "
            "you cannot be recorded as a dispatched expert.") % {
            "title": doctor.get_title_display(), "required": Title(required).label}})


def already_checked_in(visit: Visit, pairing: Pairing | None = None) -> str:
    if pairing is None or visit.pairing_id == pairing.pk:
        message = _("You already checked in at %(clinic)s at %(time)s.")
    else:
        message = _("You are already recorded at %(clinic)s today (checked in at %(time)s).")
    return message % {"clinic": visit.pairing.clinic.display_name, "time": hhmm(visit.check_in_at)}


def _check_not_elsewhere(doctor: Doctor, day, pairing: Pairing):
    """One doctor, one place a day: an existing visit or a plan at another clinic wins."""
    visit = Visit.objects.filter(doctor=doctor, date=day).select_related("pairing__clinic").first()
    if visit is not None:
        raise ValidationError({"target": already_checked_in(visit, pairing)})
    planned = assignments_on(doctor, day).exclude(agreement__pairing__clinic_id=pairing.clinic_id).first()
    if planned is not None:
        raise ValidationError({"target": _(
            "You are planned at %(clinic)s today; check in there, or ask your coordinator to change the plan.")
            % {"clinic": planned.agreement.pairing.clinic.display_name}})


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    """Both or neither; a browser that refused location sends neither, which is fine."""
    if latitude in (None, "") or longitude in (None, ""):
        return None, None
    try:
        lat, lon = Decimal(str(latitude)).quantize(Decimal("0.000001")), Decimal(str(longitude)).quantize(
            Decimal("0.000001"))
    except ArithmeticError as exc:
        raise ValidationError({"latitude": _("The location sent by the browser is not a number.")}) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"latitude": _("The location sent by the browser is out of range.")})
    return lat, lon


def _replayed(model, client_key, owner_q: Q):
    """The row an earlier send with this key created, if any; a key of someone else's row is refused."""
    if not client_key:
        return None
    row = model.objects.filter(client_key=client_key).first()
    if row is not None and not model.objects.filter(owner_q, pk=row.pk).exists():
        raise ValidationError({"client_key": _("This form was already used; reload the page and try again.")})
    return row


# --------------------------------------------------------------------------- check-in/out


def visit_check_in(*, by, assignment: Assignment | None = None, pairing: Pairing | None = None,
                   latitude=None, longitude=None, client_key: str | None = None) -> Result:
    """Check the logged-in doctor in at a clinic now, for a planned day or an unplanned visit."""
    doctor = doctor_of(by)
    if doctor is None:
        raise Http404
    earlier = _replayed(Visit, client_key, Q(doctor=doctor))
    if earlier is not None:
        return Result(earlier, created=False)
    today = timezone.localdate()
    assignment, pairing, agreement = _resolve_target(doctor, today, assignment, pairing)
    _check_title(doctor, agreement)
    _check_not_elsewhere(doctor, today, pairing)
    lat, lon = _coordinates(latitude, longitude)
    visit = Visit(pairing=pairing, assignment=assignment, doctor=doctor, date=today, status=Visit.Status.CHECKED_IN,
                  check_in_at=timezone.now(), check_in_latitude=lat, check_in_longitude=lon,
                  client_key=client_key or None)
    return _save_once(visit, by, Q(doctor=doctor))


def _resolve_target(doctor, today, assignment, pairing):
    """(assignment, pairing, agreement) of a check-in; the planned day is linked when there is one."""
    if assignment is not None:
        if assignment.doctor_id != doctor.pk or assignment.status != Assignment.Status.PLANNED:
            raise Http404
        if assignment.date != today:
            raise ValidationError({"target": _("This visit is planned for %(date)s, not today.") % {
                "date": assignment.date}})
        return assignment, assignment.agreement.pairing, assignment.agreement
    if pairing is None:
        raise ValidationError({"target": _("Choose the clinic you are at.")})
    if not pairings_for(doctor, today).filter(pk=pairing.pk).exists():
        raise ValidationError({"target": _(
            "Your hospital has no active pairing with %(clinic)s today.") % {"clinic": pairing.clinic.display_name}})
    planned = assignments_on(doctor, today).filter(agreement__pairing=pairing).first()
    if planned is not None:
        return planned, pairing, planned.agreement
    return None, pairing, current_agreement(pairing, today)


def _save_once(obj, by, owner_q: Q) -> Result:
    """Save; if a concurrent send with the same key won the race, return its row instead."""
    try:
        save_validated(obj, by)
    except IntegrityError:
        earlier = _replayed(type(obj), obj.client_key, owner_q)
        if earlier is None:
            raise
        return Result(earlier, created=False)
    except ValidationError as exc:
        # full_clean's unique check on client_key: the concurrent send was committed first.
        earlier = obj.client_key and "client_key" in getattr(exc, "error_dict", {}) and _replayed(
            type(obj), obj.client_key, owner_q)
        if earlier:
            return Result(earlier, created=False)
        raise
    return Result(obj, created=True)


def _own_visit(by, visit: Visit) -> Visit:
    if not Visit.objects.for_user(by, CHANGE).filter(pk=visit.pk).exists():
        raise Http404
    return visit


def visit_check_out(*, by, visit: Visit, latitude=None, longitude=None) -> Result:
    """Check out now. Sent twice, the second send shows the first check-out and changes nothing."""
    _own_visit(by, visit)
    if visit.status == Visit.Status.CHECKED_OUT:
        return Result(visit, created=False)
    if visit.status != Visit.Status.CHECKED_IN:
        raise ValidationError({"visit": _("The clinic has already reviewed this visit; it cannot change.")})
    now = timezone.now()
    if visit.date != timezone.localdate(now):
        raise ValidationError({"visit": _(
            "This visit was on %(date)s; check-out is only possible on the day. "
            "The clinic can still confirm the visit.") % {"date": visit.date}})
    if now < visit.check_in_at:
        raise ValidationError({"visit": _("You cannot check out before you checked in (%(time)s).") % {
            "time": hhmm(visit.check_in_at)}})
    visit.check_out_latitude, visit.check_out_longitude = _coordinates(latitude, longitude)
    visit.check_out_at = now
    visit.status = Visit.Status.CHECKED_OUT
    save_validated(visit, by)
    return Result(visit, created=True)


# ------------------------------------------------------------------------------ work items


def _check_count(kind: str, count) -> int:
    try:
        count = int(count)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"count": _("Enter a whole number.")}) from exc
    if count < 1:
        raise ValidationError({"count": _("The number must be at least 1.")})
    limit = MAX_COUNT.get(kind, 10000)
    if count > limit:
        raise ValidationError({"count": _(
            "%(count)s is more than %(limit)s for one entry of “%(kind)s”; check the number.") % {
            "count": count, "limit": limit, "kind": WorkItem.Kind(kind).label}})
    return count


def _check_open(visit: Visit):
    if visit.status == Visit.Status.CONFIRMED:
        raise ValidationError({"visit": _("The clinic has confirmed this visit; its work log is closed.")})


def work_item_add(*, by, visit: Visit, kind: str, count, topic: str = "", client_key: str | None = None) -> Result:
    """Log one piece of work of a visit. Sent twice with the same key, it is logged once."""
    _own_visit(by, visit)
    earlier = _replayed(WorkItem, client_key, Q(visit=visit))
    if earlier is not None:
        return Result(earlier, created=False)
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        _check_open(visit)
        if kind not in WorkItem.Kind.values:
            raise ValidationError({"kind": _("Choose what kind of work this was.")})
        item = WorkItem(visit=visit, kind=kind, count=_check_count(kind, count), topic=(topic or "").strip(),
                        client_key=client_key or None)
        return _save_once(item, by, Q(visit=visit))


def work_item_delete(*, by, item: WorkItem):
    if not WorkItem.objects.for_user(by, CHANGE).filter(pk=item.pk).exists():
        raise Http404
    _check_open(item.visit)
    item._history_user = by
    item.delete()


# ------------------------------------------------------------------------ the clinic's review


def may_review(user, visit: Visit) -> bool:
    """受援单位日常考核: the staff of the visited clinic review the visit (not the doctor themself)."""
    scope = scope_for(user)
    return scope.is_admin or visit.pairing.clinic_id in scope.clinic_ids


def visit_review(*, by, visit: Visit, decision: str, comment: str = "") -> Visit:
    """The clinic confirms the visit, or disputes it with a comment."""
    if not Visit.objects.for_user(by, VIEW).filter(pk=visit.pk).exists() or not may_review(by, visit):
        raise Http404
    if visit.doctor.user_id == by.pk:
        raise ValidationError({"decision": _("You cannot confirm your own visit.")})
    comment = (comment or "").strip()
    if decision not in (Visit.Status.CONFIRMED, Visit.Status.DISPUTED):
        raise ValidationError({"decision": _("Confirm or dispute the visit.")})
    if decision == Visit.Status.DISPUTED and not comment:
        raise ValidationError({"comment": _("Say what is wrong with the visit.")})
    if visit.status == Visit.Status.CONFIRMED:
        raise ValidationError({"decision": _("This visit is already confirmed.")})
    if visit.status == Visit.Status.CHECKED_IN and visit.date == timezone.localdate():
        raise ValidationError({"decision": _("The doctor is still checked in; review the visit after check-out.")})
    visit.status = decision
    visit.clinic_comment = comment
    visit.confirmed_by = by
    visit.confirmed_at = timezone.now()
    return save_validated(visit, by)
