"""Forms of the referral pages: they check shapes; the rules live in services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE
from yilian.familydoctor.models import Resident
from yilian.network.models import Institution

from .models import Department, DutyShift, GreenChannelType, Referral


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ResidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} {obj.masked_id}"


class ReferralForm(forms.Form):
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    resident = ResidentChoiceField(label=_("resident"), queryset=Resident.objects.none())
    department = forms.ModelChoiceField(label=_("hospital department"), queryset=Department.objects.none())
    urgency = forms.TypedChoiceField(label=_("urgency"), choices=Referral.Urgency.choices, coerce=int,
                                     initial=Referral.Urgency.ROUTINE)
    green_channel = forms.ModelChoiceField(label=_("green channel"), queryset=GreenChannelType.objects.none(),
                                           required=False, help_text=_(
                                               "Only for emergencies of a declared type: alerts the duty desk."))
    icd_code = forms.CharField(label=_("ICD-10 code"), max_length=10, required=False,
                               widget=forms.TextInput(attrs={"placeholder": "I21.0"}))
    diagnosis = forms.CharField(label=_("working diagnosis"), max_length=200, required=False)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("attachments (ECG, images, lab results)"), required=False,
                                    help_text=_("PDF, JPEG or PNG."))
    consent = forms.BooleanField(label=_("the patient consents to the referral"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.for_user(user, CHANGE)
        hospitals = Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS)
        self.fields["department"].queryset = (Department.objects.filter(takes_referrals=True, hospital__in=hospitals)
                                              .select_related("hospital"))
        self.fields["green_channel"].queryset = GreenChannelType.objects.filter(active=True).select_related("hub")
        self.fields["green_channel"].label_from_instance = lambda g: f"{g.hub.display_name} · {g.get_kind_display()}"
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)


class AcceptForm(forms.Form):
    appointment_at = forms.DateTimeField(label=_("appointment"), required=False,
                                         widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    bed = forms.CharField(label=_("bed"), max_length=30, required=False)


class DeclineForm(forms.Form):
    decline_reason = forms.CharField(label=_("reason for declining"), max_length=255, required=False)
    alternative = forms.CharField(label=_("alternative"), max_length=255, required=False)


class DownReferralForm(forms.Form):
    discharge_summary = forms.CharField(label=_("discharge summary"), widget=forms.Textarea(attrs={"rows": 3}),
                                        required=False)
    medication = forms.CharField(label=_("medication"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    follow_up_instructions = forms.CharField(label=_("follow-up instructions"),
                                             widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DutyShiftForm(forms.Form):
    hub = forms.ModelChoiceField(label=_("hub"), queryset=Institution.objects.none())
    user = forms.ModelChoiceField(label=_("user"), queryset=None)
    role = forms.ChoiceField(label=_("role"), choices=DutyShift.Role.choices)
    start = forms.DateTimeField(label=_("start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("end"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, hubs, **kwargs):
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = hubs
        self.fields["user"].queryset = get_user_model().objects.filter(
            memberships__institution__in=hubs).distinct().order_by("username")
