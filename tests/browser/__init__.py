"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live_server.

Fixtures (``browser``, ``page``, ``phone_page``, ``browser_errors``) live in conftest.py; the
helpers below are imported by the tests: ``from tests.browser import login, shot``.
"""

import re
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def shot(page, name):
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    # caret="initial": Playwright otherwise leaves style="" on inputs, which htmx copies into swapped
    # content and the CSP then reports
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def login(page, live_server, username, password):
    """Sign in through the login form at /accounts/login/ and wait for the page after it."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('button[type="submit"]')
    assert "/accounts/login/" not in page.url, f"login as {username!r} failed: still on {page.url}"
    return page
