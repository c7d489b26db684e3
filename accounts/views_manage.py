"""The department's page that provisions accounts from a CSV file (the same service as the command), and the one
download of the initial passwords it created."""

import csv
import io
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lec.lib.csv_table import read_upload
from lec.lib.errors import Forbidden
from lec.lib.net import client_ip
from lec.lib.spreadsheets.files import FileRefused

from . import policy
from .services import PROVISION_COLUMNS, ProvisionError, audit, users_provision

_PASSWORDS_KEY = "lec_provisioned_passwords"  # in the session: only a random handle, never a password
PASSWORDS_TTL = 15 * 60  # seconds the one download stays possible


def _keep_passwords(request, passwords) -> None:
    """Initial passwords wait for their one download in the cache (memory, 15 minutes), not in the session
    table, which lives for hours in PostgreSQL and its backups; the session holds only a random handle."""
    handle = secrets.token_urlsafe(24)
    cache.set(f"lec:passwords:{request.user.pk}:{handle}", passwords, PASSWORDS_TTL)
    request.session[_PASSWORDS_KEY] = handle


def _take_passwords(request):
    handle = request.session.pop(_PASSWORDS_KEY, None)
    if not isinstance(handle, str):
        return None
    key = f"lec:passwords:{request.user.pk}:{handle}"
    passwords = cache.get(key)
    cache.delete(key)
    return passwords


def _require_manage_users(user) -> None:
    if not policy.can_nationally(user, "manage_users"):
        raise Forbidden()


def _provision_from_request(request):
    """Run the upload; raise ProvisionError/FileRefused. A reset needs the officer's own password again."""
    reset = request.POST.get("reset_passwords") == "1"
    if reset and not request.user.check_password(request.POST.get("current_password", "")):
        raise ProvisionError(
            [_("To reset passwords, enter your own password again (it was wrong or empty).")]
        )
    return users_provision(
        rows=read_upload(request.FILES.get("file"), PROVISION_COLUMNS),
        reset_passwords=reset,
        acting_user=request.user,
        ip=client_ip(request),
        source="page",
    )


@login_required
def users_upload(request):
    _require_manage_users(request.user)
    context = {"columns": PROVISION_COLUMNS}
    if request.method == "POST":
        try:
            result = _provision_from_request(request)
        except FileRefused as exc:
            context["problems"] = [exc.message]
        except ProvisionError as exc:
            context["problems"] = exc.lines
        else:
            _keep_passwords(request, result.passwords)
            messages.success(
                request,
                _(
                    "%(created)s accounts created and %(updated)s updated. Download the passwords now: they are shown once."
                )
                % {"created": len(result.created), "updated": result.updated},
            )
            return redirect("manage_users")
    context["passwords_ready"] = bool(request.session.get(_PASSWORDS_KEY))
    return render(request, "manage/users.html", context)


@login_required
def users_passwords(request):
    """The initial passwords of the last provisioning, once: the cached copy is dropped as it is sent."""
    _require_manage_users(request.user)
    if request.method != "POST":
        return redirect("manage_users")
    passwords = _take_passwords(request)
    if not passwords:
        messages.error(
            request,
            _(
                "The passwords were already downloaded. Provision again with “reset passwords” to get new ones."
            ),
        )
        return redirect("manage_users")
    audit(acting_user=request.user, action="download_passwords", ip=client_ip(request),
          usernames=[u for u, _p in passwords])  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "password"])
    writer.writerows(passwords)
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="passwords.csv"'
    response["Cache-Control"] = "no-store"
    return response
