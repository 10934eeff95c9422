"""Referral pages: lists per institution, the send form, a referral's page with its steps, the hub's
duty desk (polled with htmx), the clinic's follow-up tasks, a resident's history and the monthly stats.

Thin: reads through scoped querysets and selectors, writes through services. Every page that
shows a resident's referral writes an audit row (personal data).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core import audit
from yilian.core.scoping import CHANGE, scope_for
from yilian.core.views import paginate
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

from . import selectors, services
from .forms import AcceptForm, DeclineForm, DownReferralForm, DutyShiftForm, ReferralForm
from .models import DutyShift, FollowUpTask, Referral

LIST_RELATED = ("resident", "from_institution", "to_institution", "department", "green_channel")
DESK_PAGE_SIZE = 50


def _add_errors(form, exc: ValidationError):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def referral_list(request):
    tab = request.GET.get("tab", "received")
    scope = scope_for(request.user)
    queryset = selectors.listing(request.user, tab).select_related(*LIST_RELATED)
    return render(request, "referrals/list.html", {
        "page": paginate(request, queryset), "tab": tab, "tabs": selectors.TABS,
        "can_send": bool(scope.clinic_ids) or scope.is_admin})


@login_required
def referral_new(request):
    form = ReferralForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.referral_create(
                by=request.user, resident=data["resident"], hospital=data["department"].hospital,
                department=data["department"], reason=data["reason"], icd_code=data["icd_code"],
                diagnosis=data["diagnosis"], urgency=data["urgency"], consent=data["consent"],
                green_channel=data["green_channel"], attachments=data["attachments"],
                client_key=data["client_key"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Referral sent to %(hospital)s.") % {
                "hospital": result.obj.to_institution.name})
            return redirect("referral-detail", pk=result.obj.pk)
    return render(request, "referrals/new.html", {"form": form})


def _referral(request, pk, action="view"):
    return Referral.objects.select_related(*LIST_RELATED, "resident__clinic__region", "parent").get_for_user_or_404(
        request.user, action, pk=pk)


@login_required
def referral_detail(request, pk):
    referral = _referral(request, pk)
    audit.record(request.user, audit.Action.READ, referral, origin=audit.origin_of(request))
    scope = scope_for(request.user)
    mine = scope.hospital_ids | scope.doctor_institution_ids | scope.clinic_ids
    return render(request, "referrals/detail.html", {
        "r": referral, "is_receiver": scope.is_admin or referral.to_institution_id in mine,
        "is_sender": scope.is_admin or referral.from_institution_id in mine,
        "events": referral.events.select_related("by"), "attachments": referral.attachments.all(),
        "clock": selectors.clock(referral, timezone.now()),
        "accept_form": AcceptForm(), "decline_form": DeclineForm(), "down_form": DownReferralForm(),
        "follow_up": FollowUpTask.objects.filter(Q(referral=referral) | Q(referral__parent=referral)).first(),
        "down_referrals": referral.down_referrals.all()})


@login_required
@require_POST
def referral_step(request, pk, action):
    referral = _referral(request, pk, CHANGE)
    if action not in {"accept", "decline", "cancel", "arrive", "admit", "complete"}:
        raise Http404
    accept, decline = AcceptForm(request.POST), DeclineForm(request.POST)
    accept.is_valid()
    decline.is_valid()
    data = {**getattr(accept, "cleaned_data", {}), **getattr(decline, "cleaned_data", {})}
    try:
        if action == "accept" and referral.direction == Referral.Direction.DOWN:
            services.down_referral_accept(by=request.user, referral=referral)
        else:
            services.referral_advance(by=request.user, referral=referral, action=action,
                                      appointment_at=data.get("appointment_at"), bed=data.get("bed") or "",
                                      decline_reason=data.get("decline_reason") or "",
                                      alternative=data.get("alternative") or "")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    if request.POST.get("back") == "desk":
        return redirect("referral-desk")
    return redirect("referral-detail", pk=referral.pk)


@login_required
@require_POST
def referral_down(request, pk):
    referral = _referral(request, pk, CHANGE)
    form = DownReferralForm(request.POST)
    form.is_valid()
    try:
        down = services.referral_refer_down(by=request.user, referral=referral, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("referral-detail", pk=referral.pk)
    messages.success(request, _("Referred down to %(clinic)s.") % {"clinic": down.to_institution.name})
    return redirect("referral-detail", pk=down.pk)


# ----------------------------------------------------------------------------- duty desk


def _desk_context(request):
    now = timezone.now()
    # most urgent and longest waiting first, a page at a time: a busy hub has hundreds waiting
    page = paginate(request, selectors.desk_queue(request.user).select_related(*LIST_RELATED), DESK_PAGE_SIZE)
    rows = [(r, selectors.clock(r, now)) for r in page]
    return {"rows": rows, "page": page, "now": now, "active": selectors.green_channel_active(request.user)
            .select_related(*LIST_RELATED)}


@login_required
def desk(request):
    scope = scope_for(request.user)
    if not (scope.hospital_ids or scope.doctor_institution_ids or scope.is_admin):
        raise Http404
    return render(request, "referrals/desk.html", _desk_context(request))


@login_required
def desk_queue(request):
    return render(request, "referrals/_desk_queue.html", _desk_context(request))


# ----------------------------------------------------------------------------- clinic follow-ups


@login_required
def follow_up_list(request):
    tasks = (FollowUpTask.objects.for_user(request.user).filter(done_at__isnull=True)
             .select_related("resident", "clinic", "referral__from_institution").order_by("due", "pk"))
    return render(request, "referrals/follow_ups.html", {"page": paginate(request, tasks),
                                                         "today": timezone.localdate()})


@login_required
@require_POST
def follow_up_done(request, pk):
    task = FollowUpTask.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    try:
        services.follow_up_done(by=request.user, task=task, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Follow-up recorded; the referral is closed."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)  # e.g. the family doctor's day page
    return redirect("referral-follow-ups")


# ----------------------------------------------------------------------------- history and stats


@login_required
def resident_history(request, pk):
    resident = Resident.objects.select_related("clinic__region").get_for_user_or_404(request.user, pk=pk)
    referrals = (Referral.objects.for_user(request.user).filter(resident=resident)
                 .select_related(*LIST_RELATED).order_by("-created_at"))
    audit.record(request.user, audit.Action.READ, resident, reason=_("referral history"),
                 origin=audit.origin_of(request))
    return render(request, "referrals/history.html", {"resident": resident, "referrals": referrals})


@login_required
def stats(request):
    scope = scope_for(request.user)
    if not scope.is_supervisor:
        raise Http404
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else timezone.localdate().year
    return render(request, "referrals/stats.html", {
        "year": year, "months": selectors.monthly_stats(request.user, year)})


@login_required
def referral_fhir(request, pk):
    from . import fhir

    referral = _referral(request, pk)
    audit.record(request.user, audit.Action.EXPORT, referral, origin=audit.origin_of(request))
    return JsonResponse(fhir.bundle(referral), json_dumps_params={"ensure_ascii": False})


# ----------------------------------------------------------------------------- roster, notifications


@login_required
def roster(request):
    """The hubs' duty roster: who is on the desk and who leads, shift by shift."""
    scope = scope_for(request.user)
    hubs = Institution.objects.for_user(request.user, CHANGE).filter(
        pk__in=scope.hospital_ids) if not scope.is_admin else Institution.objects.filter(
        kind__in=Institution.HOSPITAL_KINDS)
    form = DutyShiftForm(request.POST or None, hubs=hubs)
    if request.method == "POST" and form.is_valid():
        try:
            services.duty_shift_add(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("referral-roster")
    now = timezone.now()
    shifts = (DutyShift.objects.for_user(request.user).filter(end__gt=now).select_related("hub", "user")
              .order_by("start", "hub_id"))
    return render(request, "referrals/roster.html", {"form": form if hubs.exists() else None,
                                                     "page": paginate(request, shifts), "now": now})


@login_required
def notifications(request):
    """Referral notices live in the platform's one inbox now; old links and bookmarks land there."""
    return redirect("notice-inbox")
