import pytest


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings, tmp_path):
    """The public opt-out page's rate limit counts in a cache of this test's own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
