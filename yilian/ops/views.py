"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus, and the 500/503 pages."""

import errno
import hmac
import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health, metrics

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    checks = health.run_checks()
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


@never_cache
def metrics_view(request):
    if not _may_scrape(request):
        raise Http404  # do not advertise the endpoint to whoever may not read it
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def _may_scrape(request) -> bool:
    token = settings.YILIAN_METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and offered and hmac.compare_digest(offered, token):
        return True
    return request.META.get("REMOTE_ADDR") in settings.YILIAN_METRICS_ALLOWED_IPS


def server_error(request):
    """handler500: a database that is down or restarting is 503 (retry shortly), anything else 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _storage_full(request)
    unavailable = isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower())
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        detail = _("The service is briefly unavailable; please retry shortly.") if unavailable else _(
            "Something went wrong on our side; it has been logged.")
        response = JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        try:
            response = render(request, "503.html" if unavailable else "500.html", status=status)
        except Exception:  # noqa: BLE001 — the error page must not need what just failed
            response = HttpResponse(_("Service unavailable") if unavailable else _("Server error"), status=status,
                                    content_type="text/plain; charset=utf-8")
    if unavailable:
        response["Retry-After"] = "5"
    return response


def _storage_full(request):
    detail = _("The server's storage is full, so nothing was saved. Please tell the administrator and try again later.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=507, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(f"<!doctype html><meta charset=utf-8><title>507</title><h1>507</h1><p>{detail}</p>",
                        status=507, content_type="text/html; charset=utf-8")
