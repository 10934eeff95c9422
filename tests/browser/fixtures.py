"""Playwright fixtures for the browser tests, imported by tests/conftest.py (sync API, Debian chromium).

A test that uses ``page`` or ``phone_page`` fails when the page logs a console error, throws an
uncaught exception or violates the Content Security Policy (no inline scripts or styles). A test
that expects such an error removes it from ``browser_errors`` before it ends.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest

from . import SCREENSHOTS

# Playwright's sync API runs an event loop in this thread; Django's ORM then refuses to run
# unless told that this is on purpose.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("YILIAN_CHROMIUM", "/usr/bin/chromium")
# The closed network of the build machines refuses chromium's background connections; these
# flags keep chromium from trying. Playwright gives every launch a new, empty user-data-dir.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

_PAGES = pytest.StashKey[list]()  # the test's pages, for screenshots when it fails
_ERRORS = pytest.StashKey[list]()  # the test's browser_errors

# Reports CSP violations as console errors, whatever chromium itself logs for them. Playwright
# injects init scripts through the DevTools protocol, so the CSP does not block this one.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: ./dev setup installs Debian's chromium"
        if os.environ.get("YILIAN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_errors():
    """Console errors, uncaught exceptions and CSP violations of this test's pages, as strings."""
    return []


def _open_page(request, browser, errors, **context_options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            location = message.location
            errors.append(f"console: {message.text} ({location.get('url')}:{location.get('lineNumber')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught exception: {exc}"))
    request.node.stash.setdefault(_PAGES, []).append(page)
    return context, page


@pytest.fixture
def page(request, browser, browser_errors):
    """A desktop page: 1280×800, zh-CN."""
    request.node.stash[_ERRORS] = browser_errors
    context, page = _open_page(request, browser, browser_errors, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.fixture
def phone_page(request, browser, browser_errors):
    """A phone-sized page: 390×844, touch, zh-CN."""
    request.node.stash[_ERRORS] = browser_errors
    context, page = _open_page(
        request, browser, browser_errors, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        result = yield
    except pytest.skip.Exception:
        raise
    except BaseException:
        _screenshot_pages(item)
        raise
    errors = item.stash.get(_ERRORS, [])
    if errors:
        _screenshot_pages(item)
        pytest.fail("the browser reported errors:\n  " + "\n  ".join(errors), pytrace=False)
    return result


def _screenshot_pages(item):
    """Keep what the pages showed when the test failed: test-artifacts/screenshots/FAILED-….png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(item.stash.get(_PAGES, []), start=1):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid)
        # The page may be gone already; the test's own error is what matters.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}-{number}.png"), full_page=True)
