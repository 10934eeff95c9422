"""Forms of the doctor's day, the clinic's review and the ledger filters.

The forms check shapes (a number is a number); the rules live in services_visits.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Visit, WorkItem


def new_client_key() -> str:
    return uuid.uuid4().hex


class ClientKeyField(forms.CharField):
    """The hidden key that makes a retried form the same request (see services_visits)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=64, **kwargs)


class KeyedForm(forms.Form):
    client_key = ClientKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())


def add_service_error(form: forms.Form, exc: ValidationError):
    """Put a service's error on the field it names, or above the form when the form has no such field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class LocationFields(forms.Form):
    # Filled by app.js from the browser's geolocation (form[data-geolocate]); empty when refused.
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                   widget=forms.HiddenInput)


class CheckInForm(KeyedForm, LocationFields):
    """One form for every place the doctor may check in today, so that one geolocation fills it."""

    target = forms.ChoiceField(label=_("Where are you?"), widget=forms.RadioSelect)

    def __init__(self, *args, assignments=(), pairings=(), **kwargs):
        super().__init__(*args, **kwargs)
        planned_clinics = {a.agreement.pairing.clinic_id for a in assignments}
        choices = [(f"a{a.pk}", _("%(clinic)s (planned)") % {"clinic": a.agreement.pairing.clinic.display_name})
                   for a in assignments]
        choices += [(f"p{p.pk}", _("%(clinic)s (unplanned visit)") % {"clinic": p.clinic.display_name})
                    for p in pairings if p.clinic_id not in planned_clinics]
        self.fields["target"].choices = choices
        if choices and not self.is_bound:
            self.initial.setdefault("target", choices[0][0])

    def target_ids(self) -> tuple[int | None, int | None]:
        """(assignment id, pairing id) of the chosen place."""
        value = self.cleaned_data["target"]
        number = int(value[1:])
        return (number, None) if value.startswith("a") else (None, number)


class CheckOutForm(LocationFields):
    pass


class WorkItemForm(KeyedForm):
    kind = forms.ChoiceField(label=_("Kind of work"), choices=[("", "—"), *WorkItem.Kind.choices])
    count = forms.IntegerField(label=_("Number (patients, participants…)"), min_value=1,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}))
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (Visit.Status.CONFIRMED, _("Confirm the visit")), (Visit.Status.DISPUTED, _("Dispute it"))])
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
