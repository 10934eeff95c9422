"""Remote-reading pages: send a study, the reading centre's worklist (polled with htmx), a study's
page with its 12-lead sheet or images and its report, the report PDF, the monthly turnaround view,
consultations and a resident's reading record.

Thin: reads through scoped querysets and selectors, writes through services. Every page that shows
a resident's study writes an audit row.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core import audit
from yilian.core.scoping import CHANGE, scope_for
from yilian.core.views import paginate
from yilian.familydoctor.models import Resident

from . import display, imaging, selectors, services
from .forms import ConfirmForm, ConsultationForm, GreenChannelForm, OpinionForm, ReportForm, StudyForm
from .models import Consultation, Report, Study, StudyFile


def _add_errors(form, exc: ValidationError):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _study(request, pk, action="view"):
    return Study.objects.select_related(*selectors.LIST_RELATED, "clinic__region", "sent_by").get_for_user_or_404(
        request.user, action, pk=pk)


def _is_reader(user, study) -> bool:
    return scope_for(user).is_admin or study.centre_id in services.reading_institutions(user)


def _is_sender(user, study) -> bool:
    return scope_for(user).is_admin or study.clinic_id in scope_for(user).clinic_ids


# ----------------------------------------------------------------------------- studies


@login_required
def study_list(request):
    scope = scope_for(request.user)
    rows = (selectors.sent(request.user) if scope.clinic_ids else
            Study.objects.for_user(request.user).order_by("-sent_at", "-pk"))
    page = paginate(request, rows.select_related(*selectors.LIST_RELATED))
    now = timezone.now()
    return render(request, "telehealth/list.html", {
        "page": page, "rows": [(s, selectors.clock(s, now)) for s in page],
        "can_send": bool(scope.clinic_ids) or scope.is_admin})


@login_required
def study_new(request):
    form = StudyForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.study_create(
                by=request.user, resident=data["resident"], modality=data["modality"], urgency=data["urgency"],
                question=data["question"], files=data["files"], centre=data["centre"],
                client_key=data["client_key"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Study sent to %(centre)s.") % {"centre": result.obj.centre.name})
            return redirect("telehealth-study", pk=result.obj.pk)
    return render(request, "telehealth/new.html", {"form": form})


@login_required
def study_detail(request, pk):
    study = _study(request, pk)
    audit.record(request.user, audit.Action.READ, study, origin=audit.origin_of(request))
    report = Report.objects.filter(study=study).select_related("signed_by", "referral").first()
    reader, sender = _is_reader(request.user, study), _is_sender(request.user, study)
    files = list(study.files.all())
    context = {
        "s": study, "report": report, "files": files, "is_reader": reader, "is_sender": sender,
        "ecg_svg": display.ecg_sheet(study, files), "images": display.images(files),
        "has_dicom_images": any(f.kind == StudyFile.Kind.DICOM_IMAGE for f in files),
        "header": display.header_fields(files, reveal=reader or sender),
        "presets": [(key, label) for key, (label, _c, _w) in imaging.PRESETS.items()],
        "clock": selectors.clock(study, timezone.now()), "report_form": ReportForm(),
        "reveal": reader or sender}
    if report is not None and report.critical and sender and report.referral_id is None:
        defaults = services.green_channel_defaults(report)
        context["green_form"] = GreenChannelForm(hospital=study.centre, initial={
            "department": defaults["department"], "icd_code": defaults["icd_code"], "consent": True})
        context["green_defaults"] = defaults
    return render(request, "telehealth/detail.html", context)


@login_required
def study_file(request, pk, file_pk):
    """The uploaded bytes, only as a download and with the type their content was checked to be."""
    study = _study(request, pk)
    row = StudyFile.objects.filter(study=study, pk=file_pk).first()
    if row is None:
        raise Http404
    audit.record(request.user, audit.Action.EXPORT, study, reason=row.name, origin=audit.origin_of(request))
    return display.download(row)


@login_required
def study_image(request, pk, file_pk):
    """A DICOM image rendered to PNG with a window/level preset; header identifiers never in the PNG."""
    study = _study(request, pk)
    row = StudyFile.objects.filter(study=study, pk=file_pk, kind__in=display.PREVIEW_KINDS).first()
    if row is None:
        raise Http404
    preset = request.GET.get("preset", "default")
    frame = request.GET.get("frame", "0")
    png = display.dicom_png(row, preset if preset in imaging.PRESETS else "default",
                            int(frame) if frame.isdigit() else 0)
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def study_claim(request, pk):
    study = _study(request, pk, CHANGE)
    try:
        if request.POST.get("release"):
            services.study_release(by=request.user, study=study)
        elif request.POST.get("cancel"):
            services.study_cancel(by=request.user, study=study)
        else:
            services.study_claim(by=request.user, study=study)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("telehealth-study", pk=study.pk)


@login_required
@require_POST
def study_report(request, pk):
    study = _study(request, pk, CHANGE)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a recommendation."))
        return redirect("telehealth-study", pk=study.pk)
    try:
        report = services.report_sign(by=request.user, study=study, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Report signed; the clinic has been alerted.") if report.critical
                         else _("Report signed."))
    return redirect("telehealth-study", pk=study.pk)


@login_required
@require_POST
def study_green_channel(request, pk):
    study = _study(request, pk, CHANGE)
    report = Report.objects.filter(study=study).first()
    if report is None:
        raise Http404
    form = GreenChannelForm(request.POST, hospital=study.centre)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("telehealth-study", pk=study.pk)
    try:
        result = services.green_channel_referral(by=request.user, report=report, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("telehealth-study", pk=study.pk)
    messages.success(request, _("Green-channel referral sent to %(hospital)s.") % {
        "hospital": result.obj.to_institution.name})
    return redirect("referral-detail", pk=result.obj.pk)


@login_required
def report_pdf(request, pk):
    study = _study(request, pk)
    report = Report.objects.filter(study=study).select_related("signed_by").first()
    if report is None:
        raise Http404
    audit.record(request.user, audit.Action.EXPORT, study, reason="report pdf", origin=audit.origin_of(request))
    pdf = display.report_pdf(study, report, reveal=_is_reader(request.user, study) or _is_sender(request.user, study))
    return display.pdf_response(pdf, f"report-{study.pk}.pdf")


@login_required
def study_fhir(request, pk):
    from . import fhir

    study = _study(request, pk)
    report = Report.objects.filter(study=study).first()
    if report is None:
        raise Http404
    audit.record(request.user, audit.Action.EXPORT, study, reason="fhir", origin=audit.origin_of(request))
    return JsonResponse(fhir.bundle(report), json_dumps_params={"ensure_ascii": False})


# ----------------------------------------------------------------------------- worklist


def _worklist_context(request):
    now = timezone.now()
    page = paginate(request, selectors.worklist(request.user).select_related(*selectors.LIST_RELATED))
    return {"page": page, "rows": [(s, selectors.clock(s, now)) for s in page], "now": now}


@login_required
def worklist(request):
    scope = scope_for(request.user)
    if not (scope.hospital_ids or scope.doctor_institution_ids or scope.is_admin):
        raise Http404
    return render(request, "telehealth/worklist.html", _worklist_context(request))


@login_required
def worklist_rows(request):
    return render(request, "telehealth/_worklist_rows.html", _worklist_context(request))


@login_required
def stats(request):
    scope = scope_for(request.user)
    if not (scope.is_supervisor or scope.hospital_ids):
        raise Http404
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError(year)
    except (ValueError, TypeError):
        year, month = today.year, today.month
    return render(request, "telehealth/stats.html", {
        "month": f"{year:04d}-{month:02d}", **selectors.monthly(request.user, year, month)})


# ----------------------------------------------------------------------------- consultations


def _consultation(request, pk, action="view"):
    return Consultation.objects.select_related("resident", "clinic__region", "department", "hospital").\
        get_for_user_or_404(request.user, action, pk=pk)


@login_required
def consultation_list(request):
    scope = scope_for(request.user)
    rows = Consultation.objects.for_user(request.user).select_related("resident", "clinic", "department", "hospital")
    return render(request, "telehealth/consultations.html", {
        "page": paginate(request, rows), "can_request": bool(scope.clinic_ids) or scope.is_admin})


@login_required
def consultation_new(request):
    form = ConsultationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.consultation_request(
                by=request.user, resident=data["resident"], department=data["department"],
                requested_for=data["requested_for"], question=data["question"], studies=data["studies"],
                client_key=data["client_key"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Consultation requested."))
            return redirect("telehealth-consultation", pk=result.obj.pk)
    return render(request, "telehealth/consultation_new.html", {"form": form})


@login_required
def consultation_detail(request, pk):
    row = _consultation(request, pk)
    audit.record(request.user, audit.Action.READ, row, origin=audit.origin_of(request))
    is_host = scope_for(request.user).is_admin or row.hospital_id in services.reading_institutions(request.user)
    return render(request, "telehealth/consultation.html", {
        "c": row, "studies": row.studies.all(), "is_host": is_host,
        "confirm_form": ConfirmForm(initial={"slot": row.requested_for}), "opinion_form": OpinionForm()})


@login_required
@require_POST
def consultation_step(request, pk, step):
    row = _consultation(request, pk, CHANGE)
    form = (ConfirmForm if step == "confirm" else OpinionForm)(request.POST)
    if step not in {"confirm", "opinion"}:
        raise Http404
    try:
        if not form.is_valid():
            raise ValidationError(" ".join(m for errors in form.errors.values() for m in errors))
        if step == "confirm":
            services.consultation_confirm(by=request.user, consultation=row, slot=form.cleaned_data["slot"])
        else:
            services.consultation_opinion(by=request.user, consultation=row, opinion=form.cleaned_data["opinion"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("telehealth-consultation", pk=row.pk)


@login_required
def resident_record(request, pk):
    """The resident's remote readings and consultation opinions, for the resident's record."""
    resident = Resident.objects.select_related("clinic__region").get_for_user_or_404(request.user, pk=pk)
    studies = (Study.objects.for_user(request.user).filter(resident=resident)
               .select_related("centre", "report").order_by("-sent_at"))
    consultations = (Consultation.objects.for_user(request.user).filter(resident=resident)
                     .select_related("department", "hospital").order_by("-requested_at"))
    audit.record(request.user, audit.Action.READ, resident, reason=_("remote reading record"),
                 origin=audit.origin_of(request))
    return render(request, "telehealth/resident.html", {"resident": resident, "studies": studies,
                                                        "consultations": consultations})
