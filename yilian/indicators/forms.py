from __future__ import annotations

import uuid

import yaml
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE
from yilian.network.models import Institution, Region

from . import registry
from .models import Indicator, Pack, Question
from .models_ledgers import ChildCarePlaces, HealthCabin, HealthEducationActivity, StaffTraining, TcmManagement

DATE = forms.DateInput(attrs={"type": "date"})


class LedgerForm(forms.ModelForm):
    client_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.for_user(user, CHANGE).filter(
            kind__in=Institution.GRASSROOTS_KINDS)
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = DATE
            if name == "community":
                field.queryset = Region.objects.for_user(user).filter(level=Region.Level.COMMUNITY)

    def _post_clean(self):
        """Model validation (future dates…) runs in the service, with the user known."""


def ledger_form(model):
    fields = {
        HealthEducationActivity: ["institution", "date", "kind", "topic", "material", "quantity", "attendance",
                                  "photo"],
        TcmManagement: ["institution", "as_of", "group", "eligible", "managed"],
        ChildCarePlaces: ["institution", "community", "as_of", "population", "places", "facilities", "in_pilot"],
        HealthCabin: ["institution", "name", "host", "opened_on", "manager", "team"],
        StaffTraining: ["institution", "person", "kind", "host", "start", "end"],
    }[model]
    return forms.modelform_factory(model, form=LedgerForm, fields=fields)


class IndicatorForm(forms.Form):
    pack = forms.ModelChoiceField(label=_("policy pack"), queryset=Pack.objects.all())
    code = forms.SlugField(label=_("code"), max_length=80)
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("name (English)"), max_length=200)
    unit = forms.CharField(label=_("unit"), max_length=30)
    direction = forms.ChoiceField(label=_("direction"), choices=Indicator.Direction.choices)
    source_sentence = forms.CharField(label=_("source sentence"), widget=forms.Textarea(attrs={"rows": 2}))
    metric = forms.ChoiceField(label=_("registered metric"), required=False)
    query = forms.CharField(label=_("query (YAML)"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                            help_text=_("numerator / denominator over a model, as in the pack files"))
    target_value = forms.DecimalField(label=_("target value"), max_digits=12, decimal_places=2)
    deadline = forms.DateField(label=_("deadline"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", "—"), *[(n, n) for n in sorted(registry.METRICS)]]

    def clean_query(self):
        text = self.cleaned_data["query"].strip()
        if not text:
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationError(_("The query is not valid YAML: %(error)s") % {"error": exc}) from exc

    def clean(self):
        data = super().clean()
        if bool(data.get("metric")) == bool(data.get("query")):
            raise ValidationError(_("Choose a registered metric or write a query, not both."))
        return data


class SurveyAnswerForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    visit_ref = forms.CharField(label=_("Visit number (optional)"), max_length=40, required=False)

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(survey.questions.all())
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _question_field(question)


def _question_field(question):
    if question.kind == Question.Kind.RATING:
        return forms.ChoiceField(label=question.text, widget=forms.RadioSelect,
                                 choices=[(str(i), str(i)) for i in range(5, 0, -1)])
    if question.kind == Question.Kind.YES_NO:
        return forms.ChoiceField(label=question.text, widget=forms.RadioSelect,
                                 choices=[("yes", _("Yes")), ("no", _("No"))])
    return forms.CharField(label=question.text, required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3}))


class WeightForm(forms.Form):
    weight = forms.DecimalField(label=_("weight"), min_value=0, max_value=100, max_digits=5, decimal_places=2)
