"""Pages of visits: the doctor's day on a phone, the clinic's review, the ledger of a pairing.

Thin: reads through scoped querysets and the ledger selectors, writes through services_visits.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, can, scope_for
from yilian.core.views import change_history, file_response, paginate, query_without_page
from yilian.network.models import Institution, Pairing

from . import ledger
from . import services_visits as services
from .forms_visits import CheckInForm, CheckOutForm, ReviewForm, WorkItemForm, add_service_error
from .models import Assignment, Doctor, Visit, WorkItem

# ------------------------------------------------------------------------ the doctor's day


def _today_context(request, doctor, *, checkin_form=None, work_form=None):
    today = timezone.localdate()
    visit = (Visit.objects.filter(doctor=doctor, date=today).select_related("pairing__clinic", "assignment")
             .prefetch_related("work_items").first())
    context = {
        "doctor": doctor, "today": today, "visit": visit,
        "open_visits": Visit.objects.filter(doctor=doctor, status=Visit.Status.CHECKED_IN, date__lt=today)
        .select_related("pairing__clinic"),
        "upcoming": Assignment.objects.filter(doctor=doctor, status=Assignment.Status.PLANNED,
                                              date__gt=today, date__lte=today + timedelta(days=14))
        .select_related("agreement__pairing__clinic"),
        "recent": Visit.objects.filter(doctor=doctor, date__lt=today).select_related("pairing__clinic")
        .annotate(item_count=Count("work_items"))[:7],
    }
    if visit is None:
        context["checkin_form"] = checkin_form or CheckInForm(
            assignments=services.assignments_on(doctor, today), pairings=services.pairings_for(doctor, today))
    else:
        context["checkout_form"] = CheckOutForm()
        if visit.status != Visit.Status.CONFIRMED:
            context["work_form"] = work_form or WorkItemForm()
    return context


def _doctor_or_none(request):
    return services.doctor_of(request.user)


@login_required
def today(request):
    doctor = _doctor_or_none(request)
    if doctor is None:
        return render(request, "support/visits/today.html", {"doctor": None, "today": timezone.localdate()})
    return render(request, "support/visits/today.html", _today_context(request, doctor))


@login_required
@require_POST
def check_in(request):
    doctor = _doctor_or_none(request)
    if doctor is None:
        raise Http404
    day = timezone.localdate()
    existing = Visit.objects.filter(doctor=doctor, date=day).select_related("pairing__clinic").first()
    if existing is not None and existing.client_key != request.POST.get("client_key"):
        # a page opened before the check-in, posted again: say where and when the doctor checked in
        messages.error(request, services.already_checked_in(existing))
        return redirect("support-today")
    form = CheckInForm(request.POST, assignments=services.assignments_on(doctor, day),
                       pairings=services.pairings_for(doctor, day))
    if form.is_valid():
        assignment_id, pairing_id = form.target_ids()
        try:
            result = services.visit_check_in(
                by=request.user,
                assignment=Assignment.objects.filter(pk=assignment_id).first() if assignment_id else None,
                pairing=Pairing.all_rows.filter(pk=pairing_id).first() if pairing_id else None,
                latitude=form.cleaned_data["latitude"], longitude=form.cleaned_data["longitude"],
                client_key=form.cleaned_data["client_key"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            visit = result.obj
            messages.success(request, _("Checked in at %(clinic)s at %(time)s.") % {
                "clinic": visit.pairing.clinic.display_name, "time": services.hhmm(visit.check_in_at)})
            return redirect("support-today")
    return render(request, "support/visits/today.html", _today_context(request, doctor, checkin_form=form))


def _visit_for_change(request, pk) -> Visit:
    return Visit.objects.select_related("pairing__clinic", "doctor").get_for_user_or_404(request.user, CHANGE, pk=pk)


def _back(request, visit):
    """Back to the page the form was on: the doctor's day or the visit's page."""
    if request.POST.get("back") == "visit":
        return redirect("visit-detail", pk=visit.pk)
    return redirect("support-today")


@login_required
@require_POST
def check_out(request, pk):
    visit = _visit_for_change(request, pk)
    form = CheckOutForm(request.POST)
    form.is_valid()  # a location that does not parse is dropped, not a reason to keep the doctor in
    data = getattr(form, "cleaned_data", {})
    try:
        result = services.visit_check_out(by=request.user, visit=visit, latitude=data.get("latitude"),
                                          longitude=data.get("longitude"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        template = _("Checked out at %(time)s.") if result.created else _("Already checked out at %(time)s.")
        messages.success(request, template % {"time": services.hhmm(result.obj.check_out_at)})
    return _back(request, visit)


@login_required
@require_POST
def work_add(request, pk):
    visit = _visit_for_change(request, pk)
    form = WorkItemForm(request.POST)
    if form.is_valid():
        try:
            result = services.work_item_add(by=request.user, visit=visit, **form.cleaned_data)
        except ValidationError as exc:
            if "visit" in getattr(exc, "error_dict", {}):  # the visit is closed: no form to correct
                messages.error(request, " ".join(exc.messages))
                return _back(request, visit)
            add_service_error(form, exc)
        else:
            item = result.obj
            messages.success(request, _("Logged: %(kind)s, %(count)s.") % {
                "kind": item.get_kind_display(), "count": item.count})
            return _back(request, visit)
    if request.POST.get("back") == "visit":
        return _render_visit(request, visit, work_form=form)
    doctor = _doctor_or_none(request)
    if doctor is None or doctor.pk != visit.doctor_id:
        return _render_visit(request, visit, work_form=form)
    return render(request, "support/visits/today.html", _today_context(request, doctor, work_form=form))


@login_required
@require_POST
def work_delete(request, pk):
    item = WorkItem.objects.select_related("visit").get_for_user_or_404(request.user, CHANGE, pk=pk)
    try:
        services.work_item_delete(by=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted."))
    return _back(request, item.visit)


# ----------------------------------------------------------------------- visits and review


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(raw) -> date | None:
    match = MONTH.match(raw or "")
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _pick(queryset, raw):
    if not raw or not str(raw).isdigit():
        return None
    return queryset.filter(pk=int(raw)).first()


def _visit_filters(request, visits):
    month = _month(request.GET.get("month"))
    if month:
        following = (month + timedelta(days=32)).replace(day=1)
        visits = visits.filter(date__gte=month, date__lt=following)
    status = request.GET.get("status")
    if status in Visit.Status.values:
        visits = visits.filter(status=status)
    visible = Institution.objects.for_user(request.user)
    clinic = _pick(visible.filter(kind__in=Institution.GRASSROOTS_KINDS), request.GET.get("clinic"))
    if clinic:
        visits = visits.filter(pairing__clinic=clinic)
    hospital = _pick(visible.filter(kind__in=Institution.HOSPITAL_KINDS), request.GET.get("hospital"))
    if hospital:
        visits = visits.filter(pairing__hospital=hospital)
    return visits, {"month": month, "status": status, "clinic": clinic, "hospital": hospital}


@login_required
def visit_list(request):
    """受援单位日常考核 / 支援单位平时督查: the visits the user may see, to review or to watch."""
    visits = (Visit.objects.for_user(request.user)
              .select_related("doctor", "pairing__clinic", "pairing__hospital")
              .annotate(item_count=Count("work_items")).order_by("-date", "doctor__name", "pk"))
    visits, chosen = _visit_filters(request, visits)
    scope = scope_for(request.user)
    institutions = Institution.objects.for_user(request.user).filter(
        pk__in=Pairing.objects.for_user(request.user).values("clinic_id"))
    return render(request, "support/visits/visit_list.html", {
        "page": paginate(request, visits), "query": query_without_page(request), **chosen,
        "statuses": Visit.Status.choices, "clinics": institutions,
        "hospitals": Institution.objects.for_user(request.user).filter(
            pk__in=Pairing.objects.for_user(request.user).values("hospital_id")),
        "reviewer": bool(scope.clinic_ids) or scope.is_admin,
        "to_review": Visit.objects.for_user(request.user).filter(
            status=Visit.Status.CHECKED_OUT, pairing__clinic_id__in=scope.clinic_ids).count()
        if scope.clinic_ids else 0,
    })


def _render_visit(request, visit, *, work_form=None, review_form=None, status=200):
    user = request.user
    may_change = can(user, CHANGE, visit) and visit.status != Visit.Status.CONFIRMED
    may_review = (services.may_review(user, visit) and visit.doctor.user_id != user.pk
                  and visit.status != Visit.Status.CONFIRMED)
    return render(request, "support/visits/visit_detail.html", {
        "visit": visit, "items": visit.work_items.order_by("created_at", "pk"),
        "work_form": (work_form or WorkItemForm()) if may_change else None,
        "review_form": (review_form or ReviewForm()) if may_review else None,
        "history": change_history(visit),
    }, status=status)


@login_required
def visit_detail(request, pk):
    visit = Visit.objects.select_related("doctor", "pairing__clinic", "pairing__hospital", "confirmed_by") \
        .get_for_user_or_404(request.user, pk=pk)
    return _render_visit(request, visit)


@login_required
@require_POST
def visit_review(request, pk):
    visit = Visit.objects.select_related("doctor", "pairing__clinic", "pairing__hospital") \
        .get_for_user_or_404(request.user, pk=pk)
    if not services.may_review(request.user, visit):
        raise Http404
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.visit_review(by=request.user, visit=visit, **form.cleaned_data)
        except ValidationError as exc:
            if "comment" not in getattr(exc, "error_dict", {}):  # the visit's state, not the form, is the problem
                messages.error(request, " ".join(exc.messages))
                return redirect("visit-detail", pk=visit.pk)
            add_service_error(form, exc)
        else:
            messages.success(request, _("Visit confirmed.") if visit.status == Visit.Status.CONFIRMED
                             else _("Visit disputed; the doctor and the hospital see your comment."))
            return redirect("visit-list")
    return _render_visit(request, visit, review_form=form)


# -------------------------------------------------------------------------------- the ledger


@login_required
def ledger_index(request):
    """The pairings whose ledger the user may open."""
    pairings = (Pairing.objects.for_user(request.user).select_related("hospital", "clinic")
                .annotate(visit_count=Count("visits")).order_by("hospital__name", "clinic__name"))
    return render(request, "support/visits/ledger_index.html", {
        "page": paginate(request, pairings), "query": query_without_page(request),
    })


def _ledger_request(request, pk):
    pairing = Pairing.objects.select_related("hospital", "clinic").get_for_user_or_404(request.user, pk=pk)
    doctors = Doctor.objects.filter(hospital_id=pairing.hospital_id)
    return pairing, doctors, ledger.LedgerFilters.from_query(request.GET, doctors)


@login_required
def pairing_ledger(request, pk):
    pairing, doctors, filters = _ledger_request(request, pk)
    visits = ledger.ledger_visits(request.user, pairing, filters)
    return render(request, "support/visits/ledger.html", {
        "pairing": pairing, "filters": filters, "doctors": doctors.order_by("name"),
        "page": paginate(request, visits), "query": query_without_page(request),
        "totals": ledger.ledger_totals(request.user, pairing, filters),
        "kinds": WorkItem.Kind.choices, "statuses": Visit.Status.choices,
        "export_query": request.GET.urlencode(),
    })


@login_required
def pairing_ledger_export(request, pk):
    pairing, _doctors, filters = _ledger_request(request, pk)
    content = ledger.ledger_xlsx(request.user, pairing, filters)
    name = f"ledger-{pairing.hospital.display_name}-{pairing.clinic.display_name}-{timezone.localdate()}.xlsx"
    return file_response(content, name, ledger.XLSX_CONTENT_TYPE)
