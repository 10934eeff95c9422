"""Smoke test: a supervisor signs in on the Guiyang demo and reaches the home page."""

import pytest

from tests.browser import login, shot
from yilian.accounts.demo_users import DEMO_PASSWORD, create_demo_users

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(guiyang):
    """The Guiyang demo network with its demo users, as `yilian demo` loads it."""
    create_demo_users()
    return guiyang


def test_supervisor_signs_in_and_lands_on_home(page, live_server, transactional_db, demo):
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert response.ok, f"login page answered {response.status}"
    assert page.locator('input[name="username"]').is_visible()
    shot(page, "login")

    login(page, live_server, "gy_supervisor", DEMO_PASSWORD)

    assert page.url == f"{live_server.url}/"
    shot(page, "home-supervisor")


def test_login_page_fits_a_phone(phone_page, live_server, transactional_db):
    response = phone_page.goto(f"{live_server.url}/accounts/login/")
    assert response.ok, f"login page answered {response.status}"
    assert phone_page.locator('button[type="submit"]').is_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone_page, "login-phone")
