"""Password rules beyond Django's own (等保 level 3) and the age of each user's password."""

from __future__ import annotations

import string
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

CLASSES = (
    ("lower", set(string.ascii_lowercase)),
    ("upper", set(string.ascii_uppercase)),
    ("digit", set(string.digits)),
)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters (symbols) the password mixes."""
    used = {name for name, chars in CLASSES for ch in password if ch in chars}
    if any(not ch.isascii() or not ch.isalnum() for ch in password):
        used.add("symbol")
    return len(used)


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("Your password must mix at least %(n)d of: lower-case letters, upper-case letters, digits, "
                 "symbols.") % {"n": self.min_classes}


class PasswordAgeRecorder:
    """Not a rule: Django calls ``password_changed`` after every new password is saved."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk:
            from .models import PasswordAge

            PasswordAge.objects.update_or_create(user=user, defaults={"changed_at": timezone.now()})

    def get_help_text(self):
        return ""


def password_expired(user) -> bool:
    """True when periodic change is on and the user's password is older than allowed."""
    days = settings.YILIAN_PASSWORD_MAX_AGE_DAYS
    if not days or not user.is_authenticated:
        return False
    from .models import PasswordAge

    record = PasswordAge.objects.filter(user=user).values_list("changed_at", flat=True).first()
    changed_at = record or user.date_joined  # accounts older than the record count from their creation
    return timezone.now() - changed_at > timedelta(days=days)


def expiry_message() -> str:
    return _("Your password is older than %(days)d days. Please choose a new one.") % {
        "days": settings.YILIAN_PASSWORD_MAX_AGE_DAYS}
