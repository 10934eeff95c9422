"""Forms of the plan pages. Every choice is limited to what the user may see or change."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from yilian.accounts.models import Membership
from yilian.core.scoping import CHANGE, VIEW
from yilian.network.models import Region

from . import services_plan as services
from .models import Agreement, AgreementTarget, CalendarDay, Doctor, Programme
from .models.plan import Period


class DateInput(forms.DateInput):
    """<input type=date> only understands ISO dates, whatever the language's display format."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = list(services.PROGRAMME_FIELDS)
        widgets = {"yearly_report_due": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.for_user(user, CHANGE).filter(
            level__in=[Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT])


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = list(services.CALENDAR_FIELDS)
        widgets = {"date": DateInput()}


class CalendarRangeForm(forms.Form):
    start = forms.DateField(label=_("first day"), widget=DateInput())
    end = forms.DateField(label=_("last day"), widget=DateInput())
    is_workday = forms.TypedChoiceField(
        label=_("these days are"), coerce=lambda v: v == "1",
        choices=[("0", _("Days off (holiday)")), ("1", _("Working days (adjusted working weekend)"))])
    name = forms.CharField(label=_("name"), max_length=60, required=False, help_text=_("e.g. 春节, 国庆节调休"))


class AgreementForm(forms.ModelForm):
    document = forms.FileField(label=_("signed document (PDF, JPEG or PNG, at most 10 MB)"), required=False)

    class Meta:
        model = Agreement
        fields = list(services.AGREEMENT_FIELDS)
        widgets = {
            "start": DateInput(), "end": DateInput(), "signed_on": DateInput(),
            "baseline_findings": forms.Textarea(attrs={"rows": 4}),
            "goals": forms.Textarea(attrs={"rows": 3}), "measures": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pairing"].queryset = services.agreement_pairings(user).select_related("hospital", "clinic")
        self.fields["programme"].queryset = Programme.objects.for_user(user, VIEW)

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            services.validate_document(upload)
        return upload


class TargetForm(forms.Form):
    kind = forms.ChoiceField(label=_("what"))
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=10000, required=False)
    per = forms.ChoiceField(label=_("per"), choices=Period.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = AgreementTarget.kind_choices()


TargetFormSet = forms.formset_factory(TargetForm, extra=2, can_delete=True)


def target_rows(formset) -> list[dict]:
    """The targets a valid formset describes; rows without a quantity, or marked for removal, are left out."""
    return [
        {k: form.cleaned_data[k] for k in ("kind", "quantity", "per")}
        for form in formset.forms
        if form.cleaned_data.get("quantity") and not form.cleaned_data.get("DELETE")
    ]


class DoctorForm(forms.ModelForm):
    class Meta:
        model = Doctor
        fields = list(services.DOCTOR_FIELDS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        hospitals = services.doctor_hospitals(user)
        self.fields["hospital"].queryset = hospitals
        # logins holding the doctor role at a hospital the user manages, not yet linked elsewhere
        logins = get_user_model().objects.filter(
            memberships__role=Membership.Role.DOCTOR, memberships__institution__in=hospitals).distinct()
        taken = Doctor.objects.exclude(pk=self.instance.pk).exclude(user=None).values("user_id")
        self.fields["user"].queryset = logins.exclude(pk__in=taken).order_by("username")
        self.fields["user"].required = False


class DoctorImportForm(forms.Form):
    hospital = forms.ModelChoiceField(label=_("hospital"), queryset=None)
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = services.doctor_hospitals(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class AgreementChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pairing.clinic.name} · {obj.programme.name} ({obj.start:%Y-%m-%d} – {obj.end:%Y-%m-%d})"


class DoctorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_title_display()} · {obj.department}"


class AssignmentForm(forms.Form):
    """One day of the plan, added from a hospital's month view."""

    doctor = DoctorChoice(label=_("doctor"), queryset=None)
    agreement = AgreementChoice(label=_("clinic (agreement)"), queryset=None)
    date = forms.DateField(label=_("date"), widget=DateInput())
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, user, hospital, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = Doctor.objects.for_user(user).filter(hospital=hospital, active=True)
        self.fields["agreement"].queryset = (
            Agreement.objects.for_user(user).filter(pairing__hospital=hospital)
            .exclude(status=Agreement.Status.ENDED).select_related("pairing__clinic", "programme")
            .order_by("pairing__clinic__name", "-start"))

