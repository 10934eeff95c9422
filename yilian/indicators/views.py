"""Indicator pages: the region's dashboard, one indicator (trend, breakdowns, map, records), packs,
supervisor-added indicators, the public-health ledgers, surveys and the annual assessment.

Thin: reads through scoped querysets and selectors, writes through services.
"""

from __future__ import annotations

from datetime import date

import yaml
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, scope_for
from yilian.core.views import file_response, paginate
from yilian.network.models import Institution, Region

from . import assessment, engine, exports, packs, selectors, services
from .forms import IndicatorForm, SurveyAnswerForm, WeightForm, ledger_form
from .models import Indicator, Pack, Response, Survey
from .models_ledgers import LEDGERS, HealthEducationActivity
from .packs import PackInvalid


def _today():
    return timezone.localdate()


def _region(request) -> Region:
    raw = request.GET.get("region")
    region = _visible_region(request.user, raw) if raw else selectors.default_region(request.user)
    if region is None:
        raise Http404
    return region


def _visible_region(user, raw) -> Region:
    try:
        return selectors.regions_for(user).get(pk=int(raw))
    except (Region.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def _supervisor_required(user):
    if not scope_for(user).is_supervisor:
        raise Http404


def _indicator_editor_required(user):
    """The city's indicators, targets and weights: out of scope (a district's supervisor) is 404."""
    if not selectors.can_edit_indicators(user):
        raise Http404


# ------------------------------------------------------------------------------------------ dashboard


@login_required
def dashboard(request):
    region = _region(request)
    today = _today()
    groups = selectors.dashboard(region, today)
    counts = {}
    for group in groups:
        for line in group["lines"]:
            counts[line.status] = counts.get(line.status, 0) + 1
    return render(request, "indicators/dashboard.html", {
        "region": region, "groups": groups, "today": today, "counts": counts,
        "regions": selectors.regions_for(request.user)[:200], "labels": engine.Status.LABELS})


@login_required
def indicator_detail(request, pk):
    indicator = get_object_or_404(selectors.indicators_with_targets(), pk=pk)
    region = _region(request)
    today = _today()
    line = selectors.line_for(region, indicator, today)
    institutions = engine.institution_breakdown(region, indicator)
    points = [{"name": r["institution"].display_name, "lat": float(r["institution"].latitude),
               "lon": float(r["institution"].longitude), "value": r["value"],
               "url": _records_url(indicator, region, r["institution"].pk)}
              for r in institutions if r["institution"].latitude is not None]
    targets = [{"value": float(t.value), "deadline": t.deadline.isoformat()} for t in indicator.targets.all()]
    return render(request, "indicators/detail.html", {
        "indicator": indicator, "region": region, "line": line, "today": today,
        "districts": engine.child_region_breakdown(region, indicator),
        "institutions": institutions[:300], "more": max(0, len(institutions) - 300),
        "chart": {"trend": engine.trend(region, indicator, today), "targets": targets, "unit": indicator.unit,
                  "points": points},
        "records_url": _records_url(indicator, region),
        "has_records": "query" in indicator.definition, "weight_form": WeightForm(initial={"weight": indicator.weight}),
        "can_weigh": selectors.can_edit_indicators(request.user)})


def _records_url(indicator, region, institution_id=None) -> str:
    url = reverse("indicator-records", args=[indicator.pk]) + f"?region={region.pk}"
    return url + (f"&institution={institution_id}" if institution_id else "")


@login_required
def indicator_records(request, pk):
    """The rows behind a query indicator's numerator (and denominator), as the user may see them."""
    indicator = get_object_or_404(Indicator, pk=pk)
    region = _region(request)
    query = indicator.definition.get("query")
    if not query:
        return redirect(reverse("indicator-detail", args=[pk]) + f"?region={region.pk}")
    side_name = "denominator" if request.GET.get("side") == "denominator" and query.get("denominator") else \
        "numerator"
    side = query[side_name]
    model = apps.get_model(side["model"])
    rows = _records(request, model, side, query, region)
    return render(request, "indicators/records.html", {
        "indicator": indicator, "region": region, "page": paginate(request, rows), "side": side_name,
        "model_name": model._meta.verbose_name_plural, "has_denominator": bool(query.get("denominator")),
        "institution": request.GET.get("institution", "")})


def _records(request, model, side, query, region):
    rows = model.objects.for_user(request.user).filter(**(side.get("filter") or {})).exclude(
        **(side.get("exclude") or {}))
    if side.get("date"):
        rows = engine.in_period(rows, model, side["date"], _today(), query.get("period", "all"))
    by = side["by"]
    target_path = "" if by in ("id", "pk") else f"{by}__"
    is_region = engine.ends_at(model, by) is Region
    rows = rows.filter(**{f"{target_path}{'path' if is_region else 'region__path'}__startswith": region.path})
    institution = request.GET.get("institution", "")
    if institution.isdigit() and not is_region:
        rows = rows.filter(**{f"{target_path}pk": int(institution)})
    return rows.distinct().order_by("-pk")


# ---------------------------------------------------------------------------------------- packs & edits


@login_required
def pack_list(request):
    packs_ = Pack.objects.prefetch_related("indicators__targets")
    return render(request, "indicators/packs.html", {"packs": packs_, "files": packs.shipped_files(),
                                                      "can_add": selectors.can_edit_indicators(request.user)})


@login_required
def indicator_new(request):
    _indicator_editor_required(request.user)
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data, targets = _indicator_from_form(form.cleaned_data)
        try:
            indicator = services.indicator_create(pack=form.cleaned_data["pack"], data=data, targets=targets)
        except PackInvalid as exc:
            for problem in exc.problems:
                form.add_error(None, f"{problem.field}: {problem.message}")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Indicator added."))
            return redirect("indicator-detail", pk=indicator.pk)
    return render(request, "indicators/indicator_form.html", {"form": form})


FORM_FIELDS = ("code", "name_zh", "name_en", "unit", "direction", "source_sentence")


def _indicator_from_form(data):
    definition = {"metric": data["metric"]} if data["metric"] else {"query": data["query"]}
    fields = {k: data[k] for k in FORM_FIELDS}
    return fields | {"definition": definition}, [(data["target_value"], data["deadline"])]


@login_required
def indicator_edit(request, pk):
    _indicator_editor_required(request.user)
    indicator = get_object_or_404(Indicator, pk=pk)
    if indicator.shipped:
        messages.error(request, _("This indicator comes from its pack file; change it there and reload the pack."))
        return redirect("indicator-detail", pk=pk)
    target = indicator.targets.order_by("deadline").first()
    initial = {**{k: getattr(indicator, k) for k in FORM_FIELDS}, "pack": indicator.pack_id,
               "metric": indicator.metric_name, "target_value": target.value if target else None,
               "deadline": target.deadline if target else None,
               "query": yaml.safe_dump(indicator.definition["query"], allow_unicode=True)
               if "query" in indicator.definition else ""}
    form = IndicatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data, targets = _indicator_from_form(form.cleaned_data)
        try:
            services.indicator_update(indicator=indicator, data=data, targets=targets)
        except PackInvalid as exc:
            for problem in exc.problems:
                form.add_error(None, f"{problem.field}: {problem.message}")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("indicator-detail", pk=pk)
    return render(request, "indicators/indicator_form.html", {"form": form, "indicator": indicator})


@login_required
@require_POST
def indicator_weight(request, pk):
    _indicator_editor_required(request.user)
    indicator = get_object_or_404(Indicator, pk=pk)
    form = WeightForm(request.POST)
    if form.is_valid():
        services.indicator_weight_set(indicator=indicator, weight=form.cleaned_data["weight"])
        messages.success(request, _("Weight saved."))
    else:
        messages.error(request, _("The weight must be a number from 0 to 100."))
    return redirect("indicator-detail", pk=pk)


# ---------------------------------------------------------------------------------------------- ledgers


def _ledger(kind):
    model = LEDGERS.get(kind)
    if model is None:
        raise Http404
    return model


@login_required
def ledger_index(request):
    return render(request, "indicators/ledger_index.html", {"ledgers": [
        (kind, model._meta.verbose_name_plural, model.objects.for_user(request.user).count())
        for kind, model in LEDGERS.items()]})


@login_required
def ledger_list(request, kind):
    model = _ledger(kind)
    rows = model.objects.for_user(request.user).select_related("institution")
    return render(request, "indicators/ledger_list.html", {
        "kind": kind, "model": model, "title": model._meta.verbose_name_plural, "page": paginate(request, rows),
        "columns": exports.ledger_columns(model), "can_add": Institution.objects.for_user(request.user, CHANGE)
        .filter(kind__in=Institution.GRASSROOTS_KINDS).exists()})


@login_required
def ledger_new(request, kind):
    model = _ledger(kind)
    form = ledger_form(model)(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "client_key"}
        try:
            services.ledger_entry_create(by=request.user, model=model, data=data,
                                         client_key=form.cleaned_data.get("client_key") or "")
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("indicator-ledger-list", kind=kind)
    return render(request, "indicators/ledger_form.html", {"form": form, "kind": kind,
                                                             "title": model._meta.verbose_name})


def _add_errors(form, exc: ValidationError):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def ledger_export(request, kind):
    model = _ledger(kind)
    rows = model.objects.for_user(request.user).select_related("institution")
    content = exports.ledger_xlsx(model, rows)
    return file_response(content, f"{kind}-{_today():%Y%m%d}.xlsx", exports.XLSX)


@login_required
def health_education_quotas(request):
    """Wuhai's yearly quotas per clinic: lectures per month, leaflet and video kinds, boards."""
    year = _year(request)
    clinics = Institution.objects.for_user(request.user).filter(kind__in=Institution.GRASSROOTS_KINDS)
    activities = HealthEducationActivity.objects.for_user(request.user).filter(date__year=year)
    as_of = min(_today(), date(year, 12, 31))
    return render(request, "indicators/quotas.html", {
        "year": year, "rows": exports.quota_rows(clinics, activities, as_of), "as_of": as_of})


def _year(request) -> int:
    try:
        return max(2000, min(2100, int(request.GET.get("year", _today().year))))
    except ValueError:
        return _today().year


# ---------------------------------------------------------------------------------------------- surveys


@login_required
def survey_list(request):
    surveys = Survey.objects.for_user(request.user).select_related("region")
    clinics = Institution.objects.for_user(request.user).filter(kind__in=Institution.GRASSROOTS_KINDS)[:200]
    return render(request, "indicators/surveys.html", {"surveys": surveys, "clinics": clinics,
                                                        "can_create": scope_for(request.user).is_supervisor})


@login_required
@require_POST
def survey_create(request):
    _supervisor_required(request.user)
    region = selectors.default_region(request.user)
    services.survey_create_default(region=region)
    messages.success(request, _("Survey created."))
    return redirect("indicator-survey-list")


@login_required
def survey_qr(request, pk, clinic_id):
    survey = Survey.objects.get_for_user_or_404(request.user, pk=pk)
    clinic = Institution.objects.get_for_user_or_404(request.user, pk=clinic_id)
    url = request.build_absolute_uri(reverse("public-survey", args=[survey.pk, clinic.pk]))
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=6)
    return render(request, "indicators/survey_qr.html", {"survey": survey, "clinic": clinic, "url": url, "svg": svg})


