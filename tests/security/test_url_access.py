"""Every URL of the URL configuration refuses anonymous visitors, generated from the resolver.

An anonymous request to any page whose name does not start with ``public-`` (and is not in the
small allow-list below) is sent to a login page or answered 401 — never 200, never 500. Every API
operation (each method) answers 401 without credentials unless declared public. A pattern this test
cannot request (a converter it has no sample for) fails the test unless listed with a reason.
Unnamed patterns (the admin's redirects) count as protected and are checked like the rest.
"""

import pytest
from django.test import Client

from tests.security.urlwalk import all_routes, api_operations
from yilian.accounts.middleware import LEGACY_PUBLIC_NAMES

# Open to anyone, by design. Keep this small; every entry says why.
OPEN_BY_DESIGN = {
    "login": "the login form",
    "logout": "logging out needs no login",
    "set_language": "language switch on the login page",
    "javascript-catalog": "translations for scripts on the login page",
    "healthz": "load balancer probe",
    "metrics": "Prometheus scrape (restricted at the proxy)",
    "api:openapi-json": "the API schema",
    "api:openapi-view": "the API documentation page",
    "api:api-root": "JSON 404 for unknown API paths",
    "api:": "JSON 404 for unknown API paths",
    "api:token_issue": "exchanges a password (and second-factor code) for a token",
    "admin:login": "the admin's own login form",
    "admin:logout": "logging out of the admin",
    "admin:index": "redirects to the admin login",
    **{name: "public expert-studio page (support), named before the public- convention"
       for name in LEGACY_PUBLIC_NAMES},
}
# Patterns this test cannot turn into a URL, with the reason.
UNREACHABLE = {}
# Public API operations (auth=None).
PUBLIC_API = {"token_issue"}


def _is_public(name: str) -> bool:
    return name.split(":")[-1].startswith("public-") or name in OPEN_BY_DESIGN


ROUTES = [r for r in all_routes() if not r.route.startswith("static")]
PROTECTED = [r for r in ROUTES if not _is_public(r.name)]
PUBLIC = [r for r in ROUTES if _is_public(r.name)]


def _refused(response, login_path="/accounts/login/") -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 302 and response["Location"].startswith((login_path, "/admin/login/"))


def test_every_pattern_can_be_requested_or_is_listed_with_a_reason():
    missing = [r.route for r in ROUTES if r.url is None and r.route not in UNREACHABLE]
    assert not missing, f"URL patterns the access test cannot request; add sample values or list them: {missing}"
    assert len(PROTECTED) > 150


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in PROTECTED if r.url], ids=lambda r: r.name)
def test_anonymous_get_is_sent_to_login(route):
    client = Client(raise_request_exception=False)
    response = client.get(route.url)
    if response.status_code == 405:  # POST-only views: the POST must be refused the same way
        response = client.post(route.url)
    assert _refused(response), f"{route.url} answered {response.status_code} to an anonymous visitor"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in PUBLIC if r.url], ids=lambda r: r.name or r.route)
def test_public_pages_do_not_fail(route):
    response = Client(raise_request_exception=False).get(route.url)
    assert response.status_code < 500


OPERATIONS = api_operations()


def test_public_api_operations_are_the_listed_ones():
    assert {op.name for op in OPERATIONS if op.public} == PUBLIC_API


@pytest.mark.django_db
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if not op.public],
                         ids=lambda op: f"{op.method} {op.name}")
def test_anonymous_api_call_is_401(operation):
    client = Client(raise_request_exception=False)
    response = client.generic(operation.method, operation.url, "{}", content_type="application/json")
    assert response.status_code == 401, f"{operation.method} {operation.url}: {response.status_code}"
    assert response.json()["detail"]
