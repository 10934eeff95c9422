"""User administration for supervisors, and API tokens for everyone."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yilian.core.scoping import CHANGE, scope_for
from yilian.core.views import change_history, paginate, query_without_page

from . import services
from .forms import MembershipForm, TokenForm, UserCreateForm
from .models import ApiToken, Membership

User = get_user_model()


def _require_supervisor(user):
    if not scope_for(user).is_supervisor:
        raise Http404


def _managed_users(user):
    """Users holding at least one membership the supervisor may manage."""
    if user.is_superuser:
        return User.objects.all()
    managed = Membership.objects.for_user(user, CHANGE).values("user_id")
    return User.objects.filter(pk__in=managed)


@login_required
def user_list(request):
    _require_supervisor(request.user)
    users = _managed_users(request.user).prefetch_related(
        "memberships__region", "memberships__institution").order_by("username")
    text = request.GET.get("q", "").strip()
    if text:
        users = users.filter(Q(username__icontains=text) | Q(first_name__icontains=text))
    return render(request, "accounts/user_list.html", {
        "page": paginate(request, users), "query": query_without_page(request)})


@login_required
def user_create(request):
    _require_supervisor(request.user)
    form = UserCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.user_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": new_user.username})
            return redirect("user-detail", pk=new_user.pk)
    return render(request, "core/form.html", {"form": form, "title": _("New user"), "cancel": "user-list"})


@login_required
def user_detail(request, pk):
    _require_supervisor(request.user)
    target = _managed_users(request.user).filter(pk=pk).first()
    if target is None:
        raise Http404
    form = MembershipForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(by=request.user, user=target, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Membership added."))
            return redirect("user-detail", pk=target.pk)
    memberships = target.memberships.select_related("region", "institution")
    manageable = set(Membership.objects.for_user(request.user, CHANGE).values_list("pk", flat=True))
    history = [entry for m in memberships for entry in change_history(m)]
    return render(request, "accounts/user_detail.html", {
        "target": target, "memberships": memberships, "manageable": manageable, "form": form,
        "history": history})


@login_required
@require_POST
def membership_remove(request, pk):
    membership = Membership.objects.for_user(request.user, CHANGE).filter(pk=pk).first()
    if membership is None:
        raise Http404
    user_pk = membership.user_id
    services.membership_remove(by=request.user, membership=membership)
    messages.success(request, _("Membership removed."))
    return redirect("user-detail", pk=user_pk)


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
        form = TokenForm()
    return render(request, "accounts/token_list.html", {
        "tokens": request.user.api_tokens.all(), "form": form, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request, pk):
    token = request.user.api_tokens.filter(pk=pk).first()
    if token is None:
        raise Http404
    token.delete()
    messages.success(request, _("Token revoked."))
    return redirect("token-list")
