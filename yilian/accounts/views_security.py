"""Second factor pages (enrol, verify, recovery codes, reset by a supervisor) and password change."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from . import mfa
from .forms import CodeForm
from .passwords import expiry_message, password_expired
from .views import _managed_users, _require_supervisor


def _login_rate(group, request):
    from django.conf import settings

    return settings.YILIAN_LOGIN_RATE


@method_decorator(ratelimit(key="ip", rate=_login_rate, method="POST", block=True), name="post")
class LoginView(auth_views.LoginView):
    """Django's login form, rate-limited per client address (django-axes locks per user name)."""

    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = "/"

    def get(self, request, *args, **kwargs):
        if password_expired(request.user):
            messages.warning(request, expiry_message())
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def mfa_setup(request):
    """Enrol an authenticator: QR code and manual key, confirmed by a first code."""
    device = mfa.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_enrolment(request.user, device, form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("This code is not right. Check the time on your phone and try the newest code."))
    return render(request, "accounts/mfa_setup.html", {
        "form": form, "qr": mfa.qr_data_uri(device), "key": mfa.manual_key(device),
        "required": mfa.mfa_required(request.user), "replacing": mfa.has_second_factor(request.user),
        "next": _next_url(request)})


@login_required
def mfa_verify(request):
    """The second step of logging in: a code from the authenticator or a recovery code."""
    if not mfa.has_second_factor(request.user):
        return redirect("mfa-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.verify(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.persistent_id.startswith("otp_static"):
                messages.warning(request, _("You used a recovery code; %(n)d are left.") % {
                    "n": mfa.recovery_codes_left(request.user)})
            return redirect(_next_url(request))
        form.add_error("code", _("This code is not right."))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def account_security(request):
    """The user's own second factor: status, new recovery codes, re-enrolment."""
    codes = None
    if request.method == "POST" and mfa.has_second_factor(request.user):
        codes = mfa.new_recovery_codes(request.user)
    return render(request, "accounts/security.html", {
        "enrolled": mfa.has_second_factor(request.user), "required": mfa.mfa_required(request.user),
        "codes_left": mfa.recovery_codes_left(request.user), "codes": codes})


@login_required
@require_POST
def mfa_reset(request, pk):
    """A supervisor removes the second factor of a user they manage (e.g. a lost phone); audited."""
    _require_supervisor(request.user)
    target = _managed_users(request.user).filter(pk=pk).first()
    if target is None or target == request.user:
        raise Http404
    mfa.reset(by=request.user, user=target, request=request)
    messages.success(request, _("The second factor of %(name)s was reset; they enrol again at their next login.")
                     % {"name": target.get_username()})
    return redirect(reverse("user-detail", args=[target.pk]))
