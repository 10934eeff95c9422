from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yilian.appointments.services import normalize_phone
from yilian.core.views import paginate

from .models import Delivery, Notice
from .services import opt_out


@login_required
def inbox(request):
    rows = Notice.objects.filter(recipient=request.user)  # an inbox is personal, admins included
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = paginate(request, rows)
    unread = [n.pk for n in page if n.read_at is None]
    response = render(request, "notices/inbox.html", {"page": page, "only_unread": bool(request.GET.get("unread"))})
    Notice.objects.filter(pk__in=unread).update(read_at=timezone.now())  # shown once, then read
    return response


class OptOutForm(forms.Form):
    address = forms.CharField(label=_("Mobile number or e-mail address"), max_length=254)

    def clean_address(self):
        raw = self.cleaned_data["address"].strip()
        if "@" in raw:
            try:
                validate_email(raw)
            except ValidationError as exc:
                raise ValidationError(_("Enter a valid e-mail address or a mainland mobile number.")) from exc
            return (Delivery.Channel.EMAIL, raw.lower())
        try:
            return (Delivery.Channel.SMS, normalize_phone(raw))
        except ValidationError as exc:
            raise ValidationError(_("Enter a valid e-mail address or a mainland mobile number.")) from exc


def public_opt_out(request):
    """Residents stop non-essential notices (health tips, campaigns); booking messages still reach them."""
    form = OptOutForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        opt_out(*form.cleaned_data["address"])
        done = True
    return render(request, "notices/opt_out.html", {"form": form, "done": done})
