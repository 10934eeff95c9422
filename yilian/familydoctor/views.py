"""Resident pages. Thin: read through scoped querysets and audited services, write through services.

ID and phone numbers are masked on every page and in every export; the reveal page shows one
number once, for a stated reason, and is not cached.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, time
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from yilian.core import audit
from yilian.core.models import AuditEntry
from yilian.core.scoping import CHANGE, can, scope_for
from yilian.core.views import file_response, paginate, query_without_page
from yilian.network.exports import XLSX_CONTENT_TYPE, table_xlsx

from . import idnumber, imports, imports_contracts, services, services_import
from .forms import AuditFilterForm, HouseholdForm, ImportForm, ResidentForm, RevealForm, TagForm
from .models import REVEAL, Household, ImportJob, Resident, ResidentTag, Tag

EXPORT_LIMIT = 50_000


def _pick(queryset, raw):
    if not raw or not str(raw).isdigit():
        return None
    return queryset.filter(pk=int(raw)).first()


def _origin(request):
    return audit.origin_of(request)


# ---------------------------------------------------------------------------------- list, export


def _resident_queryset(request):
    user = request.user
    qs = Resident.objects.for_user(user).select_related("clinic", "community").search(request.GET.get("q", ""))
    if request.GET.get("tag") in Tag.values:
        qs = qs.filter(tags__kind=request.GET["tag"])
    community = _pick(services.communities_for(user, action="view"), request.GET.get("community"))
    if community:
        qs = qs.filter(community=community)
    return qs


@login_required
def resident_list(request):
    user = request.user
    context = {
        "page": paginate(request, _resident_queryset(request).prefetch_related(
            Prefetch("tags", queryset=ResidentTag.objects.only("resident_id", "kind")))),
        "query": query_without_page(request),
        "tags": Tag.choices,
        "communities": services.communities_for(user, action="view").order_by("path"),
        "can_add": services.clinics_for(user).exists(),
        "no_scope": not (scope_for(user).is_admin or scope_for(user).clinic_ids or scope_for(user).region_paths),
    }
    template = "familydoctor/_resident_rows.html" if request.htmx else "familydoctor/resident_list.html"
    return render(request, template, context)


@login_required
def resident_export(request):
    """The list as filtered, masked; one audit entry per exported resident."""
    residents = list(_resident_queryset(request).select_related("clinic__region", "household").prefetch_related(
        "tags")[:EXPORT_LIMIT])
    rows = [[r.name, r.get_sex_display(), r.birth_date, r.masked_id, r.masked_phone, r.address,
             r.community.name if r.community else "", r.clinic.name, r.household_id or "",
             "、".join(str(t.get_kind_display()) for t in r.tags.all())] for r in residents]
    headers = [pgettext("person", "Name"), _("Sex"), _("Birth date"), _("ID number"), _("Phone"), _("Address"),
               _("Community"), _("Responsible clinic"), _("Household"), _("Key populations")]
    audit.record_many(request.user, audit.Action.EXPORT, residents, origin=_origin(request))
    content = table_xlsx(_("Residents"), _("Residents (ID and phone numbers masked)"), headers, rows)
    return file_response(content, f"residents-{date.today()}.xlsx", XLSX_CONTENT_TYPE)


# ---------------------------------------------------------------------------------- detail


def _detail_context(request, resident):
    user = request.user
    members = []
    if resident.household_id:
        members = list(Resident.objects.for_user(user).filter(household_id=resident.household_id)
                       .exclude(pk=resident.pk).only("id", "name", "id_number", "sex", "birth_date"))
    return {
        "resident": resident,
        "tags": resident.tags.select_related("recorded_by"),
        "contracts": resident.contracts.select_related("team")[:10],
        "members": members,
        "can_edit": can(user, CHANGE, resident),
        "can_reveal": can(user, REVEAL, resident),
        "is_supervisor": scope_for(user).is_supervisor,
        "reveal_form": RevealForm(),
        "tag_form": TagForm(),
        "today": timezone.localdate(),
    }


@login_required
def resident_detail(request, pk):
    resident = services.resident_read(by=request.user, pk=pk, origin=_origin(request))
    response = render(request, "familydoctor/resident_detail.html", _detail_context(request, resident))
    add_never_cache_headers(response)
    return response


@login_required
def resident_edit(request, pk=None):
    user = request.user
    if pk:
        resident = Resident.objects.select_related("household").get_for_user_or_404(user, CHANGE, pk=pk)
    else:
        resident = None
        if not services.clinics_for(user).exists():
            raise Http404
    form = ResidentForm(request.POST or None, user=user, resident=resident)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        extra = {"household_head": data.pop("household_head"), "origin": _origin(request)}
        try:
            if resident is None:
                resident = services.resident_create(by=user, **extra, **data)
            else:
                resident = services.resident_update(
                    by=user, resident=resident, leave_household=data.pop("leave_household", False), **extra, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("resident-detail", pk=resident.pk)
    elif resident is not None and request.method == "GET":
        audit.record(user, audit.Action.READ, resident, origin=_origin(request))
    return render(request, "familydoctor/resident_form.html", {
        "form": form, "resident": resident,
        "title": _("Edit resident") if resident else _("New resident"), "cancel": "resident-list",
    })


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def resident_reveal(request, pk):
    """Show one full number once, after a stated reason; GET shows the form."""
    resident = Resident.objects.select_related("clinic__region").get_for_user_or_404(request.user, REVEAL, pk=pk)
    form = RevealForm(request.POST or None, initial={"field": request.GET.get("field", "id_number")})
    value = None
    if request.method == "POST" and form.is_valid():
        try:
            value = services.resident_reveal(by=request.user, resident=resident, field=form.cleaned_data["field"],
                                             reason=form.cleaned_data["reason"], origin=_origin(request))
        except ValidationError as exc:
            _add_errors(form, exc)
    context = {"resident": resident, "form": form, "value": value,
               "field_label": dict(form.fields["field"].choices).get(form.data.get("field", ""), "")}
    template = "familydoctor/_reveal.html" if request.htmx else "familydoctor/resident_reveal.html"
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


@login_required
def tag_add(request, pk):
    resident = Resident.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.tag_add(by=request.user, resident=resident, origin=_origin(request), **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "familydoctor/tag_form.html", {"form": form, "resident": resident})


@login_required
@require_POST
def tag_remove(request, pk, tag_pk):
    resident = Resident.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    tag = ResidentTag.objects.filter(resident=resident, pk=tag_pk).first()
    if tag is None:
        raise Http404
    try:
        services.tag_remove(by=request.user, tag=tag, origin=_origin(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted."))
    return redirect("resident-detail", pk=resident.pk)


# ---------------------------------------------------------------------------------- households


@login_required
def household_detail(request, pk):
    household = Household.objects.select_related("community", "clinic", "head").get_for_user_or_404(request.user, pk=pk)
    members = list(Resident.objects.for_user(request.user).filter(household=household).select_related(
        "clinic__region").prefetch_related("tags"))
    audit.record_many(request.user, audit.Action.READ, members, origin=_origin(request))  # the page shows them all
    return render(request, "familydoctor/household_detail.html", {
        "household": household, "members": members, "can_edit": can(request.user, CHANGE, household),
        "today": timezone.localdate(),
    })


@login_required
def household_edit(request, pk):
    household = Household.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    form = HouseholdForm(request.POST or None, user=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(by=request.user, household=household, origin=_origin(request),
                                      **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("household-detail", pk=household.pk)
    return render(request, "familydoctor/household_form.html", {"form": form, "household": household})


# ---------------------------------------------------------------------------------- import


def _pending_path(token: str) -> Path:
    return services_import.pending_path(token)


@login_required
def resident_import(request):
    """Upload → preview (masked) with row-level errors → confirm. Nothing is saved unless every row is valid."""
    user = request.user
    if not services.clinics_for(user).exists():
        raise Http404
    if request.method == "POST" and request.POST.get("token"):
        return _import_confirm(request, request.POST["token"], request.POST.get("clinic", ""))
    form = ImportForm(request.POST or None, request.FILES or None, user=user)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        clinic = form.cleaned_data["clinic"]
        report = imports.import_residents(user, clinic, content, commit=False)
        context.update(report=report, clinic=clinic)
        if report.ok:
            context["token"] = _keep_for_confirmation(user, content, _pending_path)
    return render(request, "familydoctor/resident_import.html", context)


def _keep_for_confirmation(user, content: bytes, path_of) -> str:
    """Keep a previewed sheet (readable by this process only) under a token the confirmation names."""
    token = f"{user.pk}-{uuid.uuid4().hex}"
    path = path_of(token)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(content)
    os.chmod(path, 0o600)
    return token


def _import_confirm(request, token: str, clinic_id: str):
    """Queue the previewed sheet for the worker and show the job's progress."""
    user = request.user
    path = _pending_path(token)
    clinic = _pick(services.clinics_for(user), clinic_id)
    if not token.startswith(f"{user.pk}-") or "/" in token or not path.exists() or clinic is None:
        raise Http404
    job = services_import.import_job_start(by=user, clinic=clinic, token=token)
    return redirect("resident-import-job", pk=job.pk)


