"""Rate limits on the login form and the token endpoint, answered with 429 in the user's language."""

import pytest
from django.core.cache import caches
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def empty_rate_cache(db, settings):
    settings.RATELIMIT_ENABLE = True
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.mark.parametrize(("env", "backend"), [
    ({}, "yilian.appointments.cache.FileCache"),
    ({"DATABASE_URL": "postgres://db/yilian"}, "django.core.cache.backends.db.DatabaseCache"),
    ({"YILIAN_REDIS_URL": "redis://queue:6379/0"}, "django.core.cache.backends.redis.RedisCache"),
])
def test_the_rate_limit_cache_is_shared_by_all_processes(env, backend, tmp_path):
    """Never a per-process memory cache: files on one SQLite server, the database or Redis otherwise."""
    import json
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "YILIAN_REDIS_URL", "YILIAN_CACHE")}
    code = "import json; from yilian import settings as s; print(json.dumps(s.CACHES))"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env, "YILIAN_DATA_DIR": str(tmp_path)},
                         capture_output=True, text=True, check=True).stdout
    caches_config = json.loads(out)
    assert caches_config["ratelimit"]["BACKEND"] == caches_config["default"]["BACKEND"] == backend


def test_the_rate_limit_cache_counts(db):
    caches["ratelimit"].set("probe", 1)
    assert caches["ratelimit"].get("probe") == 1


def test_login_posts_beyond_the_limit_get_429_in_chinese_and_english(db, settings):
    settings.YILIAN_LOGIN_RATE = "3/m"
    settings.AXES_FAILURE_LIMIT = 100
    UserFactory(username="someone")
    client = Client()
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "someone", "password": "x"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "someone", "password": "x"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "请求过于频繁" in response.content.decode()
    english = client.post("/accounts/login/", {"username": "someone", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and "Too many requests" in english.content.decode()
    assert client.get("/accounts/login/").status_code == 200  # reading the form is not limited


def test_token_endpoint_is_rate_limited_with_a_json_429(db, settings):
    settings.YILIAN_LOGIN_RATE = "2/m"
    client = Client()
    payload = {"username": "nobody", "password": "x"}
    codes = [client.post("/api/v1/auth/token", payload, content_type="application/json").status_code
             for _ in range(3)]
    assert codes[:2] == [401, 401]
    assert codes[2] == 429


def test_public_pages_are_rate_limited(db, settings, rf):
    from django.http import HttpResponse

    from yilian.accounts.middleware import RateLimitMiddleware

    settings.YILIAN_PUBLIC_RATE = "2/m"
    middleware = RateLimitMiddleware(lambda request: HttpResponse("ok"))

    def hit(name):
        request = rf.get("/x/", REMOTE_ADDR="10.0.0.9")
        request.resolver_match = type("Match", (), {"url_name": name})()
        return middleware.process_view(request, None, (), {})

    assert hit("public-booking") is None
    assert hit("public-booking") is None
    assert hit("public-booking").status_code == 429
    assert hit("institution-list") is None  # pages behind the login are not limited here
