"""/auth/token: an API token for a username and password, and its revocation (/me is in schools/api.py)."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lec.lib.errors import NotAuthenticated, Throttled
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, Error

from .services import token_create, token_revoke

router = Router(tags=["auth"])
LOCKOUT_SECONDS = 30 * 60


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post("/auth/token", auth=None, response={200: TokenOut, 400: ERRORS[400], 401: Error, 429: Error})
def create_token(request, payload: TokenIn):
    credentials = {"username": payload.username}
    if AxesProxyHandler.is_locked(request, credentials):
        raise Throttled(_("Too many failed attempts. Try again in 30 minutes."), retry_after=LOCKOUT_SECONDS)
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if user is None:
        request.axes_locked_out = False  # the failure that reaches the limit still answers 401
        raise NotAuthenticated(_("Wrong username or password."))
    user_logged_in.send(sender=user.__class__, request=request, user=user)  # axes resets the failure count
    raw, token = token_create(user=user, ip=client_ip(request))
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.delete("/auth/token", response={204: None, 401: Error})
def revoke_token(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        token_revoke(token=token)
    return Status(204, None)
