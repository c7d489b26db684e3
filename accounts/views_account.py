"""The user's account page: two-factor enrolment and the code asked after the password, recovery codes shown
once, and "sign out everywhere"."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from lec.lib.net import client_ip

from . import two_factor
from .services import audit, user_sign_out_everywhere


@login_required
def account(request):
    user = request.user
    return render(request, "accounts/account.html", {
        "has_device": two_factor.has_device(user),
        "required": two_factor.required_for(user),
    })  # fmt: skip


@login_required
def two_factor_setup(request):
    """Enrol a TOTP device: QR code and secret, then the first code confirms it; recovery codes shown once."""
    user = request.user
    if two_factor.has_device(user) and not user.is_verified():
        return redirect("two_factor_verify")
    device = two_factor.pending_totp(user)
    error = ""
    if request.method == "POST":
        codes = two_factor.enrol_confirm(
            user=user, device=device, token=request.POST.get("code", ""), ip=client_ip(request)
        )
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        error = _("The code is wrong or has expired. Enter the 6 digits the app shows now.")
    return render(request, "accounts/two_factor_setup.html", {
        "qr_svg": two_factor.qr_svg(device.config_url),
        "secret": two_factor.secret_text(device),
        "error": error,
        "required": two_factor.required_for(user),
    })  # fmt: skip


def _locked(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


@login_required
def two_factor_verify(request):
    """The code after the password. A wrong one counts as a failed sign-in (axes' lockout and the limits)."""
    user = request.user
    if user.is_verified() or not two_factor.has_device(user):
        return redirect("home")
    error = ""
    if request.method == "POST":
        if _locked(request, user):
            logout(request)
            return render(request, "registration/locked_out.html", status=429)
        device = two_factor.verify(user, request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            return redirect("home")
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        error = _("The code is wrong. Enter the 6 digits the app shows now, or one of your recovery codes.")
    return render(request, "accounts/two_factor_verify.html", {"error": error})


@login_required
@require_POST
def recovery_codes_new(request):
    if not two_factor.has_device(request.user):
        return redirect("account")
    codes = two_factor.recovery_codes_replace(user=request.user)
    audit(acting_user=request.user, action="2fa_recovery_codes", object_ref=request.user.username,
          ip=client_ip(request))  # fmt: skip
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@login_required
@require_POST
def sign_out_everywhere(request):
    revoked = user_sign_out_everywhere(
        user=request.user, acting_user=request.user, ip=client_ip(request), keep_request=request
    )
    messages.success(
        request,
        _("You were signed out on every other device and %(n)s API tokens were revoked.") % {"n": revoked},
    )
    return redirect("account")
