"""XSS in every free-text field shown back on a page, SQL injection in every search box, and CSRF on
every form view. Counts of what was tried are printed for docs/security.md."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client

from tests.factories import RegionFactory, UserFactory
from tests.security.urlwalk import all_routes, api_operations
from tests.test_access_matrix import _district, _extras
from yilian.core import audit
from yilian.core.models import AuditEntry
from yilian.network.models import Region

XSS_LONG = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
XSS_SHORT = "<script>x</script>"
RAW_MARKERS = ("<script>alert(1)</script>", "<script>x</script>", "<img src=x onerror")
# Fields that are not free text a user types: identifiers, codes, paths and hashes.
NOT_FREE_TEXT = {"path", "id_number", "phone", "code", "digest", "prefix", "icd_code", "client_key", "task_id",
                 "language", "username", "password", "key", "token", "fingerprint", "request_id", "object_type",
                 "history_change_reason", "history_type", "licence_number", "kind", "status", "ip"}
SQL_PAYLOADS = [
    "' OR '1'='1", "1' OR 1=1 --", "'; DROP TABLE auth_user; --", '" OR ""="',
    "%' UNION SELECT username, password FROM auth_user --", "1)) OR pg_sleep(5)--", "\\'\\\"%_", "居民' OR 1=1 --",
]
ID_SAMPLES = range(1, 7)  # the small world's primary keys
TRIED = {"xss_fields": 0, "xss_pages": 0, "sql": 0, "csrf": 0}


@pytest.fixture
def hostile_world(db):
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    for label in ("甲", "乙"):
        _extras(_district(city, label), label)
    admin = UserFactory(is_superuser=True, is_staff=True)
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    return client


def _free_text_fields(model):
    for field in model._meta.get_fields():
        if (isinstance(field, models.CharField | models.TextField) and not field.choices and not field.unique
                and field.name not in NOT_FREE_TEXT and not field.primary_key
                and (field.max_length or 999) >= len(XSS_SHORT)):
            yield field


def _inject_everywhere() -> int:
    """Every free-text field of every stored row gets a script payload (as if typed in)."""
    injected = 0
    targets = [m for m in apps.get_models() if m.__module__.startswith("yilian.")] + [get_user_model()]
    for model in targets:
        if model is AuditEntry:  # append-only: a new entry carries the payload instead
            fields = list(_free_text_fields(model))
            audit.record(None, audit.Action.READ, object_type="test", summary=XSS_LONG, reason=XSS_LONG)
            injected += len(fields)
            continue
        for field in _free_text_fields(model):
            for pk in model._base_manager.values_list("pk", flat=True):
                suffix = f" {pk}"  # unique per row: names are unique within a parent
                payload = XSS_LONG if (field.max_length or 999) >= len(XSS_LONG + suffix) else XSS_SHORT
                model._base_manager.filter(pk=pk).update(**{field.name: payload + suffix})
            injected += 1
    return injected


def _page_urls():
    """Every page of the URL configuration (not the API, not the admin), with ids of stored rows."""
    for route in all_routes():
        if route.url is None or route.route.startswith(("api/", "admin/", "accounts/logout")):
            continue
        if "999999" in route.url:
            for pk in ID_SAMPLES:
                yield route.url.replace("999999", str(pk))
        else:
            yield route.url


def test_script_in_every_free_text_field_is_escaped_on_every_page(hostile_world):
    TRIED["xss_fields"] = _inject_everywhere()
    failures = []
    for url in _page_urls():
        response = hostile_world.get(url)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
            continue
        TRIED["xss_pages"] += 1
        body = response.content.decode()
        failures += [f"{url}: raw {marker!r}" for marker in RAW_MARKERS if marker in body]
    print(f"XSS: {TRIED['xss_fields']} fields × {TRIED['xss_pages']} pages")
    assert TRIED["xss_fields"] > 50 and TRIED["xss_pages"] > 100
    assert not failures, failures


def test_script_typed_into_real_forms_and_the_api_comes_back_escaped(hostile_world):
    from yilian.network.models import Institution

    hospital = Institution.objects.filter(kind__in=Institution.HOSPITAL_KINDS).first()
    response = hostile_world.post("/api/v1/liaisons", {"hospital": hospital.pk, "name": '"><script>alert(1)</script>',
                                                      "phone": "0851-1234567"},
                                  content_type="application/json")
    assert response.status_code == 201, response.content.decode()
    hostile_world.post("/accounts/tokens/", {"name": XSS_LONG})
    for url in ("/liaisons/", "/accounts/tokens/"):
        body = hostile_world.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert not any(marker in body for marker in RAW_MARKERS)


def _search_urls(client):
    """Pages with a search box (an input named q), and every API list (they all take q or ignore it)."""
    for route in all_routes():
        if route.url and "999999" not in route.url and not route.route.startswith(("admin/", "api/")) \
                and not route.route.endswith((".xlsx", ".pdf", ".json", ".<str:fmt>")):
            response = client.get(route.url)
            if response.status_code == 200 and 'name="q"' in response.content.decode(errors="replace"):
                yield route.url
    for operation in api_operations():
        if operation.is_list and not operation.public:
            yield operation.url


def test_sql_injection_in_every_search_box(hostile_world):
    urls = list(_search_urls(hostile_world))
    failures = []
    for url in urls:
        for payload in [*SQL_PAYLOADS, "a\x00b"]:  # a NUL byte too: PostgreSQL refuses it in strings
            response = hostile_world.get(url, {"q": payload})
            TRIED["sql"] += 1
            if response.status_code >= 500:
                failures.append(f"{url} q={payload!r}: {response.status_code}")
    print(f"SQL injection: {len(urls)} search boxes × {len(SQL_PAYLOADS) + 1} payloads = {TRIED['sql']} requests")
    assert len(urls) >= 10
    assert get_user_model().objects.exists()  # the DROP did nothing
    assert not failures, failures


def test_a_nul_byte_in_a_query_is_refused_with_400(hostile_world):
    for url in ("/institutions/", "/residents/", "/api/v1/institutions"):
        assert hostile_world.get(url, {"q": "a\x00b"}).status_code == 400, url


def test_every_form_view_refuses_a_post_without_csrf_token(hostile_world):
    """Every page (including login and the public ones) refuses a POST without the CSRF token."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies = hostile_world.cookies
    failures = []
    for route in all_routes():
        if route.url is None or route.route.startswith("api/"):
            continue
        response = client.post(route.url.replace("999999", "1"), {"name": "x"})
        TRIED["csrf"] += 1
        if response.status_code != 403:
            failures.append(f"{route.name or route.route}: {response.status_code}")
    assert TRIED["csrf"] > 150
    assert not failures, failures


def test_api_writes_through_the_session_need_the_csrf_token(hostile_world):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies = hostile_world.cookies
    for operation in api_operations():
        if operation.method in ("POST", "PATCH", "PUT", "DELETE") and not operation.public:
            response = client.generic(operation.method, operation.url.replace("999999", "1"), "{}",
                                      content_type="application/json")
            assert response.status_code in (401, 403), f"{operation.method} {operation.url}: {response.status_code}"
