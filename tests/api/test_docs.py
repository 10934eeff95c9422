"""OpenAPI schema and the docs page, which must work offline (hospital LAN: no CDN)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_lists_the_paths():
    schema = Client().get("/api/openapi.json").json()
    assert schema["info"]["version"] == "1"
    for path in ("/api/v1/auth/token", "/api/v1/regions", "/api/v1/institutions/{institution_id}",
                 "/api/v1/pilots", "/api/v1/alliances", "/api/v1/pairings", "/api/v1/liaisons/{liaison_id}"):
        assert path in schema["paths"]
    assert set(schema["paths"]["/api/v1/pairings"]) == {"get", "post"}


def test_docs_page_loads_only_local_assets():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert [a for a in assets if re.match(r"(https?:)?//", a)] == []
    scripts = [a for a in assets if a.endswith(".js")]
    assert any("swagger-ui-bundle" in s for s in scripts)
    for asset in scripts:
        assert Client().get(asset).status_code == 200, asset
