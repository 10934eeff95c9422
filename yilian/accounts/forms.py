from django import forms
from django.utils.translation import gettext_lazy as _

from yilian.core.scoping import CHANGE, VIEW
from yilian.network.models import Institution, Region

from .models import Membership


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Membership.Role.choices)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.none(), required=False,
                                    help_text=_("For supervisors."))
    institution = forms.ModelChoiceField(label=_("institution"), queryset=Institution.objects.none(),
                                         required=False, help_text=_("For coordinators, clinic staff and doctors."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.for_user(user, CHANGE)
        self.fields["region"].queryset = regions
        self.fields["institution"].queryset = Institution.objects.for_user(user, VIEW).filter(region__in=regions)


class UserCreateForm(MembershipForm):
    username = forms.CharField(label=_("user name"), max_length=150)
    full_name = forms.CharField(label=_("full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, min_length=12)
    field_order = ["username", "full_name", "email", "password", "role", "region", "institution"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("token name"), max_length=80, help_text=_("e.g. the system that will use it"))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("code"), max_length=20,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
