"""In a real browser: a supervisor logs in, scans (reads) the key, confirms a code, keeps the
recovery codes and reaches the home page; at the next login the code is asked after the password."""

import base64

import pytest
from django_otp.oath import TOTP

from tests.browser import login, shot
from tests.factories import PASSWORD, RegionFactory, user_with_role
from yilian.accounts.models import Membership

pytestmark = pytest.mark.browser
SUBMIT_CODE = 'form:has(input[name="code"]) button[type="submit"]'  # not the header's log-out button


def _code(key_text: str, steps_ahead=0) -> str:
    import time

    key = base64.b32decode(key_text.replace(" ", "") + "=" * (-len(key_text.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def test_supervisor_enrols_and_then_verifies_at_login(page, live_server, transactional_db, settings):
    settings.YILIAN_MFA_REQUIRED = True
    user = user_with_role(Membership.Role.SUPERVISOR, RegionFactory(name="甲区"))
    login(page, live_server, user.username, PASSWORD)
    assert "/accounts/mfa/setup/" in page.url
    assert page.locator("#mfa-qr").evaluate("img => img.naturalWidth") > 0  # the SVG QR code renders
    key = page.locator("#mfa-key").inner_text()
    shot(page, "mfa-setup")
    page.fill('input[name="code"]', _code(key))
    with page.expect_navigation():
        page.click(SUBMIT_CODE)
    assert page.locator("#recovery-codes li").count() == 10
    shot(page, "mfa-recovery-codes")
    with page.expect_navigation():
        page.click("text=继续")
    assert page.url == f"{live_server.url}/"

    page.context.clear_cookies()
    login(page, live_server, user.username, PASSWORD)
    assert "/accounts/mfa/verify/" in page.url
    page.fill('input[name="code"]', _code(key, steps_ahead=1))
    with page.expect_navigation():
        page.click(SUBMIT_CODE)
    assert page.url == f"{live_server.url}/"
