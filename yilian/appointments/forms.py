from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yilian.support.forms_visits import KeyedForm

from . import services
from .models import Booking, Closure, Schedule, Session


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


def _clean_phone(raw):
    try:
        return services.normalize_phone(raw)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["phone"]) from exc


class BookingForm(KeyedForm):
    name = forms.CharField(label=_("Your name"), max_length=50)
    phone = forms.CharField(label=_("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    reason = forms.CharField(label=_("Reason for the visit"), max_length=200, required=False)

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class FindForm(forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))
    phone = forms.CharField(label=_("Mobile number used for the booking"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))


class StaffBookingForm(KeyedForm):
    session = forms.ModelChoiceField(label=_("Session"), queryset=Session.objects.none())
    channel = forms.ChoiceField(label=_("Booked through"), choices=[
        (Booking.Channel.PHONE, _("Phone call")), (Booking.Channel.WALK_IN, _("Walk-in (arrived now)"))])
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    reason = forms.CharField(label=_("Reason for the visit"), max_length=200, required=False)

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda s: f"{s.starts:%H:%M} {s.label}"

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ["clinic", "session_type", "team", "weekdays", "starts", "ends", "slot_minutes", "capacity",
                  "priority_places"]
        widgets = {"starts": TimeInput(format="%H:%M"), "ends": TimeInput(format="%H:%M")}

    def __init__(self, *args, clinics, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        self.fields["team"].queryset = teams
        self.fields["session_type"].choices = [c for c in self.fields["session_type"].choices
                                               if c[0] != "visiting_expert"]


class PublishForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("Until"), widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 92:
            raise ValidationError(_("Publish at most three months at a time."))
        return data


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["clinic", "start", "end", "reason"]
        widgets = {"start": DateInput, "end": DateInput}

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
