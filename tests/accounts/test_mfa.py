"""Second factor: enrolment with QR and key, verification after the password, recovery codes, reset."""

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, HospitalFactory, RegionFactory, UserFactory, user_with_role
from yilian.accounts.models import ApiToken, Membership
from yilian.core.models import AuditEntry


@pytest.fixture(autouse=True)
def enforce_second_factor(settings):
    settings.YILIAN_MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def region(db):
    return RegionFactory(name="甲区")


@pytest.fixture
def supervisor(region):
    return user_with_role(Membership.Role.SUPERVISOR, region)


def code_for(device, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return totp.token()


def _logged_in(user):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _enrol(client):
    client.get("/accounts/mfa/setup/")
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/accounts/mfa/setup/", {"code": f"{code_for(device):06d}", "next": "/"})
    assert response.status_code == 200
    return device, response.context["codes"]


def test_supervisor_without_second_factor_is_sent_to_enrolment_before_anything_else(supervisor):
    client = _logged_in(supervisor)
    for url in ("/", "/users/", "/institutions/", "/accounts/tokens/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/mfa/setup/?next=")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_enrolment_shows_qr_and_key_and_confirms_with_a_code(supervisor):
    client = _logged_in(supervisor)
    page = client.get("/accounts/mfa/setup/").content.decode()
    device = TOTPDevice.objects.get(user=supervisor)
    assert 'src="data:image/svg+xml;base64,' in page
    assert device.config_url  # the QR carries the otpauth:// URL
    wrong = client.post("/accounts/mfa/setup/", {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    device, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200  # verified in this session


def test_login_asks_for_the_code_after_the_password(supervisor):
    device, _codes = _enrol(_logged_in(supervisor))
    client = _logged_in(supervisor)
    response = client.get("/institutions/")
    assert response["Location"] == "/accounts/mfa/verify/?next=%2Finstitutions%2F"
    assert client.post("/accounts/mfa/verify/", {"code": "123456"}).status_code == 200
    device.refresh_from_db()
    response = client.post("/accounts/mfa/verify/", {"code": f"{code_for(device, 1):06d}", "next": "/institutions/"})
    assert response["Location"] == "/institutions/"
    assert client.get("/institutions/").status_code == 200


def test_a_recovery_code_works_once(supervisor):
    _device, codes = _enrol(_logged_in(supervisor))
    first = _logged_in(supervisor)
    assert first.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert StaticToken.objects.filter(device__user=supervisor).count() == 9
    second = _logged_in(supervisor)
    assert second.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 200
    assert second.get("/").status_code == 302


def test_verification_does_not_redirect_off_site(supervisor):
    _device, codes = _enrol(_logged_in(supervisor))
    client = _logged_in(supervisor)
    response = client.post("/accounts/mfa/verify/", {"code": codes[1], "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_second_factor_is_optional_for_other_roles(region):
    coordinator = user_with_role(Membership.Role.COORDINATOR, HospitalFactory(region=region))
    client = _logged_in(coordinator)
    assert client.get("/").status_code == 200
    _enrol(client)  # but once chosen, it is asked for at every login
    assert _logged_in(coordinator).get("/").status_code == 302


def test_superuser_must_enrol_too(db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert _logged_in(admin).get("/")["Location"].startswith("/accounts/mfa/setup/")


def test_supervisor_resets_another_users_second_factor_with_an_audit_row(supervisor, region):
    coordinator = user_with_role(Membership.Role.COORDINATOR, HospitalFactory(region=region))
    _enrol(_logged_in(coordinator))
    sup_client = _logged_in(supervisor)
    _enrol(sup_client)
    response = sup_client.post(f"/users/{coordinator.pk}/mfa-reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticToken.objects.filter(device__user=coordinator).exists()
    entry = AuditEntry.objects.get(object_type="accounts.second_factor")
    assert (entry.user, entry.object_id, entry.action) == (supervisor, coordinator.pk, "delete")
    assert entry.region_path == region.path  # so the region's supervisors find it in the audit log


def test_reset_is_refused_outside_the_supervised_region(supervisor):
    stranger = user_with_role(Membership.Role.COORDINATOR, HospitalFactory(region=RegionFactory(name="乙区")))
    _enrol(_logged_in(stranger))
    sup_client = _logged_in(supervisor)
    _enrol(sup_client)
    assert sup_client.post(f"/users/{stranger.pk}/mfa-reset/").status_code == 404
    assert TOTPDevice.objects.filter(user=stranger, confirmed=True).exists()


def test_api_token_needs_the_code_of_a_user_with_a_second_factor(supervisor):
    payload = {"username": supervisor.username, "password": PASSWORD, "name": "报表"}
    client = Client()
    response = client.post("/api/v1/auth/token", payload, content_type="application/json")
    assert response.status_code == 401  # must enrol first
    device, _codes = _enrol(_logged_in(supervisor))
    device.refresh_from_db()
    assert client.post("/api/v1/auth/token", payload, content_type="application/json").status_code == 401
    payload["otp"] = f"{code_for(device, 1):06d}"
    response = client.post("/api/v1/auth/token", payload, content_type="application/json")
    assert response.status_code == 201
    assert ApiToken.objects.filter(user=supervisor).count() == 1


def test_new_recovery_codes_replace_the_old_ones(supervisor):
    client = _logged_in(supervisor)
    _device, old = _enrol(client)
    response = client.post("/accounts/security/")
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10


def test_demo_skip_is_refused_in_production():
    import subprocess
    import sys

    env = {"YILIAN_ENV": "production", "YILIAN_SECRET_KEY": "x" * 60, "YILIAN_DEMO_SKIP_MFA": "1", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
                             "'yilian.settings'; django.setup()"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "YILIAN_DEMO_SKIP_MFA" in result.stderr
