"""Second factor (TOTP through django-otp) with one-time recovery codes.

Supervisors, staff and superusers must enrol (settings.YILIAN_MFA_REQUIRED); anyone may. A user
with a confirmed device proves it after the password on every login. A supervisor may reset the
second factor of a user they manage (lost phone); the reset is written to the audit log.
"""

from __future__ import annotations

import base64
import io
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from yilian.core.audit import Action, origin_of, record
from yilian.core.scoping import scope_for

from .models import Membership

RECOVERY_CODES = 10
RECOVERY_DEVICE_NAME = "recovery"


def mfa_required(user) -> bool:
    """Does this user have to use a second factor before doing anything?"""
    if not settings.YILIAN_MFA_REQUIRED or not user.is_authenticated:
        return False
    return user.is_superuser or user.is_staff or user.memberships.filter(role=Membership.Role.SUPERVISOR).exists()


def has_second_factor(user) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (one at a time; a fresh secret on every new start)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an authenticator app."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP's img-src)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@transaction.atomic
def confirm_enrolment(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the pending device with a first code; returns fresh recovery codes, or None if wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator per user
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; each works once. Only shown now, stored as is by django-otp."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def verify(user, code: str):
    """The device that accepts this code (TOTP or a recovery code, which is then used up), or None."""
    return match_token(user, _digits(code)) if code else None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def reset(*, by, user, request=None) -> int:
    """Remove every second-factor device of ``user`` (they enrol again at next login); audited."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    region_paths = scope_for(by).region_paths or ("",)  # the resetting supervisor's region sees the entry
    record(by, Action.DELETE, user, object_type="accounts.second_factor", object_id=user.pk,
           summary=f"second factor reset for {user.get_username()}", origin=origin_of(request),
           region_path=region_paths[0])
    return removed


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())[:16]