def _public_target(survey_id, clinic_id):
    survey = get_object_or_404(Survey, pk=survey_id, active=True)
    clinic = get_object_or_404(Institution, pk=clinic_id, region__path__startswith=survey.region.path)
    return survey, clinic


def public_survey(request, survey_id, clinic_id):
    """No login: a resident answers on their phone after scanning the clinic's QR code (rate-limited
    per address, like every public- page, by yilian.accounts.middleware.RateLimitMiddleware)."""
    survey, clinic = _public_target(survey_id, clinic_id)
    form = SurveyAnswerForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.survey_answer(survey=survey, institution=clinic, phone=data["phone"],
                                   visit_ref=data["visit_ref"], answers=data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("public-survey-thanks", survey_id=survey.pk, clinic_id=clinic.pk)
    return render(request, "indicators/public_survey.html", {"survey": survey, "clinic": clinic, "form": form})


def public_survey_thanks(request, survey_id, clinic_id):
    survey, clinic = _public_target(survey_id, clinic_id)
    return render(request, "indicators/public_thanks.html", {"survey": survey, "clinic": clinic})


@login_required
def survey_results(request, pk):
    survey = Survey.objects.get_for_user_or_404(request.user, pk=pk)
    responses = Response.objects.for_user(request.user).filter(survey=survey).select_related("institution")
    total = responses.count()
    satisfied = responses.filter(satisfied=True).count()
    return render(request, "indicators/survey_results.html", {
        "survey": survey, "page": paginate(request, responses), "total": total, "satisfied": satisfied,
        "share": round(satisfied * 100 / total, 1) if total else None})


# ---------------------------------------------------------------------------------- laggards, assessment


@login_required
def laggard_list(request):
    region = _region(request)
    rows = selectors.laggards(region, _today())
    return render(request, "indicators/laggards.html", {"region": region, "page": paginate(request, rows)})


@login_required
def assessment_view(request):
    region = _region(request)
    result = assessment.assess(region, _year(request), _today())
    fmt = request.GET.get("format")
    if fmt == "xlsx":
        return file_response(exports.assessment_xlsx(result), f"assessment-{result.year}.xlsx", exports.XLSX)
    if fmt == "pdf":
        return file_response(exports.assessment_pdf(result), f"assessment-{result.year}.pdf", "application/pdf")
    return render(request, "indicators/assessment.html", {"result": result, "region": region})
