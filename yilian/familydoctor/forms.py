"""Forms for the resident pages. Choices come from what the user may use; a full ID or phone
number is never put back into a form field (an edit form leaves them blank: blank keeps them)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yilian.core.models import AuditEntry

from . import idnumber
from .models import RECORDED_TAGS, Household, Resident
from .services import MIN_REASON_LENGTH, clinics_for, communities_for

PRIVATE = {"autocomplete": "off", "spellcheck": "false"}


class DateInput(forms.DateInput):
    input_type = "date"


def clean_id_number(value: str) -> str:
    try:
        return idnumber.parse(value).number
    except idnumber.IdNumberError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from exc


class ResidentForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number (身份证号)"), max_length=40,
                                widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "text"}))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "tel"}))
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False)
    clinic = forms.ModelChoiceField(label=_("Responsible clinic"), queryset=None)
    household_head = forms.CharField(
        label=_("ID number of the head of household"), max_length=40, required=False,
        widget=forms.TextInput(attrs=PRIVATE),
        help_text=_("Optional. The resident's own number makes them the head of a new household."),
    )

    def __init__(self, *args, user, resident: Resident | None = None, **kwargs):
        self.resident = resident
        if resident is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": resident.name, "address": resident.address,
                                 "community": resident.community_id, "clinic": resident.clinic_id}
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_for(user)
        clinics = clinics_for(user)
        self.fields["clinic"].queryset = clinics
        if len(clinics[:2]) == 1 and resident is None:
            self.fields["clinic"].initial = clinics[0].pk
        if resident is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Leave blank to keep %(masked)s.") % {"masked": resident.masked_id}
            self.fields["phone"].help_text = _("Leave blank to keep %(masked)s.") % {
                "masked": resident.masked_phone} if resident.phone else ""
            self.fields["household_head"].help_text = _("Leave blank to keep the current household.")
            if resident.household_id:
                self.fields["leave_household"] = forms.BooleanField(
                    label=_("Remove from the current household"), required=False)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return clean_id_number(value) if value.strip() else ""

    def clean_household_head(self):
        value = self.cleaned_data["household_head"]
        return clean_id_number(value) if value.strip() else ""

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if not value.strip():
            return None if self.resident is not None else ""
        try:
            return idnumber.normalise_phone(value)
        except idnumber.PhoneError as exc:
            raise forms.ValidationError(exc.message) from exc


class TagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Key population"), choices=[(t.value, t.label) for t in RECORDED_TAGS])
    source = forms.CharField(label=_("Source"), max_length=100,
                             help_text=_("Where this comes from: diagnosis, disability register, civil affairs list…"))
    recorded_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)


class RevealForm(forms.Form):
    field = forms.ChoiceField(label=_("Number"), choices=[("id_number", _("ID number")), ("phone", _("Phone"))])
    reason = forms.CharField(
        label=_("Reason for viewing"), max_length=255, min_length=MIN_REASON_LENGTH,
        help_text=_("Why you need the full number. The reason is kept in the audit log."),
    )


class HouseholdForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False)
    head = forms.ModelChoiceField(label=_("Head of household"), queryset=None, required=False)

    def __init__(self, *args, user, household: Household, **kwargs):
        kwargs.setdefault("initial", {"address": household.address, "community": household.community_id,
                                      "head": household.head_id})
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_for(user)
        self.fields["head"].queryset = household.members.all()


class ImportForm(forms.Form):
    clinic = forms.ModelChoiceField(label=_("Register the new residents with"), queryset=None)
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for(user)
        self.fields["clinic"].queryset = clinics
        if len(clinics[:2]) == 1:
            self.fields["clinic"].initial = clinics[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class AuditFilterForm(forms.Form):
    resident = forms.CharField(label=_("Resident (name or full ID number)"), required=False,
                               widget=forms.TextInput(attrs=PRIVATE))
    user = forms.CharField(label=_("User"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All"))] + list(AuditEntry.Action.choices))
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
