"""The REST API (django-ninja) under /api/v1/, OpenAPI docs at /api/docs.

Every endpoint accepts a bearer token or the Django session. Errors are JSON:
``{"detail": "...", "errors": [{"field": "end", "message": "..."}]}`` for invalid input (422),
``{"detail": "..."}`` otherwise; messages follow the request's Accept-Language.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from yilian.accounts.api import BearerToken, SessionAuth
from yilian.accounts.api import router as auth_router
from yilian.appointments.api import router as appointments_router
from yilian.core.models import IdempotencyConflict
from yilian.familydoctor.api import router as familydoctor_router
from yilian.indicators.api import router as indicators_router
from yilian.network.api import MAX_DB_INT
from yilian.network.api import router as network_router
from yilian.planning.api import router as planning_router
from yilian.referrals.api import router as referrals_router
from yilian.roster.api import router as roster_router
from yilian.telehealth.api import router as telehealth_router


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese names stay readable in the raw JSON


# Answers every operation may give besides its own (documented once here, added to each operation).
COMMON_RESPONSES = {
    "400": "The body is not valid JSON.",
    "401": "No valid bearer token or session.",
    "403": "CSRF check failed (session authentication), or the action is not allowed.",
    "404": "Not found, or outside the caller's scope.",
    "422": "Invalid input: fields that do not fit the schema or the rules.",
    "429": "Too many requests.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
    "required": ["detail"],
}


def _without_null(schema: dict) -> dict:
    """A query or path parameter cannot carry JSON null (leaving it out means None): drop that branch."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**options[0], **rest}


def _bounded(schema: dict, minimum: int) -> dict:
    """Integers the database can hold (64-bit); beyond them the API answers 422."""
    if schema.get("type") == "integer":
        schema.setdefault("minimum", minimum)
        schema.setdefault("maximum", MAX_DB_INT)
    return schema


def _bound_integers(node):
    if isinstance(node, dict):
        _bounded(node, -MAX_DB_INT)
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


class YilianAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for component in components.values():
            _bound_integers(component)
        components["Error"] = ERROR_SCHEMA
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for methods in schema["paths"].values():
            for operation in methods.values():
                for parameter in operation.get("parameters", []):
                    parameter["schema"] = _bounded(_without_null(parameter.get("schema", {})),
                                                   0 if parameter["in"] == "path" else -MAX_DB_INT)
                responses = operation.setdefault("responses", {})
                for status, description in COMMON_RESPONSES.items():
                    responses.setdefault(status, {"description": description, **error})
        return schema

    @property
    def urls(self):
        # Unknown paths under /api/ (and ids that are not numbers) get a JSON 404, not the HTML page.
        patterns, app_name, namespace = super().urls
        catch_all = csrf_exempt(lambda request: not_found(request, Http404()))  # a JSON 404 even for a bad POST
        return [*patterns, re_path(r"", catch_all)], app_name, namespace


api = YilianAPI(
    title="Yilian API",
    version="1",
    description="Regional medical alliance network (regions, institutions, pilots, alliances, pairings, "
    "liaisons) and residents.",
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth()],
    renderer=Renderer(),
)
api.add_router("v1/auth", auth_router)
api.add_router("v1/", network_router)
api.add_router("v1/", familydoctor_router)
api.add_router("v1/", referrals_router)
api.add_router("v1/", telehealth_router)
api.add_router("v1/", indicators_router)
api.add_router("v1/", planning_router)
api.add_router("v1/", roster_router)
api.add_router("v1/", appointments_router)


def _errors(request, errors, status=422):
    detail = errors[0]["message"] if errors else _("The data is not valid.")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=status)


@api.exception_handler(DjangoValidationError)
def django_validation_error(request, exc):
    if not hasattr(exc, "error_dict"):
        return _errors(request, [{"field": None, "message": m} for m in exc.messages])
    return _errors(request, [
        {"field": None if field == NON_FIELD_ERRORS else field, "message": message}
        for field, messages in exc.message_dict.items()
        for message in messages
    ])


@api.exception_handler(NinjaValidationError)
def schema_validation_error(request, exc):
    """Payload or query that does not fit the schema, in the same shape as model errors."""
    return _errors(request, [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors])


def _field_of(loc) -> str | None:
    # ("body", "payload", "start") → "start"; ("query", "limit") → "limit"
    names = [str(part) for part in loc[1:] if isinstance(part, str)]
    if loc and loc[0] == "body" and len(names) > 1:
        names = names[1:]
    return ".".join(names) or None


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(request, {"detail": _("Authentication required.")}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(MultiPartParserError)
def unreadable_body(request, exc):
    return api.create_response(request, {"detail": _("The request body could not be read.")}, status=400)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def number_out_of_range(request, exc):
    """An id or filter beyond the database's 64-bit integers (or a value PostgreSQL refuses)."""
    return _errors(request, [{"field": None, "message": _("A value is out of range.")}])


@api.exception_handler(IdempotencyConflict)
def idempotency_conflict(request, exc):
    detail = _("A request with this Idempotency-Key is still being processed; retry shortly.")
    return api.create_response(request, {"detail": detail}, status=409)
