"""Authentication: bearer tokens, the session, lockout, /auth/me."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import PASSWORD, HospitalFactory, UserFactory, user_with_role
from yilian.accounts.models import ApiToken, Membership

pytestmark = pytest.mark.django_db


def issue(client, username, password=PASSWORD, name="ledger sync"):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password, "name": name},
        content_type="application/json",
    )


def test_token_is_issued_once_and_then_authenticates():
    user = UserFactory()
    response = issue(Client(), user.username)
    assert response.status_code == 201
    key = response.json()["token"]
    token = ApiToken.objects.get(user=user)
    assert token.name == "ledger sync"
    assert key not in token.digest  # only the hash is stored

    me = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_wrong_password_gets_401_and_no_token():
    user = UserFactory()
    response = issue(Client(), user.username, password="wrong-password")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/regions", "/api/v1/pairings", "/api/v1/auth/me"])
def test_without_credentials_is_401_json(path):
    response = Client().get(path)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_unknown_bearer_key_is_401():
    response = Client(HTTP_AUTHORIZATION="Bearer yl_not-a-key").get("/api/v1/regions")
    assert response.status_code == 401


def test_token_of_inactive_user_is_refused():
    user = UserFactory()
    _, key = ApiToken.issue(user, "old laptop")
    user.is_active = False
    user.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/auth/me").status_code == 401


def test_lockout_after_five_failures_even_with_the_right_password():
    user = UserFactory()
    client = Client()
    statuses = [issue(client, user.username, password="wrong-password").status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4
    assert AccessAttempt.objects.filter(username=user.username).get().failures_since_start == 5

    locked = issue(client, user.username)  # correct password, but locked out
    assert locked.status_code in (403, 429)
    assert locked["Content-Type"].startswith("application/json")
    assert locked.json()["detail"]
    assert not ApiToken.objects.exists()


def test_session_works_and_unsafe_methods_need_csrf():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/auth/me").json()["username"] == user.username

    response = client.post("/api/v1/liaisons", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_me_lists_memberships():
    hospital = HospitalFactory(name="测试第一人民医院")
    user = user_with_role(Membership.Role.COORDINATOR, hospital)
    client = Client()
    client.force_login(user)
    memberships = client.get("/api/v1/auth/me").json()["memberships"]
    assert memberships == [{
        "role": "coordinator", "scope_type": "institution", "scope_id": hospital.pk, "scope_name": "测试第一人民医院",
    }]
