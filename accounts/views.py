"""Login (with the address and global failure limits), logout, the password change, and the forgotten-password
pages (Django's reset views with Thai templates: one-hour single-use links, the same answer for any e-mail)."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from lec.lib.net import client_ip

from . import throttle
from .password_forms import StyledPasswordChangeForm
from .services import audit, user_change_password, user_set_password_by_reset


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = throttle.retry_after(request)
        if wait:
            response = render(
                request, "registration/throttled.html", {"minutes": max(1, wait // 60)}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


@login_required
def password_change(request):
    form = StyledPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_change_password(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            request=request,
            ip=client_ip(request),
        )
        messages.success(request, _("Your password has been changed. You were signed out everywhere else."))
        return redirect("home")
    return render(request, "registration/password_change.html", {"form": form})


class ResetSetPasswordForm(SetPasswordForm):
    """Saving through the service ends every session and token of the user and writes the audit row."""

    def save(self, commit=True):
        ip = client_ip(self.request) if getattr(self, "request", None) is not None else None
        user_set_password_by_reset(user=self.user, password=self.cleaned_data["new_password1"], ip=ip)
        AxesProxyHandler.reset_attempts(username=self.user.get_username())
        return self.user


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        matched = sum(1 for _u in form.get_users(form.cleaned_data["email"]))
        audit(acting_user=None, action="password_reset_request", ip=client_ip(self.request), accounts=matched)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
