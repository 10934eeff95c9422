"""Forms of teams, packages, contracts and visits. Shapes only; the rules live in services_care."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.accounts.models import Membership

from .models import Tag
from .models_care import Contract, ServicePackage, Team, TeamMember, VisitRecord
from .services import clinics_for

MEMBER_ROWS = 5


class DateInput(forms.DateInput):
    """A browser date picker: its value must be ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

RULE_ROWS = 3


class TeamForm(forms.Form):
    clinic = forms.ModelChoiceField(label=pgettext_lazy("family doctor", "Clinic"), queryset=None)
    name = forms.CharField(label=_("Team name"), max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for(user)
        self.fields["clinic"].queryset = clinics
        if clinics.count() == 1:
            self.fields["clinic"].initial = clinics.first()
        users = get_user_model().objects.filter(
            memberships__institution__in=clinics, memberships__role__in=[
                Membership.Role.CLINIC_STAFF, Membership.Role.DOCTOR]).distinct().order_by("username")
        for i in range(MEMBER_ROWS):
            self.fields[f"role_{i}"] = forms.ChoiceField(
                label=_("Member %(n)s: role") % {"n": i + 1}, required=False,
                choices=[("", "—"), *TeamMember.Role.choices], initial="gp" if i == 0 else "")
            self.fields[f"user_{i}"] = forms.ModelChoiceField(
                label=_("login"), queryset=users, required=False)
            self.fields[f"person_{i}"] = forms.CharField(label=_("or name"), max_length=50, required=False)

    def members(self) -> list[dict]:
        data = self.cleaned_data
        return [{"role": data[f"role_{i}"], "user": data[f"user_{i}"], "name": data[f"person_{i}"]}
                for i in range(MEMBER_ROWS) if data[f"role_{i}"]]


class PackageForm(forms.Form):
    clinic = forms.ModelChoiceField(label=pgettext_lazy("family doctor", "Clinic"), queryset=None)
    name = forms.CharField(label=_("Package name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServicePackage.Kind.choices)
    services = forms.CharField(label=_("Services (one per line)"), widget=forms.Textarea(attrs={"rows": 4}),
                               required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for(user)
        self.fields["clinic"].queryset = clinics
        if clinics.count() == 1:
            self.fields["clinic"].initial = clinics.first()
        for i in range(RULE_ROWS):
            self.fields[f"population_{i}"] = forms.ChoiceField(
                label=_("Visit rule %(n)s: key population") % {"n": i + 1}, required=False,
                choices=[("", _("every contracted resident")), *Tag.choices])
            self.fields[f"interval_{i}"] = forms.IntegerField(label=_("every (days)"), required=False, min_value=1,
                                                              max_value=366)

    def rules(self) -> list[tuple[str, int]]:
        data = self.cleaned_data
        return [(data[f"population_{i}"], data[f"interval_{i}"]) for i in range(RULE_ROWS) if data[f"interval_{i}"]]


class ContractForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=None)
    packages = forms.ModelMultipleChoiceField(label=_("Service packages"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)
    start = forms.DateField(label=_("Start"), widget=DateInput)
    consent = forms.BooleanField(label=_("The resident consents (signed form on file)"), required=False)
    consent_by = forms.CharField(label=_("Consent given by"), max_length=50, required=False,
                                 help_text=_("本人, or the family member who signed"))
    whole_household = forms.BooleanField(label=_("Sign every member of the household"), required=False)

    def __init__(self, *args, resident, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.for_user(user, "change").filter(
            clinic_id=resident.clinic_id, active=True)
        self.fields["packages"].queryset = ServicePackage.objects.filter(clinic_id=resident.clinic_id, active=True)
        self.fields["start"].initial = timezone.localdate()
        if not resident.household_id:
            del self.fields["whole_household"]


class RenewForm(forms.Form):
    consent = forms.BooleanField(label=_("The resident consents to the renewal"), required=False)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)


class TerminateForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("termination", "Reason"), max_length=255)
    on = forms.DateField(label=_("Date"), widget=DateInput, required=False)


class VisitForm(forms.Form):
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    mode = forms.ChoiceField(label=_("How"), choices=VisitRecord.Mode.choices, widget=forms.RadioSelect,
                             initial=VisitRecord.Mode.HOME)
    systolic = forms.IntegerField(label=_("Systolic (mmHg)"), required=False,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    diastolic = forms.IntegerField(label=_("Diastolic (mmHg)"), required=False,
                                   widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    glucose = forms.DecimalField(label=_("Glucose (mmol/L)"), required=False, max_digits=4, decimal_places=1,
                                 widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}))
    services = forms.MultipleChoiceField(label=_("Services delivered"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        offered = []
        for package in contract.packages.all():
            offered += [s for s in package.service_list if s not in offered]
        self.fields["services"].choices = [(s, s) for s in offered]
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)
            self.initial.setdefault("date", timezone.localdate())


class CoverageForm(forms.Form):
    level = forms.ChoiceField(label=_("Show per"), required=False, choices=[
        ("clinic", pgettext_lazy("coverage level", "Clinic")),
        ("community", pgettext_lazy("coverage level", "Community")),
        ("district", pgettext_lazy("coverage level", "District"))])
    population = forms.ChoiceField(label=_("Key population"), required=False, choices=Tag.choices)
