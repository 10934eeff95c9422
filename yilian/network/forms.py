"""Forms for the registry pages. Every choice field is limited to what the user may see."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE, VIEW

from .models import Alliance, Institution, Liaison, Pairing, PilotCommunity, Region


class DateInput(forms.DateInput):
    """An <input type=date>: it only reads ISO dates, whatever the user's locale."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 — Django's own argument name
        super().__init__(attrs, format=format)


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose related-object choices come from the user's scoped querysets."""

    scoped_choices: dict[str, tuple] = {}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, (model, action, extra) in self.scoped_choices.items():
            if name in self.fields:
                self.fields[name].queryset = model.objects.for_user(user, action).filter(**extra)


class InstitutionForm(ScopedModelForm):
    scoped_choices = {
        "region": (Region, CHANGE, {}),
        "parent": (Institution, VIEW, {}),
    }

    class Meta:
        model = Institution
        fields = [
            "name", "short_name", "kind", "parent", "region", "address", "latitude", "longitude",
            "population_served", "standard", "standard_year", "phone", "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk and "region" in self.fields:
            # keep the current region selectable for users who may edit but not re-home it
            self.fields["region"].queryset = (
                self.fields["region"].queryset | Region.objects.filter(pk=self.instance.region_id)
            ).distinct()


class PairingForm(ScopedModelForm):
    scoped_choices = {
        "hospital": (Institution, VIEW, {"kind__in": Institution.HOSPITAL_KINDS}),
        "clinic": (Institution, CHANGE, {"kind__in": Institution.GRASSROOTS_KINDS}),
        "pilots": (PilotCommunity, VIEW, {}),
    }

    class Meta:
        model = Pairing
        fields = ["hospital", "clinic", "pilots", "start", "end", "department", "responsible_persons", "notes"]
        widgets = {
            "start": DateInput(), "end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "pilots": forms.SelectMultiple(attrs={"size": 6}),
        }


class LiaisonForm(forms.ModelForm):
    class Meta:
        model = Liaison
        fields = ["hospital", "name", "department", "phone", "remarks"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = Liaison.hospitals_for(user, CHANGE)


class AllianceForm(ScopedModelForm):
    scoped_choices = {
        "lead": (Institution, CHANGE, {}),
        "members": (Institution, VIEW, {}),
    }

    class Meta:
        model = Alliance
        fields = ["name", "kind", "lead", "members", "established"]
        widgets = {"established": DateInput(), "members": forms.SelectMultiple(attrs={"size": 10})}


class RegionForm(ScopedModelForm):
    scoped_choices = {"parent": (Region, CHANGE, {})}

    class Meta:
        model = Region
        fields = ["name", "level", "parent", "code"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["parent"].required = True


class PilotForm(ScopedModelForm):
    scoped_choices = {
        "region": (Region, CHANGE, {"level": Region.Level.COMMUNITY}),
        "serving_institutions": (Institution, VIEW, {"kind__in": Institution.GRASSROOTS_KINDS}),
    }

    class Meta:
        model = PilotCommunity
        fields = ["name", "programme", "region", "sequence", "year_entered", "status", "serving_institutions", "notes"]
        widgets = {"serving_institutions": forms.SelectMultiple(attrs={"size": 8}),
                   "notes": forms.Textarea(attrs={"rows": 3})}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
