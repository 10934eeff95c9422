"""A hub's referral set-up without the admin site: its departments and its green channels."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yilian.core.scoping import CHANGE, scope_for
from yilian.core.services import save_validated
from yilian.network.models import Institution

from .models import Department, GreenChannelType
from .views import _add_errors


class DepartmentForm(forms.Form):
    hub = forms.ModelChoiceField(label=gettext_lazy("hub"), queryset=Institution.objects.none())
    name = forms.CharField(label=gettext_lazy("department"), max_length=60)

    def __init__(self, *args, hubs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = hubs


class GreenChannelForm(forms.Form):
    hub = forms.ModelChoiceField(label=gettext_lazy("hub"), queryset=Institution.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=GreenChannelType.Kind.choices)
    escalate_after_minutes = forms.IntegerField(
        label=gettext_lazy("escalate after (minutes)"), initial=5,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=gettext_lazy("The duty leader is alerted when nobody accepts within this time."))
    active = forms.BooleanField(label=gettext_lazy("active"), required=False, initial=True)

    def __init__(self, *args, hubs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = hubs


def _hubs(user):
    scope = scope_for(user)
    if scope.is_admin:
        return Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS)
    return Institution.objects.for_user(user, CHANGE).filter(pk__in=scope.hospital_ids)


@login_required
def hub_setup(request):
    hubs = _hubs(request.user)
    if not hubs.exists():
        raise Http404
    department_form = DepartmentForm(request.POST if request.POST.get("form") == "department" else None, hubs=hubs)
    channel_form = GreenChannelForm(request.POST if request.POST.get("form") == "channel" else None, hubs=hubs)
    if request.method == "POST":
        done = _handle(request, hubs, department_form, channel_form)
        if done:
            messages.success(request, _("Saved."))
            return redirect("referral-setup")
    return render(request, "referrals/setup.html", {
        "department_form": department_form, "channel_form": channel_form,
        "departments": Department.objects.filter(hospital__in=hubs).select_related("hospital"),
        "channels": GreenChannelType.objects.filter(hub__in=hubs).select_related("hub"),
    })


def _handle(request, hubs, department_form, channel_form) -> bool:
    action = request.POST.get("form")
    if action == "department" and department_form.is_valid():
        return _save(department_form, lambda d: save_validated(
            Department(hospital=d["hub"], name=d["name"].strip()), request.user))
    if action == "channel" and channel_form.is_valid():
        return _save(channel_form, lambda d: _save_channel(request.user, d))
    if action == "toggle":
        department = Department.objects.filter(hospital__in=hubs, pk=request.POST.get("department") or 0).first()
        if department is None:
            raise Http404
        department.takes_referrals = not department.takes_referrals
        save_validated(department, request.user)
        return True
    return False


def _save(form, save) -> bool:
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return False
    return True


def _save_channel(user, data):
    """One green channel per hub and kind: saving a kind again changes its settings."""
    with transaction.atomic():
        channel = (GreenChannelType.objects.select_for_update().filter(hub=data["hub"], kind=data["kind"]).first()
                   or GreenChannelType(hub=data["hub"], kind=data["kind"]))
        channel.escalate_after_minutes = data["escalate_after_minutes"]
        channel.active = data["active"]
        return save_validated(channel, user)
