"""Forms of the remote-reading pages: they check shapes; the rules live in services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution
from yilian.referrals.forms import MultipleFileInput, ResidentChoiceField
from yilian.referrals.models import Department

from .models import Report, Study, Urgency


class FilesField(forms.FileField):
    """Several files; their kind is decided by content in the service, so the picker accepts anything."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.dcm,.xml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(FilesField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _with_key(form):
    if not form.is_bound:
        form.initial.setdefault("client_key", uuid.uuid4().hex)


class StudyForm(forms.Form):
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    resident = ResidentChoiceField(label=_("resident"), queryset=Resident.objects.none())
    modality = forms.ChoiceField(label=_("modality"), choices=Study.Modality.choices)
    urgency = forms.TypedChoiceField(label=_("urgency"), choices=Urgency.choices, coerce=int,
                                     initial=Urgency.ROUTINE)
    centre = forms.ModelChoiceField(label=_("reading centre"), queryset=Institution.objects.none(), required=False,
                                    empty_label=_("the hub of our alliance"))
    question = forms.CharField(label=_("clinical question"), widget=forms.Textarea(attrs={"rows": 3}))
    files = FilesField(label=_("files"), required=False, help_text=_(
        "ECG: PDF/JPEG/PNG printout, DICOM 12-lead waveform or HL7 aECG XML. Imaging: DICOM files "
        "(one or a whole series), JPEG or PNG."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.for_user(user, CHANGE)
        self.fields["centre"].queryset = Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS)
        _with_key(self)


class ReportForm(forms.Form):
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    conclusion = forms.CharField(label=_("conclusion"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    critical = forms.BooleanField(label=_("critical finding (alerts the clinic at once)"), required=False)
    recommendation = forms.ChoiceField(label=_("recommendation"), choices=Report.Recommendation.choices)


class GreenChannelForm(forms.Form):
    department = forms.ModelChoiceField(label=_("hospital department"), queryset=Department.objects.none())
    icd_code = forms.CharField(label=_("ICD-10 code"), max_length=10)
    consent = forms.BooleanField(label=_("the patient consents to the referral"), required=False)

    def __init__(self, *args, hospital, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(hospital=hospital, takes_referrals=True)


class ConsultationForm(forms.Form):
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    resident = ResidentChoiceField(label=_("resident"), queryset=Resident.objects.none())
    department = forms.ModelChoiceField(label=_("hospital department"), queryset=Department.objects.none())
    requested_for = forms.DateTimeField(label=_("requested time"),
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    question = forms.CharField(label=_("question"), widget=forms.Textarea(attrs={"rows": 3}))
    studies = forms.ModelMultipleChoiceField(label=_("attached studies"), queryset=Study.objects.none(),
                                             required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.for_user(user, CHANGE)
        self.fields["department"].queryset = Department.objects.filter(
            hospital__kind__in=Institution.HOSPITAL_KINDS).select_related("hospital")
        self.fields["studies"].queryset = Study.objects.for_user(user, CHANGE).select_related("resident")
        _with_key(self)


class ConfirmForm(forms.Form):
    slot = forms.DateTimeField(label=_("confirmed slot"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("consultation opinion"), widget=forms.Textarea(attrs={"rows": 4}))