@login_required
def resident_import_job(request, pk):
    job = ImportJob.objects.select_related("clinic").get_for_user_or_404(request.user, pk=pk)
    template = "familydoctor/_import_job.html" if request.htmx else "familydoctor/import_job.html"
    return render(request, template, {"job": job})


@login_required
def resident_import_template(request):
    return file_response(imports.template_xlsx(), "resident-import-template.xlsx", XLSX_CONTENT_TYPE)


def _contract_pending_path(token: str) -> Path:
    return services_import.pending_path(token, ImportJob.Kind.CONTRACTS)


@login_required
def contract_import(request):
    """Upload → preview (masked) with row-level errors → confirm: the worker signs them. All rows or none."""
    user = request.user
    if not services.clinics_for(user).exists():
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None, user=user)
    form.fields["clinic"].label = pgettext("family doctor", "Clinic")
    context = {"form": form}
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        path = _contract_pending_path(token)
        clinic = _pick(services.clinics_for(user), request.POST.get("clinic", ""))
        if not token.startswith(f"{user.pk}-") or "/" in token or not path.exists() or clinic is None:
            raise Http404
        job = services_import.import_job_start(by=user, clinic=clinic, token=token, kind=ImportJob.Kind.CONTRACTS)
        return redirect("resident-import-job", pk=job.pk)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        clinic = form.cleaned_data["clinic"]
        report = imports_contracts.import_contracts(user, clinic, content, commit=False)
        context.update(report=report, clinic=clinic)
        if report.ok:
            context["token"] = _keep_for_confirmation(user, content, _contract_pending_path)
    return render(request, "familydoctor/contract_import.html", context)


