"""The URL configuration as a flat list: every pattern with a URL the tests can request."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# What a converter's placeholder becomes in a generated URL (an id no row has: out of scope is 404).
SAMPLE_VALUES = {"int": "999999", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.UUID(int=1))}


@dataclass(frozen=True)
class Route:
    route: str          # e.g. "residents/<int:pk>/"
    name: str           # namespaced, e.g. "api:resident_list"; "" for unnamed
    module: str         # where the view is defined
    url: str | None     # a concrete path, or None when a converter has no sample value

    @property
    def app(self) -> str:
        parts = self.module.split(".")
        return parts[1] if parts[0] == "yilian" and len(parts) > 1 else parts[0]


# Regular-expression patterns (Django's admin) with a URL that matches them.
REGEX_SAMPLES = {"admin:app_list": "/admin/auth/", "admin/(?P<url>.*)$": "/admin/no-such-page/"}


def _concrete(route_parts: list[tuple[str, dict]]) -> str | None:
    url = ""
    for text, converters in route_parts:
        for key, converter in converters.items():
            type_name = {"IntConverter": "int", "StringConverter": "str", "SlugConverter": "slug",
                         "PathConverter": "path", "UUIDConverter": "uuid"}.get(type(converter).__name__)
            if type_name is None:
                return None
            text = text.replace(f"<{type_name}:{key}>", SAMPLE_VALUES[type_name])
        text = re.sub(r"<([a-z_]+)>", SAMPLE_VALUES["str"], text)  # <name> without a type is a str
        if "<" in text or "^" in text or "(" in text:
            return None  # a regex or converter we cannot fill
        url += text
    return "/" + url


def _walk(patterns, parts, namespace):
    for pattern in patterns:
        converters = getattr(pattern.pattern, "converters", {})
        here = [*parts, (str(pattern.pattern), converters)]
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            yield from _walk(pattern.url_patterns, here, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            name, route = f"{namespace}{pattern.name or ''}", "".join(p for p, _ in here)
            sample = REGEX_SAMPLES.get(name if pattern.name else route)
            yield Route(route, name, module, sample or _concrete(here))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, [], ""))


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str           # e.g. "/api/v1/residents/{int:resident_id}"
    name: str           # the view function's name, e.g. "resident_list"
    module: str
    public: bool        # declared with auth=None

    @property
    def url(self) -> str:
        return re.sub(r"\{(?:int:)?[a-z_]+\}", SAMPLE_VALUES["int"], self.path)

    @property
    def app(self) -> str:
        return self.module.split(".")[1]

    @property
    def is_list(self) -> bool:
        return self.method == "GET" and "{" not in self.path


def api_operations() -> list[ApiOperation]:
    """Every django-ninja operation, one per method, with the module that defines it."""
    from yilian.api import api

    found = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append(ApiOperation(
                        method, f"/api/{prefix.rstrip('/')}{path}", operation.view_func.__name__,
                        operation.view_func.__module__, operation.auth_param is None))
    return found
