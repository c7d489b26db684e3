"""Two-factor sign-in with django-otp: a TOTP device plus single-use recovery codes (a static device).

Who must enrol (api.md Environment `LEC_REQUIRE_2FA`): officers of the department and provinces, staff and
superusers; everybody else may. A session is "verified" once django-otp has a device in it (OTPMiddleware).
"""

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools.models import Kind

from .models import User
from .services import audit

RECOVERY_CODES = 10
_TOTP_NAME = "authenticator"
_STATIC_NAME = "recovery"


def required_for(user) -> bool:
    """Whether `user` must have a second factor before using LEC in the browser."""
    if not settings.LEC_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    organisation = getattr(user, "organisation", None)
    return organisation is not None and organisation.kind in (Kind.DEPARTMENT, Kind.PROVINCE)


def has_device(user) -> bool:
    """Whether the user has a confirmed device: the flag on the user row (accounts.signals keeps it), so asking
    costs no query."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_second_factor


def pending_totp(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (made on first visit to the enrolment page, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=_TOTP_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four, for typing into an authenticator app by hand."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(uri: str) -> str:
    """An SVG QR code of the otpauth:// URI (no Pillow needed)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


@transaction.atomic
def enrol_confirm(*, user: User, device: TOTPDevice, token: str, ip: str | None = None) -> list[str] | None:
    """Confirm the pending device with a code from the app; returns the new recovery codes, or None."""
    if (
        device.user_id != user.pk
        or device.confirmed
        or not device.verify_token(token.strip().replace(" ", ""))
    ):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = recovery_codes_replace(user=user)
    audit(acting_user=user, action="2fa_enrol", object_ref=user.username, ip=ip)
    return codes


def recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=_STATIC_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def verify(user: User, token: str):
    """The device that accepts `token` (a current code or an unused recovery code, used up), or None."""
    token = (token or "").strip().replace(" ", "")
    if not token or len(token) > 16:
        return None
    return match_token(user, token)


@transaction.atomic
def devices_reset(*, user: User, acting_user, ip: str | None = None) -> int:
    """An administrator's reset of a lost device: every device goes; the user enrols again at next sign-in."""
    count = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        count += 1
    audit(acting_user=acting_user, action="2fa_reset", organisation=user.organisation,
          object_ref=user.username, ip=ip, devices=count)  # fmt: skip
    return count
