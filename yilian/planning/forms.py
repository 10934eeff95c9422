import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Scenario
from .services import planning_regions

NETWORK_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".geojson", ".json")
TABLE_SUFFIXES = (".csv", ".geojson", ".json")
MAX_UPLOAD = 200 * 1024 * 1024


def _suffix_check(upload, suffixes, message):
    if upload and not upload.name.lower().endswith(suffixes):
        raise forms.ValidationError(message)
    if upload and upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("The file is larger than 200 MB."))
    return upload


class ScenarioForm(forms.ModelForm):
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    class Meta:
        model = Scenario
        fields = ["name", "region", "source", "network_file", "population_file", "candidates_file", "datum",
                  "speed_kmh", "threshold_min", "max_access_m", "new_sites", "target_share", "seed"]
        help_texts = {
            "network_file": _("OpenStreetMap extract (.osm.pbf or .osm) or GeoJSON lines."),
            "population_file": _("CSV or GeoJSON: lon, lat, people (optional community, subdistrict); or GeoJSON "
                                 "polygons with a people total per community."),
            "candidates_file": _("Optional: CSV or GeoJSON points (e.g. vacant public buildings). Without it, "
                                 "network points in the uncovered areas are the candidates."),
            "datum": _("Files from Amap (GCJ-02) or Baidu (BD-09) are converted to WGS-84."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = planning_regions(user)
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)

    def clean_network_file(self):
        return _suffix_check(self.cleaned_data.get("network_file"), NETWORK_SUFFIXES,
                             _("The walking network must be .osm.pbf, .osm or .geojson."))

    def clean_population_file(self):
        return _suffix_check(self.cleaned_data.get("population_file"), TABLE_SUFFIXES,
                             _("The population must be .csv or .geojson."))

    def clean_candidates_file(self):
        return _suffix_check(self.cleaned_data.get("candidates_file"), TABLE_SUFFIXES,
                             _("Candidate sites must be .csv or .geojson."))

    def clean(self):
        data = super().clean()
        if data.get("source") == Scenario.Source.UPLOAD and not (data.get("network_file")
                                                                  and data.get("population_file")):
            raise forms.ValidationError(_("Upload a walking network and a population file, or choose the "
                                          "generated network."))
        return data
