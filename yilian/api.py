"""The REST API (django-ninja) under /api/v1/, OpenAPI docs at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Yilian API", version="1", urls_namespace="api")
