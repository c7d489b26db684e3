"""/auth/token: an API token for a username and password (and the second factor's code when the user has a
confirmed device), and its revocation (/me is in schools/api.py)."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lec.lib.errors import Code, NotAuthenticated, Throttled
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, Error

from . import throttle, two_factor
from .services import token_create, token_revoke

router = Router(tags=["auth"])
LOCKOUT_SECONDS = 30 * 60


class TokenIn(Schema):
    # bounded: a longer username cannot exist (150), and axes could not store it (a 500 on PostgreSQL)
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=1024)
    otp: str | None = Field(
        None, max_length=32, description="The current TOTP code or an unused recovery code"
    )


class TokenOut(Schema):
    token: str
    expires_at: str


def _refuse_throttled(request, credentials) -> None:
    if AxesProxyHandler.is_locked(request, credentials):
        raise Throttled(_("Too many failed attempts. Try again in 30 minutes."), retry_after=LOCKOUT_SECONDS)
    wait = throttle.retry_after(request)
    if wait:
        raise Throttled(_("Too many failed sign-ins from this network. Try again later."), retry_after=wait)


def _check_second_factor(request, user, otp: str | None) -> None:
    if not two_factor.has_device(user):
        return
    if not otp:
        raise NotAuthenticated(_("Give the code of your authenticator app in “otp”."), code=Code.OTP_REQUIRED)
    if two_factor.verify(user, otp) is None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        request.axes_locked_out = (
            False  # like a wrong password: the failure that reaches the limit answers 401
        )
        raise NotAuthenticated(_("Wrong code of the second factor."))


@router.post("/auth/token", auth=None, response={200: TokenOut, 400: ERRORS[400], 401: Error, 429: Error})
def create_token(request, payload: TokenIn):
    credentials = {"username": payload.username}
    _refuse_throttled(request, credentials)
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if user is None:
        request.axes_locked_out = False  # the failure that reaches the limit still answers 401
        raise NotAuthenticated(_("Wrong username or password."))
    _check_second_factor(request, user, payload.otp)
    user_logged_in.send(sender=user.__class__, request=request, user=user)  # axes resets the failure count
    raw, token = token_create(user=user, ip=client_ip(request))
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.delete("/auth/token", response={204: None, 401: Error})
def revoke_token(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        token_revoke(token=token, ip=client_ip(request))
    return Status(204, None)
