"""Pages of teams, contracts, the visit day (phone-first) and coverage. Thin: services do the work."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core import audit
from yilian.core.scoping import CHANGE, can
from yilian.core.views import file_response, paginate, query_without_page
from yilian.network.exports import XLSX_CONTENT_TYPE, table_xlsx

from . import coverage as coverage_selectors
from . import services_care as services
from .forms_care import ContractForm, CoverageForm, PackageForm, RenewForm, TeamForm, TerminateForm, VisitForm
from .models import Resident, Tag
from .models_care import Contract, PlannedVisit, ServicePackage, Team, VisitRecord
from .services import clinics_for
from .views import _add_errors

PLAN_HORIZON_DAYS = 30


def _origin(request):
    return audit.origin_of(request)


def _saved(request):
    messages.success(request, _("Saved."))


# ---------------------------------------------------------------------------------- teams, packages


@login_required
def team_list(request):
    teams = Team.objects.for_user(request.user).select_related("clinic").prefetch_related("members__user")
    packages = ServicePackage.objects.for_user(request.user).select_related("clinic").prefetch_related("rules")
    return render(request, "familydoctor/team_list.html", {
        "teams": teams, "packages": packages, "can_add": clinics_for(request.user).exists()})


@login_required
def team_new(request):
    if not clinics_for(request.user).exists():
        raise Http404
    form = TeamForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_create(by=request.user, clinic=form.cleaned_data["clinic"], name=form.cleaned_data["name"],
                                 members=form.members(), origin=_origin(request))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _saved(request)
            return redirect("fd-team-list")
    return render(request, "core/form.html", {"form": form, "title": _("New family-doctor team"),
                                              "cancel": "fd-team-list"})


@login_required
def package_new(request):
    if not clinics_for(request.user).exists():
        raise Http404
    form = PackageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.package_create(by=request.user, clinic=data["clinic"], name=data["name"], kind=data["kind"],
                                    services=data["services"], rules=form.rules(), origin=_origin(request))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _saved(request)
            return redirect("fd-team-list")
    return render(request, "core/form.html", {"form": form, "title": _("New service package"),
                                              "cancel": "fd-team-list"})


# ---------------------------------------------------------------------------------- contracts


@login_required
def contract_list(request):
    contracts = Contract.objects.for_user(request.user).select_related("resident", "team")
    status = request.GET.get("status", "active")
    if status in Contract.Status.values:
        contracts = contracts.filter(status=status)
    return render(request, "familydoctor/contract_list.html", {
        "page": paginate(request, contracts), "query": query_without_page(request), "status": status,
        "statuses": Contract.Status.choices, "can_import": clinics_for(request.user).exists()})


@login_required
def contract_new(request, pk):
    resident = Resident.objects.select_related("household").get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = ContractForm(request.POST or None, resident=resident, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contracts = services.contract_sign(
                by=request.user, resident=resident, team=data["team"], packages=data["packages"],
                start=data["start"], consent=data["consent"], consent_by=data["consent_by"],
                whole_household=data.get("whole_household", False), origin=_origin(request))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Signed: %(n)s contract(s).") % {"n": len(contracts)})
            return redirect("fd-contract-detail", pk=contracts[0].pk)
    return render(request, "familydoctor/contract_form.html", {"form": form, "resident": resident})


@login_required
def contract_detail(request, pk):
    contract = services.contract_read(by=request.user, pk=pk, origin=_origin(request))
    response = render(request, "familydoctor/contract_detail.html", {
        "contract": contract, "events": contract.events.select_related("by"),
        "packages": contract.packages.prefetch_related("rules"),
        "planned": contract.planned_visits.select_related("rule").order_by("-due")[:20],
        "visits": contract.visits.select_related("by")[:20],
        "can_edit": can(request.user, CHANGE, contract) and contract.status == Contract.Status.ACTIVE,
        "can_record": services.may_record(request.user, contract),
        "renew_form": RenewForm(), "terminate_form": TerminateForm(),
    })
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def contract_renew(request, pk):
    contract = Contract.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = RenewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Check the form."))
        new = services.contract_renew(by=request.user, contract=contract, consent=form.cleaned_data["consent"],
                                      reason=form.cleaned_data["reason"], origin=_origin(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("fd-contract-detail", pk=contract.pk)
    _saved(request)
    return redirect("fd-contract-detail", pk=new.pk)


@login_required
@require_POST
def contract_terminate(request, pk):
    contract = Contract.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = TerminateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("State the reason (at least %(n)s characters).") % {
                "n": services.MIN_REASON_LENGTH})
        services.contract_terminate(by=request.user, contract=contract, reason=form.cleaned_data["reason"],
                                    on=form.cleaned_data["on"], origin=_origin(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _saved(request)
    return redirect("fd-contract-detail", pk=contract.pk)


# ---------------------------------------------------------------------------------- the visit day


@login_required
def visit_day(request):
    today = timezone.localdate()
    items = list(services.day_list(request.user, today)[:200])
    return render(request, "familydoctor/visit_day.html", {
        "today": today, "items": items, "teams": services.teams_of(request.user),
        "can_plan": clinics_for(request.user).exists(), "follow_ups": _open_follow_ups(request.user)})


def _open_follow_ups(user):
    """Follow-up tasks from down-referrals (referrals app) that the clinic has not done yet."""
    from yilian.referrals.models import FollowUpTask

    return (FollowUpTask.objects.for_user(user).filter(done_at__isnull=True)
            .select_related("resident", "referral__from_institution").order_by("due", "pk")[:50])


@login_required
@require_POST
def plan_generate(request):
    clinics = list(clinics_for(request.user))
    if not clinics:
        raise Http404
    until = timezone.localdate() + timedelta(days=PLAN_HORIZON_DAYS)
    created = sum(services.generate_visit_plan(clinic, until) for clinic in clinics)
    messages.success(request, _("Visit plan updated: %(n)s visits added.") % {"n": created})
    return redirect("fd-visit-day")


@login_required
def visit_new(request, pk):
    contract = Contract.objects.select_related("resident", "team").get_for_user_or_404(request.user, pk=pk)
    if not services.may_record(request.user, contract):
        raise Http404
    planned = None
    if str(request.GET.get("planned", "")).isdigit():
        planned = PlannedVisit.objects.filter(contract=contract, pk=int(request.GET["planned"])).first()
    form = VisitForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.visit_record(
                by=request.user, contract=contract, planned=planned, date=data["date"], mode=data["mode"],
                systolic=data["systolic"], diastolic=data["diastolic"], glucose=data["glucose"],
                services="\n".join(data["services"]), notes=data["notes"], client_key=data["client_key"] or None,
                origin=_origin(request))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if result.created:
                messages.success(request, _("Visit recorded for %(name)s.") % {"name": contract.resident.name})
            else:
                messages.info(request, _("This visit was already recorded."))
            return redirect("fd-visit-day")
    elif request.method == "GET":
        audit.record(request.user, audit.Action.READ, contract.resident, origin=_origin(request))
    last = VisitRecord.objects.filter(contract__resident=contract.resident_id).first()
    return render(request, "familydoctor/visit_form.html", {
        "form": form, "contract": contract, "planned": planned, "last": last})


# ---------------------------------------------------------------------------------- coverage


def _coverage(request):
    form = CoverageForm(request.GET)
    form.is_valid()
    level = form.cleaned_data.get("level") or "clinic"
    population = form.cleaned_data.get("population") or Tag.ELDERLY_65
    rows = coverage_selectors.coverage_report(request.user, level=level, population=population)
    return form, level, population, rows


def _pct(value):
    return "" if value is None else round(value, 1)


@login_required
def coverage(request):
    form, level, population, rows = _coverage(request)
    target = coverage_selectors.targets()[population]
    table = [{"row": r, "coverage": r.coverage(population), "members": r.population.get(population, [0, 0])}
             for r in rows]
    return render(request, "familydoctor/coverage.html", {
        "form": form, "table": table, "target": target, "population": Tag(population).label,
        "query": request.GET.urlencode()})


@login_required
def coverage_export(request):
    _form, level, population, rows = _coverage(request)
    target = coverage_selectors.targets()[population]
    headers = [str(coverage_selectors.LEVELS[level]), _("Key population members"), _("Contracted"),
               _("Coverage (%)"), _("Target (%)"), _("Planned visits due"), _("Done on time"), _("On time (%)"),
               _("Contracted hypertensive"), _("BP controlled at last visit"), _("Controlled (%)")]
    data = [[r.name, *r.population.get(population, [0, 0]), _pct(r.coverage(population)), target, r.due,
             r.on_time, _pct(r.on_time_share), r.hypertensive, r.controlled, _pct(r.controlled_share)]
            for r in rows]
    content = table_xlsx(_("Coverage"), _("Family-doctor contract coverage: %(population)s") % {
        "population": Tag(population).label}, headers, data)
    return file_response(content, f"coverage-{date.today()}.xlsx", XLSX_CONTENT_TYPE)
