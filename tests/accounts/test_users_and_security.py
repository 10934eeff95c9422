"""Supervisors create users inside their region; login lockout, idle timeout and CSP hold."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import PASSWORD, HospitalFactory, InstitutionFactory, RegionFactory, UserFactory, user_with_role
from yilian.accounts.models import ApiToken, Membership

User = get_user_model()


@pytest.fixture
def regions(db):
    return RegionFactory(name="甲区"), RegionFactory(name="乙区")


@pytest.fixture
def supervisor(regions):
    return user_with_role(Membership.Role.SUPERVISOR, regions[0])


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _new_user(**overrides):
    data = {"username": "new_coordinator", "full_name": "新协调员", "password": "a-Long-pass-2026",
            "role": Membership.Role.COORDINATOR}
    data.update(overrides)
    return data


def test_supervisor_creates_a_coordinator_for_a_hospital_in_their_region(supervisor, regions):
    hospital = HospitalFactory(region=regions[0])
    response = _client(supervisor).post("/users/new/", _new_user(institution=hospital.pk))
    assert response.status_code == 302
    user = User.objects.get(username="new_coordinator")
    membership = user.memberships.get()
    assert (membership.role, membership.institution) == (Membership.Role.COORDINATOR, hospital)
    assert membership.history.latest().history_user == supervisor


@pytest.mark.parametrize("case", ["other_region", "clinic_as_coordinator", "weak_password", "duplicate_name"])
def test_bad_user_creation_saves_nothing(supervisor, regions, case):
    own_hospital = HospitalFactory(region=regions[0])
    data = _new_user(institution=own_hospital.pk)
    if case == "other_region":
        data["institution"] = HospitalFactory(region=regions[1]).pk
    elif case == "clinic_as_coordinator":
        data["institution"] = InstitutionFactory(region=regions[0]).pk
    elif case == "weak_password":
        data["password"] = "1234567890"
    else:
        UserFactory(username="new_coordinator")
    before = User.objects.count()
    response = _client(supervisor).post("/users/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.count() == before
    assert not Membership.objects.filter(user__username="new_coordinator").exists()


def test_non_supervisors_cannot_manage_users(regions):
    coordinator = user_with_role(Membership.Role.COORDINATOR, HospitalFactory(region=regions[0]))
    client = _client(coordinator)
    assert client.get("/users/").status_code == 404
    assert client.post("/users/new/", _new_user()).status_code == 404


def test_login_locks_out_after_repeated_failures(db, settings):
    user = UserFactory(username="target")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "target", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "target", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert user.pk  # the account itself is untouched


def test_idle_timeout_defaults_to_30_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_idle_session_is_logged_out_but_an_active_one_is_kept(db, settings):
    import time

    settings.SESSION_COOKIE_AGE = 2
    UserFactory(username="idle")
    client = Client()
    client.post("/accounts/login/", {"username": "idle", "password": PASSWORD})
    for _ in range(3):  # activity keeps pushing the expiry forward
        time.sleep(1)
        assert client.get("/").status_code == 200
    time.sleep(2.5)
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_pages_carry_a_csp_without_inline_scripts(supervisor):
    response = _client(supervisor).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_api_token_is_shown_once_and_stored_hashed(supervisor):
    client = _client(supervisor)
    response = client.post("/accounts/tokens/", {"name": "报表系统"})
    key = response.context["new_key"]
    token = ApiToken.objects.get(user=supervisor)
    assert key.startswith(token.prefix)
    assert key not in token.digest
    assert ApiToken.find(key) == token
    assert key not in client.get("/accounts/tokens/").content.decode()
