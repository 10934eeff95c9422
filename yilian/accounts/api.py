"""API authentication (bearer tokens and the Django session) and the /auth endpoints."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from ninja import Field, Router, Schema, Status
from ninja.responses import Response
from ninja.security import APIKeyCookie, HttpBearer

from . import mfa
from .models import ApiToken, Membership

# Writing last_used_at on every call would turn each read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerToken(HttpBearer):
    """``Authorization: Bearer yl_…`` with a key issued by POST /api/v1/auth/token."""

    def authenticate(self, request, token):
        api_token = ApiToken.find(token) if token else None
        if api_token is None:
            return None
        _touch(api_token)
        request.auth_user = api_token.user
        return api_token.user


def _touch(api_token: ApiToken):
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)


class SessionAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods need the CSRF token, as in the web pages."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # Without a logged-in session there is nothing to protect: answer 401, not a CSRF failure.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        from .middleware import gate_target

        if gate_target(request) is not None:  # second factor or new password still owed
            return None
        request.auth_user = request.user
        return request.user


router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = Field("API client", max_length=80, description="What the token is for, e.g. the client's name")
    otp: str = Field("", max_length=20, description="Second-factor code; required for users who have or need one")


class TokenOut(Schema):
    token: str = Field(description="Shown once; only its hash is stored")
    name: str


class MessageOut(Schema):
    detail: str


@router.post(
    "/token", auth=None, response={201: TokenOut, 401: MessageOut, 429: MessageOut},
    summary="Issue an API token",
)
def token_issue(request, payload: TokenIn):
    if is_ratelimited(request, group="login", key="ip", rate=settings.YILIAN_LOGIN_RATE, increment=True):
        return Status(429, {"detail": _("Too many requests. Please wait a minute and try again.")})
    # authenticate() with the request lets django-axes count failures and refuse locked-out users.
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request)
    if user is None:
        return Status(401, {"detail": _("Please enter a correct username and password.")})
    refusal = _second_factor_refusal(user, payload.otp)
    if refusal:
        return Status(401, {"detail": refusal})
    key = ApiToken.issue(user, payload.name)[1]
    return Status(201, {"token": key, "name": payload.name})


def _second_factor_refusal(user, code: str) -> str:
    """Why a token is refused to a user who has (or must have) a second factor, or ''."""
    if mfa.has_second_factor(user):
        return "" if mfa.verify(user, code) else _("A valid second-factor code (otp) is required.")
    if mfa.mfa_required(user):
        return _("Set up a second factor in the web application before requesting a token.")
    return ""


def _locked_out(request):
    # Answer in JSON ourselves and clear the flag, so that AxesMiddleware does not swap our
    # response for its HTML lockout page.
    request.axes_locked_out = False
    message = _("Too many failed login attempts. Try again later.")
    return Response({"detail": message}, status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))


class MembershipOut(Schema):
    role: str = Field(json_schema_extra={"enum": list(Membership.Role.values)})
    scope_type: str = Field(json_schema_extra={"enum": ["region", "institution"]})
    scope_id: int
    scope_name: str


class MeOut(Schema):
    username: str
    full_name: str
    is_superuser: bool
    memberships: list[MembershipOut]


@router.get("/me", response=MeOut, summary="The signed-in user and their memberships")
def me(request):
    user = request.auth_user
    memberships = Membership.objects.filter(user=user).select_related("region", "institution")
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "is_superuser": user.is_superuser,
        "memberships": [_membership(m) for m in memberships],
    }


def _membership(m: Membership) -> dict:
    scope = m.scope_object
    scope_type = "region" if m.role == Membership.Role.SUPERVISOR else "institution"
    return {"role": m.role, "scope_type": scope_type, "scope_id": scope.pk, "scope_name": str(scope)}
