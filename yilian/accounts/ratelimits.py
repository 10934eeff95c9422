"""Rate limits (django-ratelimit): the client address and the 429 answer, in Chinese or English."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request) -> str:
    """REMOTE_ADDR, or the last entry a trusted proxy appended to YILIAN_CLIENT_IP_HEADER."""
    header = settings.YILIAN_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def too_many_requests(request, exception=None):
    """429 with a Retry-After hint; JSON for API clients, a page for browsers."""
    detail = _("Too many requests. Please wait a minute and try again.")
    if wants_json(request):
        response = JsonResponse({"detail": detail}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "429.html", {"detail": detail}, status=429)
    response["Retry-After"] = "60"
    return response
