"""Sends a browser user with an initial password to the password-change page, and one who owes a second
factor to the code (or enrolment) page, before anything else."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from lec.lib.errors import Code

_ALLOWED_PREFIXES = ("/static/", "/api/", "/i18n/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = {
                reverse(n) for n in ("password_change", "logout", "two_factor_verify", "two_factor_setup")
            }
            if request.path not in allowed and not request.path.startswith(_ALLOWED_PREFIXES):
                return redirect("password_change")
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """A browser session of a user with a confirmed device is usable only once the code was given (django-otp's
    OTPMiddleware marks it verified); a user who must have a second factor (`LEC_REQUIRE_2FA`) and has none is
    sent to enrol first. The Django admin is behind this too. Under /api/ an unverified session answers 401."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        from .two_factor import has_device, required_for

        if has_device(user):
            target = "two_factor_verify"
        elif required_for(user):
            target = "two_factor_setup"
        else:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            if request.META.get("HTTP_AUTHORIZATION"):
                return self.get_response(request)  # a bearer token: the API authenticates it
            return JsonResponse(
                {"detail": str(_("Sign in with your second factor first.")), "code": Code.NOT_AUTHENTICATED},
                status=401,
            )
        allowed = {reverse(target), reverse("logout")}
        if request.path in allowed or request.path.startswith(("/static/", "/i18n/")):
            return self.get_response(request)
        return redirect(target)
