"""Password policy (等保 level 3) and optional periodic change."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from yilian.accounts.models import PasswordAge


@pytest.mark.parametrize("password", [
    "Short-1a",                # under 12 characters
    "123456789012345",         # only digits
    "password12345",           # common
    "alllowercaseletters",     # one class
    "lowercaseand12345",       # two classes
    "Zhangwei-2026",           # like the user name
])
def test_weak_passwords_are_refused(db, password):
    user = UserFactory.build(username="zhangwei", first_name="zhangwei")
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.parametrize("password", ["a-Long-pass-2026", "yilian-demo-2026", "顺利-Referral-2026", "Mixed-Case-Words"])
def test_strong_passwords_pass(db, password):
    validate_password(password, UserFactory.build(username="wangfang"))


def test_setting_a_password_records_its_date(db):
    user = UserFactory()
    user.set_password("a-Long-pass-2026")
    user.save()
    assert timezone.now() - PasswordAge.objects.get(user=user).changed_at < timedelta(minutes=1)


def _login(user):
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    return client


def test_periodic_change_is_off_by_default(db, settings):
    assert settings.YILIAN_PASSWORD_MAX_AGE_DAYS == 0
    user = UserFactory()
    PasswordAge.objects.update_or_create(user=user, defaults={"changed_at": timezone.now() - timedelta(days=900)})
    assert _login(user).get("/").status_code == 200


def test_an_old_password_must_be_changed_before_anything_else(db, settings):
    settings.YILIAN_PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory()
    PasswordAge.objects.update_or_create(user=user, defaults={"changed_at": timezone.now() - timedelta(days=91)})
    client = _login(user)
    response = client.get("/institutions/")
    assert response["Location"].startswith("/accounts/password/?next=")
    assert client.get("/accounts/password/").status_code == 200
    weak = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "short",
                                                "new_password2": "short"})
    assert weak.status_code == 200 and weak.context["form"].errors
    assert client.get("/institutions/").status_code == 302
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "Fresh-pass-2027",
                                                    "new_password2": "Fresh-pass-2027"})
    assert response.status_code == 302
    assert client.get("/institutions/").status_code == 200


def test_a_recent_password_is_not_asked_again(db, settings):
    settings.YILIAN_PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory()
    PasswordAge.objects.update_or_create(user=user, defaults={"changed_at": timezone.now() - timedelta(days=10)})
    assert _login(user).get("/").status_code == 200
