"""Every request gets an id (logged, returned as X-Request-ID), an access log line and metrics."""

import logging
import time

from django.utils.functional import empty

from .context import new_request_id, request_id_var
from .metrics import observe_request

access_log = logging.getLogger("yilian.request")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = new_request_id(request.headers.get("X-Request-ID"))
        token = request_id_var.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request.id
            route = _route_of(request)
            observe_request(request.method, route, response.status_code, seconds)
            access_log.info("request", extra={
                "method": request.method, "path": request.path, "route": route, "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1), "user_id": _user_id(request)})
            return response
        finally:
            request_id_var.reset(token)


def _route_of(request) -> str:
    # The URL pattern, not the path: /referrals/<int:pk>/ is one series, not one per referral.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path.startswith("/static/") else "unmatched"
    return match.route or match.view_name or "unmatched"


def _user_id(request):
    # Only when authentication already ran: evaluating the lazy request.user here would query the database.
    wrapped = getattr(getattr(request, "user", None), "_wrapped", None)
    return None if wrapped is None or wrapped is empty else getattr(wrapped, "pk", None)
