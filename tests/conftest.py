import pytest

# Browser fixtures live in one place for the whole suite: one Playwright instance per session.
from tests.browser.fixtures import browser, browser_errors, page, phone_page, pytest_runtest_call  # noqa: F401
from yilian.network.demo_loader import load_guiyang


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s a user; tests create hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(settings, request):
    """Each test counts rate limits from zero: a cache of its own, not var/cache shared across runs."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


@pytest.fixture
def guiyang(db):
    """The Guiyang demo network (annex 1): 41 pilots, 18 hospitals."""
    return load_guiyang()
