"""Two gates every request passes: rate limits on public pages, then the security gate.

The security gate sends a signed-in user who still owes something to the page that settles it:
the second-factor code after the password, enrolment for supervisors without a second factor,
and a new password when periodic change is on and theirs is too old. Until then no other page
opens (the API answers 401 through SessionAuth instead).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.template import loader
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from . import mfa
from .passwords import password_expired
from .ratelimits import too_many_requests

# Public pages named before the ``public-`` convention (the expert studio's booking pages); rate-limited
# like the rest. Rename them to public-… and drop them from here.
LEGACY_PUBLIC_NAMES = frozenset({"studio", "studio-book", "studio-booked", "studio-cancel"})


def is_public_name(name: str) -> bool:
    return name.startswith("public-") or name in LEGACY_PUBLIC_NAMES


# Pages that stay open while a user still owes something (plus the page that settles it).
ALWAYS_OPEN = {"login", "logout", "set_language", "javascript-catalog"}


def _url_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ""
    return match.url_name or ""


class NulByteMiddleware:
    """A NUL byte in the query string is refused with 400: PostgreSQL cannot hold one in text, so a
    search for it would otherwise fail deep inside a query (forms already refuse it in POSTs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                           for key, values in request.GET.lists()):
            return HttpResponseBadRequest(loader.render_to_string("400.html", request=request))
        return self.get_response(request)


class RateLimitMiddleware:
    """Limits every ``public-`` page per client address; answers 429 for any Ratelimited."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_public_name(_url_name(request)):
            return None
        writing = request.method not in ("GET", "HEAD", "OPTIONS")
        limited = is_ratelimited(request, group="public", key="ip", rate=settings.YILIAN_PUBLIC_RATE,
                                 method=is_ratelimited.ALL, increment=True)
        if writing:
            limited = is_ratelimited(request, group="public-write", key="ip",
                                     rate=settings.YILIAN_PUBLIC_WRITE_RATE, method=is_ratelimited.ALL,
                                     increment=True) or limited
        return too_many_requests(request) if limited else None

    def process_exception(self, request, exception):
        if isinstance(exception, Ratelimited):
            return too_many_requests(request, exception)
        return None


# Set in the session once a login has passed the gate, so that later requests cost no query; cleared at
# every login (forget_gate), so a second factor enrolled elsewhere is asked for at the next one.
GATE_PASSED = "yilian_gate_passed"


def forget_gate(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session.pop(GATE_PASSED, None)


def gate_target(request) -> str | None:
    """The URL name of the page the signed-in user must visit first, or None."""
    user = request.user
    if not user.is_authenticated:
        return None
    if request.session.get(GATE_PASSED) == user.pk:
        return None
    target = _owed(request, user)
    if target is None:
        request.session[GATE_PASSED] = user.pk
    return target


def _owed(request, user) -> str | None:
    if not user.is_verified():  # a verified session has a second factor by definition
        if mfa.has_second_factor(user):
            return "mfa-verify"
        if mfa.mfa_required(user):
            return "mfa-setup"
    if password_expired(user):
        return "password-change"
    return None


class SecurityGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        path = request.path_info
        if path.startswith(("/api/", f"/{settings.STATIC_URL.strip('/')}/")):
            return None  # the API checks the same in SessionAuth; bearer tokens carry their own proof
        name = _url_name(request)
        if name in ALWAYS_OPEN:
            return None
        target = gate_target(request)
        if target is None or name == target:
            return None
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
