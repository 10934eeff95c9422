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
    """Each test counts from zero in a cache of its own, not in var/cache shared across runs."""
    own = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    settings.CACHES = {"default": own, "ratelimit": {**own, "KEY_PREFIX": "ratelimit"}}


@pytest.fixture(autouse=True)
def second_factor_not_required(settings):
    """Tests log supervisors in with force_login; tests/accounts/test_mfa.py switches enforcement on."""
    settings.YILIAN_MFA_REQUIRED = False


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """Tests log in far more often than people; tests/accounts/test_rate_limits.py switches them on."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def guiyang(db):
    """The Guiyang demo network (annex 1): 41 pilots, 18 hospitals."""
    return load_guiyang()