@login_required
def contract_import_template(request):
    return file_response(imports_contracts.template_xlsx(), "contract-import-template.xlsx", XLSX_CONTENT_TYPE)


# ---------------------------------------------------------------------------------- audit log


def _audit_queryset(request, form):
    entries = AuditEntry.objects.for_user(request.user).select_related("user")
    if not form.is_valid():
        return entries.none()
    data = form.cleaned_data
    if data["action"]:
        entries = entries.filter(action=data["action"])
    if data["user"]:
        entries = entries.filter(username__icontains=data["user"].strip())
    tz = timezone.get_current_timezone()
    if data["date_from"]:
        entries = entries.filter(at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
    if data["date_to"]:
        entries = entries.filter(at__lte=datetime.combine(data["date_to"], time.max, tzinfo=tz))
    resident_pk = request.GET.get("resident_id", "")
    text = data["resident"].strip()
    if resident_pk.isdigit():
        entries = entries.filter(object_type="familydoctor.resident", object_id=int(resident_pk))
    elif text:
        number = idnumber.normalise(text)
        match = Q(id_number=number) if idnumber.is_valid(number) else Q(name__contains=text)
        ids = Resident.objects.for_user(request.user).filter(match).values("pk")
        entries = entries.filter(object_type="familydoctor.resident", object_id__in=ids)
    return entries


def _require_auditor(user):
    if not scope_for(user).is_supervisor:
        raise Http404


@login_required
def audit_list(request):
    _require_auditor(request.user)
    form = AuditFilterForm(request.GET)
    resident = None
    if request.GET.get("resident_id", "").isdigit():
        resident = Resident.objects.for_user(request.user).filter(pk=int(request.GET["resident_id"])).first()
    return render(request, "familydoctor/audit_list.html", {
        "form": form, "page": paginate(request, _audit_queryset(request, form)),
        "query": query_without_page(request), "resident": resident,
    })


@login_required
def audit_export(request):
    _require_auditor(request.user)
    form = AuditFilterForm(request.GET)
    entries = list(_audit_queryset(request, form)[:EXPORT_LIMIT])
    rows = [[timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.username, e.get_action_display(),
             e.object_type, e.object_id, e.summary, e.reason, e.ip or "", e.request_id] for e in entries]
    headers = [_("When"), _("User"), _("Action"), _("Object type"), _("Object id"), _("Summary"),
               _("Reason for viewing"), _("IP address"), _("Request id")]
    audit.record(request.user, audit.Action.EXPORT, object_type="core.auditentry", origin=_origin(request),
                 summary=_("audit log: %(n)s entries") % {"n": len(entries)},
                 region_path=(scope_for(request.user).region_paths or ("",))[0])
    content = table_xlsx(_("Audit log"), _("Audit log (numbers masked)"), headers, rows)
    return file_response(content, f"audit-{date.today()}.xlsx", XLSX_CONTENT_TYPE)
