"""Registry pages. Thin: read through scoped querysets and selectors, write through services."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, VIEW, can, scope_for
from yilian.core.views import change_history, file_response, paginate, query_without_page, render_form, save_form

from . import imports, services
from .exports import XLSX_CONTENT_TYPE, responsibility_xlsx, table_xlsx
from .forms import AllianceForm, ImportForm, InstitutionForm, LiaisonForm, PairingForm, PilotForm, RegionForm
from .models import Alliance, Institution, Liaison, Pairing, PilotCommunity, Region
from .selectors import responsibility_table, row_spans, standard_shares, unpaired_clinics


def _visible_districts(user):
    return Region.objects.for_user(user, VIEW).filter(level=Region.Level.DISTRICT)


def _visible_hospitals(user):
    return Institution.objects.for_user(user, VIEW).filter(kind__in=Institution.HOSPITAL_KINDS)


def _pick(queryset, raw):
    """The object a filter parameter names, if the user may see it; a foreign id is ignored."""
    if not raw or not str(raw).isdigit():
        return None
    return queryset.filter(pk=int(raw)).first()


# ---------------------------------------------------------------------------- home


@login_required
def home(request):
    user = request.user
    scope = scope_for(user)
    today = timezone.localdate()
    pairings = Pairing.objects.for_user(user).active_on(today).select_related("hospital", "clinic", "clinic__region")
    context = {
        "today": today,
        "pairings": pairings[:30],
        "pairing_count": pairings.count(),
        "institution_count": Institution.objects.for_user(user).count(),
        "pilot_count": PilotCommunity.objects.for_user(user).count(),
        "unpaired": list(unpaired_clinics(user, today)[:10]),
        "unpaired_count": unpaired_clinics(user, today).count(),
        "hospitals": Institution.objects.filter(pk__in=scope.hospital_ids | scope.doctor_institution_ids),
        "clinics": Institution.objects.filter(pk__in=scope.clinic_ids, parent__isnull=True)
        if scope.clinic_ids else Institution.objects.none(),
        "liaisons": Liaison.objects.for_user(user).select_related("hospital"),
        "standards": standard_shares(user) if scope.is_supervisor else {},
        "no_scope": scope.is_empty,
    }
    if scope.is_supervisor:
        context["districts"] = (
            _visible_districts(user)
            .annotate(pilot_total=Count("children__children__pilots", distinct=True))
            .order_by("path")
        )
    return render(request, "network/home.html", context)


# ------------------------------------------------------------- responsibility table


def _table_filters(request):
    user = request.user
    district = _pick(_visible_districts(user), request.GET.get("district"))
    hospital = _pick(_visible_hospitals(user), request.GET.get("hospital"))
    unpaired_only = request.GET.get("unpaired") == "1"
    return district, hospital, unpaired_only


@login_required
def responsibility(request):
    district, hospital, unpaired_only = _table_filters(request)
    blocks = responsibility_table(request.user, district=district, hospital=hospital, unpaired_only=unpaired_only)
    for block in blocks:
        clinic_spans = row_spans([r.clinics_text for r in block.rows])
        hospital_spans = row_spans([r.hospitals_text or "-" for r in block.rows])
        block.display = list(zip(block.rows, clinic_spans, hospital_spans, strict=True))
    context = {
        "blocks": blocks,
        "pilot_total": sum(len(b.rows) for b in blocks),
        "unpaired_total": sum(1 for b in blocks for r in b.rows if r.unpaired),
        "districts": _visible_districts(request.user).order_by("path"),
        "hospitals": _visible_hospitals(request.user).filter(pairings_given__isnull=False).distinct(),
        "district": district,
        "hospital": hospital,
        "unpaired_only": unpaired_only,
        "unpaired_clinics": unpaired_clinics(request.user) if not hospital else [],
        "query": request.GET.urlencode(),
    }
    template = "network/_responsibility_table.html" if request.htmx else "network/responsibility.html"
    return render(request, template, context)


@login_required
def responsibility_export(request):
    district, hospital, unpaired_only = _table_filters(request)
    blocks = responsibility_table(request.user, district=district, hospital=hospital, unpaired_only=unpaired_only)
    city = Region.objects.for_user(request.user).filter(level=Region.Level.CITY).first()
    title = _("%(city)s secondary and tertiary public hospitals: responsibility table for pairing with pilot "
              "community institutions") % {"city": city.name if city else ""}
    note = _("Exported from Yilian on %(day)s by %(user)s.") % {"day": date.today(), "user": request.user}
    content = responsibility_xlsx(blocks, title=title, note=note)
    return file_response(content, f"responsibility-{date.today()}.xlsx", XLSX_CONTENT_TYPE)


# ---------------------------------------------------------------------- regions


@login_required
def region_list(request):
    regions = Region.objects.for_user(request.user).annotate(
        institution_count=Count("institutions", distinct=True), pilot_count=Count("pilots", distinct=True)
    )
    return render(request, "network/region_list.html", {
        "regions": regions, "can_add": Region.objects.for_user(request.user, CHANGE).exists(),
    })


@login_required
def region_detail(request, pk):
    region = Region.objects.get_for_user_or_404(request.user, pk=pk)
    return render(request, "network/region_detail.html", {
        "region": region,
        "children": region.children.filter(pk__in=Region.objects.for_user(request.user)),
        "institutions": Institution.objects.for_user(request.user).filter(region=region),
        "history": change_history(region),
        "can_edit": can(request.user, CHANGE, region),
    })


@login_required
def region_edit(request, pk=None):
    region = Region.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Region()
    form = RegionForm(request.POST or None, instance=region, user=request.user)
    fields = ("name", "level", "parent", "code")
    done = save_form(request, form, lambda data: services.region_save(
        by=request.user, region=region if pk else None, **{k: data[k] for k in fields}), "region-detail", pk=None)
    return done or render_form(request, form, _("Region"), "region-list")


# ----------------------------------------------------------------- institutions


def _institution_queryset(request):
    qs = Institution.objects.for_user(request.user).select_related("region", "parent")
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(Institution.search_q(text))
    if request.GET.get("kind") in Institution.Kind.values:
        qs = qs.filter(kind=request.GET["kind"])
    if request.GET.get("standard") in Institution.Standard.values:
        qs = qs.filter(standard=request.GET["standard"])
    region = _pick(Region.objects.for_user(request.user), request.GET.get("region"))
    if region:
        qs = qs.filter(region__path__startswith=region.path)
    return qs


@login_required
def institution_list(request):
    page = paginate(request, _institution_queryset(request))
    context = {
        "page": page, "query": query_without_page(request),
        "kinds": Institution.Kind.choices, "standards": Institution.Standard.choices,
        "regions": Region.objects.for_user(request.user).filter(
            level__in=[Region.Level.CITY, Region.Level.DISTRICT]),
        "can_add": Region.objects.for_user(request.user, CHANGE).exists(),
    }
    template = "network/_institution_rows.html" if request.htmx else "network/institution_list.html"
    return render(request, template, context)


@login_required
def institution_export(request):
    rows = [
        [i.name, i.short_name, i.get_kind_display(), i.parent.name if i.parent else "", i.region.name, i.address,
         i.latitude, i.longitude, i.population_served, i.get_standard_display(), i.standard_year, i.phone]
        for i in _institution_queryset(request)
    ]
    headers = [zh for zh, _en, _a in imports.COLUMNS]
    content = table_xlsx(_("Institutions"), _("Institutions"), headers, rows)
    return file_response(content, f"institutions-{date.today()}.xlsx", XLSX_CONTENT_TYPE)


@login_required
def institution_detail(request, pk):
    user = request.user
    institution = Institution.objects.get_for_user_or_404(user, pk=pk)
    pairings = Pairing.objects.for_user(user).filter(Q(hospital=institution) | Q(clinic=institution))
    return render(request, "network/institution_detail.html", {
        "institution": institution,
        "children": Institution.objects.for_user(user).filter(parent=institution),
        "pairings": pairings.select_related("hospital", "clinic").prefetch_related("pilots"),
        "liaisons": Liaison.objects.for_user(user).filter(hospital=institution),
        "pilots": PilotCommunity.objects.for_user(user).filter(serving_institutions=institution),
        "alliances": Alliance.objects.for_user(user).filter(Q(lead=institution) | Q(members=institution)).distinct(),
        "history": change_history(institution),
        "can_edit": can(user, CHANGE, institution),
    })


@login_required
def institution_edit(request, pk=None):
    institution = Institution.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Institution()
    if not pk and not Region.objects.for_user(request.user, CHANGE).exists():
        raise Http404
    form = InstitutionForm(request.POST or None, instance=institution, user=request.user)

    def save(data):
        data = {name: data[name] for name in form.Meta.fields}
        if pk:
            return services.institution_update(by=request.user, institution=institution, **data)
        return services.institution_create(by=request.user, **data)

    done = save_form(request, form, save, "institution-detail", pk=None)
    return done or render_form(request, form, _("Edit institution") if pk else _("New institution"),
                               "institution-list")


def _import_path(token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx"


@login_required
def institution_import(request):
    """Upload → preview with row-level errors → confirm. Nothing is saved unless every row is valid."""
    if not Region.objects.for_user(request.user, CHANGE).exists():
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and request.POST.get("token"):
        return _import_confirm(request, request.POST["token"])
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        report = imports.import_institutions(request.user, content, commit=False)
        context["report"] = report
        if report.ok:
            token = f"{request.user.pk}-{uuid.uuid4().hex}"
            path = _import_path(token)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            context["token"] = token
    return render(request, "network/institution_import.html", context)


def _import_confirm(request, token: str):
    path = _import_path(token)
    if not token.startswith(f"{request.user.pk}-") or "/" in token or not path.exists():
        raise Http404
    report = imports.import_institutions(request.user, path.read_bytes(), commit=True)
    path.unlink(missing_ok=True)
    if report.ok:
        messages.success(request, _("Imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged.") % {
            "new": report.new, "updated": report.updated, "unchanged": report.unchanged})
        return redirect("institution-list")
    return render(request, "network/institution_import.html", {"form": ImportForm(), "report": report})


@login_required
def institution_import_template(request):
    return file_response(imports.template_xlsx(), "institution-import-template.xlsx", XLSX_CONTENT_TYPE)


# ---------------------------------------------------------------------- pilots


@login_required
def pilot_list(request):
    pilots = PilotCommunity.objects.for_user(request.user).select_related("region").prefetch_related(
        "serving_institutions", "pairings__hospital")
    district = _pick(_visible_districts(request.user), request.GET.get("district"))
    if district:
        pilots = pilots.filter(region__path__startswith=district.path)
    return render(request, "network/pilot_list.html", {
        "page": paginate(request, pilots), "query": query_without_page(request),
        "districts": _visible_districts(request.user), "district": district,
        "can_add": Region.objects.for_user(request.user, CHANGE).exists(),
    })


@login_required
def pilot_detail(request, pk):
    pilot = PilotCommunity.objects.get_for_user_or_404(request.user, pk=pk)
    return render(request, "network/pilot_detail.html", {
        "pilot": pilot,
        "institutions": pilot.serving_institutions.filter(pk__in=Institution.objects.for_user(request.user)),
        "pairings": Pairing.objects.for_user(request.user).filter(pilots=pilot).select_related("hospital", "clinic"),
        "history": change_history(pilot),
        "can_edit": can(request.user, CHANGE, pilot),
    })


@login_required
def pilot_edit(request, pk=None):
    pilot = PilotCommunity.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else PilotCommunity()
    if not pk and not Region.objects.for_user(request.user, CHANGE).exists():
        raise Http404
    form = PilotForm(request.POST or None, instance=pilot, user=request.user)
    fields = ("name", "programme", "region", "sequence", "year_entered", "status", "notes")
    done = save_form(request, form, lambda data: services.pilot_save(
        by=request.user, pilot=pilot if pk else None, serving_institutions=data["serving_institutions"],
        **{k: data[k] for k in fields}), "pilot-detail", pk=None)
    return done or render_form(request, form, _("Pilot community"), "pilot-list")


# -------------------------------------------------------------------- alliances


@login_required
def alliance_list(request):
    alliances = Alliance.objects.for_user(request.user).select_related("lead").annotate(
        member_count=Count("members", distinct=True))
    return render(request, "network/alliance_list.html", {
        "alliances": alliances, "can_add": Institution.objects.for_user(request.user, CHANGE).exists()
        and scope_for(request.user).is_supervisor,
    })


@login_required
def alliance_detail(request, pk):
    alliance = Alliance.objects.get_for_user_or_404(request.user, pk=pk)
    return render(request, "network/alliance_detail.html", {
        "alliance": alliance,
        "members": alliance.members.filter(pk__in=Institution.objects.for_user(request.user)).select_related("region"),
        "history": change_history(alliance),
        "can_edit": can(request.user, CHANGE, alliance),
    })


@login_required
def alliance_edit(request, pk=None):
    alliance = Alliance.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Alliance()
    if not scope_for(request.user).is_supervisor:
        raise Http404
    form = AllianceForm(request.POST or None, instance=alliance, user=request.user)
    fields = ("name", "kind", "lead", "established")
    done = save_form(request, form, lambda data: services.alliance_save(
        by=request.user, alliance=alliance if pk else None, members=data["members"],
        **{k: data[k] for k in fields}), "alliance-detail", pk=None)
    return done or render_form(request, form, _("Alliance"), "alliance-list")


# --------------------------------------------------------------------- pairings


@login_required
def pairing_list(request):
    pairings = Pairing.objects.for_user(request.user).select_related(
        "hospital", "clinic", "clinic__region").prefetch_related("pilots")
    hospital = _pick(_visible_hospitals(request.user), request.GET.get("hospital"))
    if hospital:
        pairings = pairings.filter(hospital=hospital)
    district = _pick(_visible_districts(request.user), request.GET.get("district"))
    if district:
        pairings = pairings.filter(clinic__region__path__startswith=district.path)
    text = request.GET.get("q", "").strip()
    if text:
        pairings = pairings.filter(pk__in=Pairing.all_rows.filter(
            Q(clinic__in=Institution.objects.filter(Institution.search_q(text)))
            | Q(hospital__in=Institution.objects.filter(Institution.search_q(text)))).values("pk"))
    return render(request, "network/pairing_list.html", {
        "page": paginate(request, pairings), "query": query_without_page(request),
        "districts": _visible_districts(request.user), "hospitals": _visible_hospitals(request.user),
        "district": district, "hospital": hospital, "today": timezone.localdate(),
        "can_add": Region.objects.for_user(request.user, CHANGE).exists(),
    })


@login_required
def pairing_detail(request, pk):
    pairing = Pairing.objects.get_for_user_or_404(request.user, pk=pk)
    return render(request, "network/pairing_detail.html", {
        "pairing": pairing,
        "pilots": pairing.pilots.filter(pk__in=PilotCommunity.objects.for_user(request.user)),
        "liaisons": Liaison.objects.for_user(request.user).filter(hospital=pairing.hospital),
        "history": change_history(pairing),
        "can_edit": can(request.user, CHANGE, pairing),
        "today": timezone.localdate(),
    })


@login_required
def pairing_edit(request, pk=None):
    pairing = Pairing.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Pairing()
    if not pk and not Region.objects.for_user(request.user, CHANGE).exists():
        raise Http404
    form = PairingForm(request.POST or None, instance=pairing, user=request.user)

    def save(data):
        fields = {k: data[k] for k in services.PAIRING_FIELDS}
        if pk:
            return services.pairing_update(by=request.user, pairing=pairing, pilots=data["pilots"], **fields)
        return services.pairing_create(by=request.user, pilots=data["pilots"], **fields)

    done = save_form(request, form, save, "pairing-detail", pk=None)
    return done or render_form(request, form, _("Edit pairing") if pk else _("New pairing"), "pairing-list")


# --------------------------------------------------------------------- liaisons


def _liaison_rows(user):
    """Annex 2: every visible assisting hospital with its liaisons (blank where none is named yet)."""
    hospitals = _visible_hospitals(user).filter(pairings_given__isnull=False).distinct().order_by("name")
    liaisons = Liaison.objects.for_user(user).select_related("hospital")
    by_hospital: dict[int, list[Liaison]] = {}
    for liaison in liaisons:
        by_hospital.setdefault(liaison.hospital_id, []).append(liaison)
    return [(hospital, by_hospital.get(hospital.pk, [])) for hospital in hospitals]


@login_required
def liaison_list(request):
    return render(request, "network/liaison_list.html", {
        "rows": _liaison_rows(request.user),
        "editable": set(Liaison.hospitals_for(request.user, CHANGE).values_list("pk", flat=True)),
    })


@login_required
def liaison_export(request):
    rows = []
    for hospital, liaisons in _liaison_rows(request.user):
        rows += [[hospital.display_name, li.name, li.department, li.phone, li.remarks] for li in liaisons] or [
            [hospital.display_name, "", "", "", ""]]
    headers = [_("Hospital"), _("Liaison"), _("Department"), _("Phone"), _("Remarks")]
    content = table_xlsx(_("Liaisons"), _("Liaison persons of the assisting hospitals"), headers, rows)
    return file_response(content, f"liaisons-{date.today()}.xlsx", XLSX_CONTENT_TYPE)


@login_required
def liaison_edit(request, pk=None):
    liaison = Liaison.objects.get_for_user_or_404(request.user, CHANGE, pk=pk) if pk else Liaison()
    initial = {"hospital": request.GET.get("hospital")} if not pk else None
    form = LiaisonForm(request.POST or None, instance=liaison, user=request.user, initial=initial)
    if not pk and not form.fields["hospital"].queryset.exists():
        raise Http404
    done = save_form(request, form, lambda data: services.liaison_save(
        by=request.user, liaison=liaison if pk else None, **{k: data[k] for k in services.LIAISON_FIELDS}),
        "liaison-list")
    return done or render_form(request, form, _("Liaison"), "liaison-list",
                               history=change_history(liaison) if pk else None)


@login_required
@require_POST
def liaison_delete(request, pk):
    liaison = Liaison.objects.get_for_user_or_404(request.user, CHANGE, pk=pk)
    services.liaison_delete(by=request.user, liaison=liaison)
    messages.success(request, _("Deleted."))
    return redirect("liaison-list")
